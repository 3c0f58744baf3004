// Sets up an io_uring instance.
// Attacks: io_uring, whose operations run in kernel workers that seccomp never sees (an
// openat or connect through the ring bypasses the policy), and a frequent source of
// kernel exploits.
// Sandbox should: kill the program with SIGSYS at io_uring_setup.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: stdout-equals=io_uring_setup(8)\n
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  puts("io_uring_setup(8)");
  fflush(stdout);
  long fd = syscall(SYS_io_uring_setup, 8, &params);
  printf("io_uring_setup returned %ld\n", fd);
  return 0;
}
