/* bare_spawn PROGRAM N: the baseline of the slot benchmark. A small static process that
 * runs PROGRAM N times with fork + execve + waitpid, stdout through a pipe read to end
 * of file, and prints each run's duration in microseconds, one per line. Small on
 * purpose: fork copies the parent's page tables, so a big parent would make the
 * baseline slower and every ratio against it look better than it is. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double nowUs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: bare_spawn PROGRAM N\n");
    return 2;
  }
  const int n = atoi(argv[2]);
  for (int i = 0; i < n; ++i) {
    const double t0 = nowUs();
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
      dup2(p[1], 1);
      char* args[] = {argv[1], NULL};
      char* env[] = {NULL};
      execve(argv[1], args, env);
      _exit(127);
    }
    close(p[1]);
    char buf[256];
    while (read(p[0], buf, sizeof buf) > 0) {
    }
    close(p[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return 1;
    printf("%.1f\n", nowUs() - t0);
  }
  return 0;
}
