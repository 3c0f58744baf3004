// Asks clone3 for a child in a new user namespace. clone3 takes its flags in a structure
// in memory, which a seccomp filter cannot read, so a policy that inspects clone's flags
// would let this through.
// Attacks: namespaces, through the door seccomp cannot see into.
// Sandbox should: answer ENOSYS for every clone3 (C libraries then fall back to clone,
// whose flags the filter checks); nothing is created.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-equals=clone3(CLONE_NEWUSER): ENOSYS\n
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_NEWUSER;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) _exit(0);
  if (pid > 0) {
    waitpid((pid_t)pid, NULL, 0);
    puts("clone3(CLONE_NEWUSER): created a child in a new user namespace");
    return 0;
  }
  printf("clone3(CLONE_NEWUSER): %s\n", strerrorname_np(errno));
  return 0;
}
