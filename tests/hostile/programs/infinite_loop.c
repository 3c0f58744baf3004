// An empty loop that never ends.
// Attacks: the CPU time limit.
// Sandbox should: kill the run once it has used its CPU time, long before the wall limit.
// limits: cpu_ms=1000 wall_ms=10000
// expect: status=time_limit
// expect: time_ms>=1000
int main(void) {
  volatile unsigned long n = 0;
  for (;;) ++n;
}
