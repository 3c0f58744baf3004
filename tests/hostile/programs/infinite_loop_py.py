# An interpreter spinning forever.
# Attacks: the CPU time limit.
# Sandbox should: kill the run on CPU time.
# limits: cpu_ms=1000 wall_ms=10000
# expect: status=time_limit
while True:
    pass
