# Writes to stderr as fast as it can, forever.
# Attacks: the output limit on stderr, which is enforced separately from stdout's.
# Sandbox should: keep output_kb KiB of stderr, mark it truncated and stop the run.
# limits: cpu_ms=2000 wall_ms=5000 output_kb=64
# expect: status=output_limit
# expect: stderr-bytes=65536
# expect: stderr_truncated=true
# expect: stdout_truncated=false
import sys

line = "e" * 1023 + "\n"
while True:
    sys.stderr.write(line)
