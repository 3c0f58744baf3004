// Blocks in pause() with every catchable signal ignored.
// Attacks: the wall-clock limit: a program that cannot be talked into exiting.
// Sandbox should: kill it (SIGKILL cannot be ignored) at the wall limit.
// limits: cpu_ms=1000 wall_ms=1000
// expect: status=wall_time_limit
// expect: signal=SIGKILL
#include <signal.h>
#include <unistd.h>

int main(void) {
  for (int sig = 1; sig < NSIG; ++sig) (void)signal(sig, SIG_IGN);
  for (;;) pause();
}
