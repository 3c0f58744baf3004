# Creates a user namespace through libc (ctypes): inside one, the process holds every
# capability, which reaches a great deal of kernel code (mounts, netfilter...).
# Attacks: namespaces, the usual first step of container escapes.
# Sandbox should: kill the interpreter with SIGSYS at the unshare call.
# limits: cpu_ms=2000 wall_ms=4000
# expect: status=syscall_blocked
# expect: stdout-equals=unshare(CLONE_NEWUSER)\n
import ctypes
import sys

CLONE_NEWUSER = 0x10000000
libc = ctypes.CDLL(None, use_errno=True)
print("unshare(CLONE_NEWUSER)", flush=True)
r = libc.unshare(CLONE_NEWUSER)
print("unshare returned", r, "errno", ctypes.get_errno())
