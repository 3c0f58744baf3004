# One endless line: no newline ever comes.
# Attacks: line-oriented buffering in the output path, which would wait for the end of a
# line that never arrives.
# Sandbox should: cut the output at output_kb KiB all the same.
# limits: cpu_ms=2000 wall_ms=5000 output_kb=64
# expect: status=output_limit
# expect: stdout-bytes=65536
# expect: stdout_truncated=true
# expect: stdout-not-contains=\n
tr -d '\n' < /dev/zero | tr '\0' 'x'
