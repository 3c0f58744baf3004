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
 * slower than a steady loop and every ratio against it look better than it is.
 *
 * --vfork (after N or --serve): posix_spawn instead of fork, i.e. clone(CLONE_VM |
 * CLONE_VFORK) as a slot's keeper starts its runs: no page tables are copied and no
 * copy-on-write faults follow, which on a VM whose page tables the host shadows is much
 * cheaper than fork, so this is the stricter baseline there. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
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

/* Starts args[0] with stdin from `input` and stdout to `out` by posix_spawn. */
static pid_t vforkSpawn(const char* input, int out, char** args, char** env) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, input, O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &fa, NULL, args, env) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

/* Runs args[0] n times and prints each duration; 0 on success, 1 when a run failed. */
static int runBatch(long n, int use_vfork, const char* input, char** args) {
  char* env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", NULL};
  for (long i = 0; i < n; ++i) {
    const double t0 = nowUs();
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return 1;
    pid_t pid = use_vfork ? vforkSpawn(input, p[1], args, env) : fork();
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
    fprintf(stderr, "usage: bare_spawn N|--serve [--vfork] [--stdin FILE] PROGRAM [ARGS...]\n");
    return 2;
  }
  const int serve = strcmp(argv[1], "--serve") == 0;
  const char* input = "/dev/null";
  int first = 2;
  const int use_vfork = strcmp(argv[first], "--vfork") == 0;
  if (use_vfork) ++first;
  if (first + 1 < argc && strcmp(argv[first], "--stdin") == 0) {
    input = argv[first + 1];
    first += 2;
  }
  if (first >= argc) return 2;
  char** args = argv + first;
  if (!serve) return runBatch(atol(argv[1]), use_vfork, input, args);
  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL) {
    /* A failed batch ends the answer with "error", so the reader never waits for more. */
    if (runBatch(atol(line), use_vfork, input, args) != 0) {
      printf("error\n");
      fflush(stdout);
      return 1;
    }
    fflush(stdout);
  }
  return 0;
}
