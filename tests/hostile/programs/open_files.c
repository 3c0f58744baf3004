// Opens /dev/null until open fails, then reports how many descriptors it had.
// Attacks: the open file limit (and the host's file table behind it).
// Sandbox should: fail the open with EMFILE at RLIMIT_NOFILE (256): 3 standard streams
// plus 253 more.
// limits: cpu_ms=2000 wall_ms=5000
// expect: status=ok
// expect: stdout-equals=opened 253, then EMFILE\n
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  int n = 0;
  while (open("/dev/null", O_RDONLY) >= 0) ++n;
  printf("opened %d, then %s\n", n, strerrorname_np(errno));
  return 0;
}
