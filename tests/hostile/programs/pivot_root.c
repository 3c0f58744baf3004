// Calls pivot_root to swap the root for /box, the other way to rearrange the root.
// Attacks: the slot's root file system.
// Sandbox should: kill the program with SIGSYS.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: stdout-equals=pivot_root(/box, /box/old)\n
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  mkdir("/box/old", 0755);
  puts("pivot_root(/box, /box/old)");
  fflush(stdout);
  long r = syscall(SYS_pivot_root, "/box", "/box/old");
  printf("pivot_root returned %ld\n", r);
  return 0;
}
