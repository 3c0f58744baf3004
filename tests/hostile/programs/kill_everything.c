// Signals pid 1 (the slot's keeper) and the server on the host (argv[1] is its pid
// there), then starts three children and sends SIGKILL to every process it may signal:
// kill(-1, SIGKILL). Linux spares the caller and pid 1 from kill(-1).
// Attacks: the supervisors: a run that killed its keeper or the server would take the
// slot, or the whole service, down.
// Sandbox should: refuse the signals to pid 1 (EPERM: the keeper is root), find no such
// process as the server (ESRCH: another pid namespace), and let kill(-1) reach only the
// run's own processes (its three children), leaving the slot working.
// limits: cpu_ms=1000 wall_ms=3000
// args: {server_pid}
// expect: status=ok
// expect: stdout-equals=kill(1, SIGTERM): EPERM\nkill(1, SIGKILL): EPERM\nkill(server, SIGKILL): ESRCH\nkill(-1, SIGKILL): delivered\n3 children killed by SIGKILL\n
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char* what, int r) {
  printf("%s: %s\n", what, r == 0 ? "delivered" : strerrorname_np(errno));
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  report("kill(1, SIGTERM)", kill(1, SIGTERM));
  report("kill(1, SIGKILL)", kill(1, SIGKILL));
  report("kill(server, SIGKILL)", kill((pid_t)atoi(argv[1]), SIGKILL));
  for (int i = 0; i < 3; ++i) {
    if (fork() == 0) {
      for (;;) pause();
    }
  }
  report("kill(-1, SIGKILL)", kill(-1, SIGKILL));
  int killed = 0, status = 0;
  while (wait(&status) > 0) killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  printf("%d children killed by SIGKILL\n", killed);
  return 0;
}
