# Four child processes spin while the parent sleeps in wait().
# Attacks: CPU time accounting across processes: the parent alone uses no CPU.
# Sandbox should: count the children's CPU time and end the run on it.
# limits: cpu_ms=1000 wall_ms=10000
# expect: status=time_limit
import os

for _ in range(4):
    if os.fork() == 0:
        while True:
            pass
for _ in range(4):
    os.wait()
