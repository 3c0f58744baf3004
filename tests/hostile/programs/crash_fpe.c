// Divides an integer by zero (the CPU raises #DE; the kernel sends SIGFPE).
// Attacks: crash reporting.
// Sandbox should: report runtime_error, signal SIGFPE.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=runtime_error
// expect: signal=SIGFPE
int main(void) {
  volatile int zero = 0;
  volatile int n = 42 / zero;
  return n;
}
