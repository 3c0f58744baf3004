# Forks children that stay alive until fork fails, then reports how many it made.
# Attacks: the process limit from an interpreter; the count shows where the fence is.
# Sandbox should: refuse the fork that would make the 17th process of the run (the
# program itself plus 15 children fill processes=16) with EAGAIN.
# limits: cpu_ms=1000 wall_ms=4000 processes=16
# expect: status=ok
# expect: stdout-equals=made 15 children, then EAGAIN\n
import errno
import os
import time

children = 0
while True:
    try:
        pid = os.fork()
    except OSError as e:
        print(f"made {children} children, then {errno.errorcode[e.errno]}")
        break
    if pid == 0:
        time.sleep(100)
        os._exit(0)
    children += 1
