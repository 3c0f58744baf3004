// Queries its execution domain (allowed), then asks for ADDR_NO_RANDOMIZE, which turns
// off address space randomisation for the next exec.
// Attacks: exploit mitigations (ASLR; READ_IMPLIES_EXEC would weaken NX the same way).
// Sandbox should: answer the query (PER_LINUX, 0) and kill the program with SIGSYS at the
// second call.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: stdout-equals=personality(0xffffffff) = 0\npersonality(ADDR_NO_RANDOMIZE)\n
#include <stdio.h>
#include <sys/personality.h>

int main(void) {
  int current = personality(0xffffffff);
  printf("personality(0xffffffff) = %#x\n", (unsigned)current);
  puts("personality(ADDR_NO_RANDOMIZE)");
  fflush(stdout);
  int r = personality(PER_LINUX | ADDR_NO_RANDOMIZE);
  printf("personality returned %d\n", r);
  return 0;
}
