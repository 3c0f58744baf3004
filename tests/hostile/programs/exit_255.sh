# Exits with the largest exit status there is.
# Attacks: exit status handling: 255 must not be confused with -1, a signal or a
# sandbox failure of the server.
# Sandbox should: report runtime_error with exit_code 255 and no signal.
# limits: cpu_ms=1000 wall_ms=3000
# expect: status=runtime_error
# expect: exit_code=255
# expect: signal=null
# expect: error=exited with code 255
exit 255
