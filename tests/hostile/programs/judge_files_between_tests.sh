# Test 1 leaves files behind: in /tmp (a file, a directory tree 300 levels deep with no
# permissions) and in /box (a file, and another deep tree); test 2 lists /tmp and /box.
# Attacks: the separation of a judge's tests: what test 1 writes, test 2 would read (and
# its time and memory would pay for test 1's files); a deep, unreadable tree would make
# a naive clean-up fail and cost the slot.
# Sandbox should: start every test with an empty /tmp and /box as the compile left it
# (here only main.sh), and never rebuild the slot.
# limits: cpu_ms=4000 wall_ms=8000
# judge-test: leave\n -> left\n
# judge-test: look\n -> tmp: \nbox: main.sh\n
# expect: verdict=accepted
# expect: test-verdicts=accepted,accepted
read -r mode
if [ "$mode" = leave ]; then
  echo secret > /tmp/note
  echo secret > /box/note
  for top in /tmp /box; do
    dir=$top/deep
    for i in $(seq 1 300); do dir=$dir/d; done
    mkdir -p "$dir" && echo secret > "$dir/f"
    chmod -R 000 "$top/deep" 2>/dev/null
  done
  echo left
else
  echo "tmp: $(ls -A /tmp | tr '\n' ' ')"
  echo "box: $(ls -A /box | tr '\n' ' ' | sed 's/ $//')"
fi
