// Makes system calls through the 32-bit entry point (int $0x80), where the call numbers
// are i386's: 20 is getpid there, 26 is ptrace (39 and 101 in x86_64 numbering).
// Attacks: seccomp filters that check the call number but not the architecture: an
// i386 "ptrace" would pass as x86_64 "msync" (26).
// Sandbox should: never let the i386 call execute. Where the kernel has the i386 entry,
// the seccomp policy's architecture check kills the program with SIGSYS at the first
// i386 call, harmless or not; where it has none, the instruction faults (SIGSEGV) first.
// limits: cpu_ms=1000 wall_ms=3000
// expect if i386_entry: status=syscall_blocked
// expect if i386_entry: signal=SIGSYS
// expect unless i386_entry: status=runtime_error
// expect unless i386_entry: signal=SIGSEGV
// expect: stdout-equals=int $0x80: getpid\n
#include <stdio.h>

int main(void) {
  puts("int $0x80: getpid");
  fflush(stdout);
  long ret = 20;  // __NR_getpid on i386
  __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
  printf("getpid returned %ld\n", ret);
  return 0;
}
