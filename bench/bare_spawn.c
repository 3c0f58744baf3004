/* bare_spawn N [--stdin FILE] PROGRAM [ARGS...]: the baseline of the benchmarks. A small
 * static process that runs PROGRAM (an absolute path) N times with fork + execve +
 * waitpid, stdin from FILE (opened anew for each run) or /dev/null, stdout through a
 * pipe read to end of file, and prints each run's duration in microseconds, one per
 * line. Small on purpose: fork copies the parent's page tables, so a big parent would
 * make the baseline slower and every ratio against it look better than it is.
 *
 * bare_spawn --serve [--stdin FILE] PROGRAM [ARGS...]: the same as a steady process.
 * It reads a count per line from stdin, runs that many, answers one duration per line
 * and flushes; it ends at end of file. A process started anew for every batch pays its
 * own exec, page faults and cold caches in its first runs, which made the baseline
 * slower than a steady loop and every ratio against it look better than it is. */
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

/* Runs args[0] n times and prints each duration; 0 on success, 1 when a run failed. */
static int runBatch(long n, const char* input, char** args) {
  char* env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", NULL};
  for (long i = 0; i < n; ++i) {
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

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bare_spawn N|--serve [--stdin FILE] PROGRAM [ARGS...]\n");
    return 2;
  }
  const int serve = strcmp(argv[1], "--serve") == 0;
  const char* input = "/dev/null";
  int first = 2;
  if (strcmp(argv[2], "--stdin") == 0 && argc >= 5) {
    input = argv[3];
    first = 4;
  }
  char** args = argv + first;
  if (!serve) return runBatch(atol(argv[1]), input, args);
  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL) {
    /* A failed batch ends the answer with "error", so the reader never waits for more. */
    if (runBatch(atol(line), input, args) != 0) {
      printf("error\n");
      fflush(stdout);
      return 1;
    }
    fflush(stdout);
  }
  return 0;
}
