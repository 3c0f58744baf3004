# Sleeps without using any CPU.
# Attacks: the wall-clock limit, which is the only thing that can end this run.
# Sandbox should: kill the run at the wall limit, having counted next to no CPU time.
# limits: cpu_ms=1000 wall_ms=1000
# expect: status=wall_time_limit
# expect: time_ms<=500
# expect: wall_ms>=1000
sleep infinity
