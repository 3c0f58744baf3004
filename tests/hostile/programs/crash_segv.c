// Writes through a null pointer.
// Attacks: crash reporting, and the host's core dump helper (core_pattern), which a
// crash in a container could start as root on the host.
// Sandbox should: report runtime_error, signal SIGSEGV.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=runtime_error
// expect: signal=SIGSEGV
// expect: error=killed by signal SIGSEGV
int main(void) {
  volatile int* volatile p = 0;
  *p = 42;
  return 0;
}
