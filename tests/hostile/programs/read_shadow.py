# Reads the host's password hashes and the host's root home.
# Attacks: file system isolation for the classic targets.
# Sandbox should: show neither: the slot's /etc holds only what the rootfs manifest binds
# plus its own passwd, group and hosts, and there is no /root.
# limits: cpu_ms=1000 wall_ms=3000
# expect: status=ok
# expect: stdout-equals=/etc/shadow: ENOENT\n/etc/gshadow: ENOENT\n/root: ENOENT\n/etc/sudoers: ENOENT\n
import errno
import os

for path in ("/etc/shadow", "/etc/gshadow", "/root", "/etc/sudoers"):
    try:
        if os.path.isdir(path) or path == "/root":
            print(f"{path}: {sorted(os.listdir(path))}")
        else:
            with open(path, "rb") as f:
                print(f"{path}: {f.read(200)!r}")
    except OSError as e:
        print(f"{path}: {errno.errorcode[e.errno]}")
