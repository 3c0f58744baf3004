// Closes stdout and stderr, then keeps running (asleep).
// Attacks: a supervisor that takes the end of the output pipes for the end of the run.
// Sandbox should: keep waiting for the process and end the run at the wall limit.
// limits: cpu_ms=1000 wall_ms=1000
// expect: status=wall_time_limit
// expect: stdout-equals=closing stdout\n
#include <stdio.h>
#include <unistd.h>

int main(void) {
  puts("closing stdout");
  fflush(stdout);
  close(1);
  close(2);
  for (;;) sleep(10);
}
