# Sends every signal, 1 to 64, to pid 1: in the slot, the keeper that supervises it.
# Attacks: the keeper, which SIGSTOP would freeze and SIGTERM or SIGKILL end.
# Sandbox should: refuse all with EPERM (the keeper is root) except SIGCONT, which Linux
# lets any process send within its session and which does nothing to a running process;
# the slot keeps working (the post-checks run the next jobs in it).
# limits: cpu_ms=1000 wall_ms=3000
# expect: status=ok
# expect: stdout-equals=getppid() = 1\nrefused (EPERM): 63\ndelivered: ['SIGCONT']\n
import os
import signal

print("getppid() =", os.getppid())
refused, delivered = 0, []
for sig in range(1, 65):
    try:
        os.kill(1, sig)
        delivered.append(signal.Signals(sig).name)
    except PermissionError:
        refused += 1
print("refused (EPERM):", refused)
print("delivered:", delivered)
