# Walks out of /box with "..", with symlinks to / and to pid 1's root, and with a
# relative symlink full of "..", looking for the suite's host canary file (argv: its
# path on the host, under the host's /tmp) and the host's /etc/shadow.
# Attacks: path resolution: ".." at the slot's root, symlinks that a more privileged
# process (the server, copying files out of /box) might follow.
# Sandbox should: resolve every path inside the slot: the root's ".." is the root
# itself, the slot's /tmp is its own tmpfs, and /proc/1/root needs ptrace access to pid
# 1 (EACCES).
# limits: cpu_ms=1000 wall_ms=3000
# args: {host_canary}
# expect: status=ok
# expect: stdout-equals=/box/../../../..{host_canary}: missing\n/box/up{host_canary}: missing\n/box/slash/..{host_canary}: missing\n/box/keeper-root{host_canary}: denied\n/box/up/etc/shadow: missing\n/box/keeper-root/etc/shadow: denied\n/box/up/..: /\n
# expect: stdout-not-contains={canary_secret}
cd /box || exit 1
ln -s ../../../../../../../.. up
ln -s / slash
ln -s /proc/1/root keeper-root
for p in "/box/../../../..$1" "/box/up$1" "/box/slash/..$1" "/box/keeper-root$1" \
         /box/up/etc/shadow /box/keeper-root/etc/shadow; do
  if out=$(cat "$p" 2>&1); then
    echo "$p: read: $out"
  elif [[ $out == *"Permission denied"* ]]; then
    echo "$p: denied"
  elif [[ $out == *"No such file"* ]]; then
    echo "$p: missing"
  else
    echo "$p: $out"
  fi
done
echo "/box/up/..: $(cd -P /box/up/.. && pwd -P)"
