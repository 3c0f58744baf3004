# Leaves background jobs behind with nohup, disown and a subshell, then exits.
# Attacks: the end of a run, the shell way.
# Sandbox should: report ok and leave no process of the slot uid behind.
# limits: cpu_ms=1000 wall_ms=3000
# expect: status=ok
# expect: stdout-equals=left 3 jobs behind\n
nohup sleep 1000 > /dev/null 2>&1 &
sleep 1001 &
disown
( setsid sleep 1002 & ) > /dev/null 2>&1
echo "left 3 jobs behind"
