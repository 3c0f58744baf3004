# Looks for the codecanvas server itself (argv[1] is its pid on the host) through /proc:
# its environment, command line and open files, then lists every pid /proc shows.
# Attacks: the server's own /proc entries, and the host's processes in general.
# Sandbox should: show neither: the slot has its own pid namespace, where the only
# processes are pid 1 (the keeper) and the program's own.
# limits: cpu_ms=1000 wall_ms=3000
# args: {server_pid}
# expect: status=ok
# expect: stdout-contains=/proc/{server_pid}/environ: ENOENT\n
# expect: stdout-contains=/proc/{server_pid}/cmdline: ENOENT\n
# expect: stdout-contains=/proc/{server_pid}/fd: ENOENT\n
# expect: stdout-line=pids: \[1, [0-9]+\]
import errno
import os
import sys

server = sys.argv[1]
for entry in ("environ", "cmdline", "fd"):
    path = f"/proc/{server}/{entry}"
    try:
        if entry == "fd":
            print(f"{path}: {os.listdir(path)}")
        else:
            with open(path, "rb") as f:
                print(f"{path}: {f.read(200)!r}")
    except OSError as e:
        print(f"{path}: {errno.errorcode[e.errno]}")
print("pids:", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
