# Reads what /proc tells about the host: its interrupt counts, load, pressure, kernel
# profiling and hardware directories; tries to write where runc keeps /proc read-only.
# Attacks: the host's privacy and the separation of jobs: load, pressure and interrupt
# counts say how busy the host and the other slots are (a side channel between jobs),
# the rest describes the host's hardware and kernel.
# Sandbox should: show every such file empty and every such directory empty (or absent
# where this kernel has none), and refuse the writes.
# limits: cpu_ms=2000 wall_ms=5000
# expect: status=ok
# expect: stdout-line=/proc/loadavg: empty
# expect: stdout-line=/proc/interrupts: empty
# expect: stdout-no-line=.*: (has [0-9]+ bytes|lists .*)
# expect: stdout-no-line=.*: written
# expect: stdout-line=wrote nothing
for f in /proc/loadavg /proc/interrupts /proc/kcore /proc/keys /proc/timer_list \
         /proc/latency_stats /proc/timer_stats /proc/sched_debug /proc/kmsg /proc/cmdline; do
  if [ ! -e "$f" ]; then echo "$f: absent"; continue; fi
  n=$(head -c 4096 "$f" 2>/dev/null | wc -c)
  if [ "$n" = 0 ]; then echo "$f: empty"; else echo "$f: has $n bytes"; fi
done
for d in /proc/pressure /proc/acpi /proc/asound /proc/scsi; do
  if [ ! -e "$d" ]; then echo "$d: absent"; continue; fi
  entries=$(ls -A "$d" 2>/dev/null | tr '\n' ' ')
  if [ -z "$entries" ]; then echo "$d: empty"; else echo "$d: lists $entries"; fi
done
for f in /proc/sys/kernel/hostname /proc/fs/nfsd/threads /proc/irq/default_smp_affinity \
         /proc/bus/pci/devices; do
  [ -e "$f" ] || continue
  if (echo 1 > "$f") 2>/dev/null; then echo "$f: written"; fi
done
echo "wrote nothing"
