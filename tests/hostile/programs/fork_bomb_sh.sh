# The classic shell fork bomb: a function that pipes itself into itself, so every call
# needs two more processes and waits for both.
# Attacks: the process limit, with bash's own fork retry loop (it sleeps and tries again
# on EAGAIN) keeping the bomb alive at the limit.
# Sandbox should: refuse the forks beyond the limit and end the run on wall time.
# limits: cpu_ms=1000 wall_ms=2000 processes=32
# expect: status=wall_time_limit
# expect: stderr-contains=fork: retry: Resource temporarily unavailable
bomb() { bomb | bomb; }
bomb
