/* bare_spawn N [--stdin FILE] PROGRAM [ARGS...]: the baseline of the benchmarks. A small
 * static process that runs PROGRAM (an absolute path) N times with fork + execve +
 * waitpid, stdin from FILE (opened anew for each run) or /dev/null, stdout through a
 * pipe read to end of file, and prints each run's duration in microseconds, one per
 * line. Small on purpose: fork copies the parent's page tables, so a big parent would
 * make the baseline slower and every ratio against it look better than it is. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double nowUs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bare_spawn N [--stdin FILE] PROGRAM [ARGS...]\n");
    return 2;
  }
  const int n = atoi(argv[1]);
  const char* input = "/dev/null";
  int first = 2;
  if (strcmp(argv[2], "--stdin") == 0 && argc >= 5) {
    input = argv[3];
    first = 4;
  }
  char** args = argv + first;
  char* env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", NULL};
  for (int i = 0; i < n; ++i) {
    const double t0 = nowUs();
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
      int in = open(input, O_RDONLY);
      if (in < 0) _exit(126);
      dup2(in, 0);
      dup2(p[1], 1);
      execve(args[0], args, env);
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
