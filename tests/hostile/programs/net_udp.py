# Sends a UDP datagram to a public DNS server and to the host's loopback.
# Attacks: network isolation for connectionless traffic (DNS tunnelling, exfiltration).
# Sandbox should: refuse the socket with EAFNOSUPPORT (errno 97).
# limits: cpu_ms=1000 wall_ms=3000
# expect: status=ok
# expect: stdout-equals=8.8.8.8: EAFNOSUPPORT\n127.0.0.1: EAFNOSUPPORT\n
import errno
import socket

for host in ("8.8.8.8", "127.0.0.1"):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"hello", (host, 53))
            print(f"{host}: sent")
    except OSError as e:
        print(f"{host}: {errno.errorcode.get(e.errno, e.errno)}")
