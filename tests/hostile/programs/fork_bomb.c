// Every process forks as fast as it can, forever.
// Attacks: the process limit (pids.max and RLIMIT_NPROC of the slot uid) and, through it,
// the host's process table. Failed forks are retried, so the bomb keeps burning CPU.
// Sandbox should: stop the forks at the process limit and end the run on CPU time.
// limits: cpu_ms=1000 wall_ms=10000 processes=32
// expect: status=time_limit
#include <unistd.h>

int main(void) {
  for (;;) (void)fork();
}
