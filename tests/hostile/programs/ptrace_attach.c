// Forks a child and attaches to it with ptrace, as a debugger would.
// Attacks: process isolation: a tracer can rewrite a process's registers and memory,
// and a traced process's system calls can be changed after seccomp has checked them
// (on kernels before 4.8).
// Sandbox should: kill the program with SIGSYS at the ptrace call.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: signal=SIGSYS
// expect: stdout-equals=attaching to my child\n
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(void) {
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  puts("attaching to my child");
  fflush(stdout);
  long r = ptrace(PTRACE_ATTACH, child, NULL, NULL);
  printf("ptrace returned %ld\n", r);
  kill(child, SIGKILL);
  return 0;
}
