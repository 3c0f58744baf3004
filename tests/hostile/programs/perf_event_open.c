// Opens a hardware cycle counter for itself.
// Attacks: perf events, which expose kernel addresses and other processes' activity and
// have been an exploit primitive many times.
// Sandbox should: kill the program with SIGSYS.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: stdout-equals=perf_event_open(PERF_COUNT_HW_CPU_CYCLES)\n
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_CPU_CYCLES;
  attr.exclude_kernel = 1;
  puts("perf_event_open(PERF_COUNT_HW_CPU_CYCLES)");
  fflush(stdout);
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  printf("perf_event_open returned %ld\n", fd);
  return 0;
}
