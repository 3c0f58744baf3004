# Fills /tmp with 1 MiB files until a write fails.
# Attacks: the size of /tmp (its own tmpfs, 64 MiB per slot). Many small files rather
# than one big one, so the file size limit (also 64 MiB) is not what stops it.
# Sandbox should: end the writes with "No space left on device" once about 64 MiB are used.
# limits: cpu_ms=4000 wall_ms=8000 memory_kb=262144
# expect: status=ok
# expect: stderr-contains=No space left on device
# expect: stdout-equals=/tmp full after 64 files\n
for i in $(seq 1 100); do
  if ! head -c 1048576 /dev/zero > "/tmp/fill$i"; then
    echo "/tmp full after $((i - 1)) files"
    break
  fi
done
