# Writes kernel tunables and triggers through /proc: the hostname, the core dump
# pattern (a classic container escape: it names a program the host runs as root), magic
# SysRq, and drops the page cache.
# Attacks: host-wide kernel state reachable through procfs.
# Sandbox should: refuse every write: /proc/sys is a read-only bind (and root-owned).
# /proc/sysrq-trigger, where the kernel has one, is masked by the host's /dev/null
# (writing to it is harmless); it is not tried, only checked.
# limits: cpu_ms=1000 wall_ms=3000
# expect: status=ok
# expect: stdout-no-line=.*: written
# expect: stdout-line=/proc/sys/kernel/core_pattern: (Read-only file system|Permission denied)
# expect: stdout-line=/proc/sys/kernel/hostname: (Read-only file system|Permission denied)
# expect: stdout-line=/proc/sysrq-trigger: (masked by /dev/null|absent)
# expect: stdout-line=/proc/sys/vm/drop_caches: (Read-only file system|Permission denied)
try() {
  if out=$( { echo "$2" > "$1"; } 2>&1); then
    echo "$1: written"
  else
    echo "$1: ${out##*: }"
  fi
}
try /proc/sys/kernel/core_pattern '|/box/evil'
try /proc/sys/kernel/hostname 'pwned'
if [[ ! -e /proc/sysrq-trigger ]]; then
  echo "/proc/sysrq-trigger: absent"
elif [[ $(stat -c %F:%t:%T /proc/sysrq-trigger) == "character special file:1:3" ]]; then
  echo "/proc/sysrq-trigger: masked by /dev/null"
else
  echo "/proc/sysrq-trigger: reachable"
fi
try /proc/sys/vm/drop_caches 3
