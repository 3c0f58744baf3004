# Looks for a way out of its cgroup: what /proc/self/cgroup says, whether any cgroup
# file system is reachable, and whether it can mount one.
# Attacks: the cgroup limits themselves: a process that could move itself to the root
# cgroup, or raise memory.limit_in_bytes, would escape every limit at once.
# Sandbox should: show no cgroup path of the host (the keeper's cgroup namespace is
# rooted at its slot's directory in every hierarchy the slot uses, on v1 and v2: the
# program sees "/run-<n>" for memory, "/shared" for a v1 cpuacct/pids directory, and "/"
# for hierarchies the slot does not use; never the server's codecanvas-<pid>/slot-<n>),
# have no /sys at all, and kill the mount attempt with SIGSYS (bash survives; its child
# dies).
# limits: cpu_ms=1000 wall_ms=3000
# expect: status=ok
# expect: stdout-line=[0-9]+:[^:]*memory[^:]*:/.*
# expect: stdout-no-line=[0-9]+:[^:]*:/(?!(run-[0-9]+|shared)$).+
# expect: stdout-no-line=.*codecanvas-.*
# expect: stdout-contains=/sys: absent\n
# expect: stdout-contains=mount cgroup: killed by SIGSYS\n
cat /proc/self/cgroup
if [[ -e /sys ]]; then echo "/sys: present"; else echo "/sys: absent"; fi
mkdir -p /tmp/cg
python3 -c '
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
r = libc.mount(b"cgroup", b"/tmp/cg", b"cgroup", 0, b"memory")
print("mount returned", r, "errno", ctypes.get_errno())
' 2>/dev/null
status=$?
if ((status == 128 + 31)); then echo "mount cgroup: killed by SIGSYS"; else echo "mount cgroup: exit $status"; fi
