// Asks clone() for a child in new mount and pid namespaces: the other door to namespaces
// (unshare is the first), here through clone's flags.
// Attacks: namespaces.
// Sandbox should: kill the program with SIGSYS (seccomp inspects clone's flags).
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: stdout-equals=clone(CLONE_NEWNS|CLONE_NEWPID)\n
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  puts("clone(CLONE_NEWNS|CLONE_NEWPID)");
  fflush(stdout);
  long r = syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, 0);
  if (r == 0) _exit(0);
  printf("clone returned %ld\n", r);
  return 0;
}
