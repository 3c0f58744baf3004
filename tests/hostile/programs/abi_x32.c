// Makes a system call with the x32 bit (0x40000000) set in the number: x32 getpid.
// Attacks: seccomp filters that allow or deny by the x86_64 number alone: with the x32
// bit, a denied call reaches the kernel under another number.
// Sandbox should: kill the program with SIGSYS (the filter kills every x32 call); a
// kernel without x32 support would answer ENOSYS, which the program would print.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: signal=SIGSYS
// expect: stdout-equals=syscall(0x40000000 | getpid)\n
#include <stdio.h>

int main(void) {
  puts("syscall(0x40000000 | getpid)");
  fflush(stdout);
  long ret = 0x40000000L | 39;  // __X32_SYSCALL_BIT | __NR_getpid
  __asm__ volatile("syscall" : "+a"(ret) : : "rcx", "r11", "memory");
  printf("x32 getpid returned %ld\n", ret);
  return 0;
}
