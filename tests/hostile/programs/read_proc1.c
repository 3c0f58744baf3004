// Reads the secrets of pid 1 (in the slot: the keeper, which runs as root) through /proc:
// its environment, its memory, its root directory and its open descriptors.
// Attacks: /proc as a window into a more privileged process of the same pid namespace.
// Sandbox should: deny every one (EACCES: the keeper is root, the program is not, and
// ptrace access is required), and the keeper's environment is empty anyway.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-equals=/proc/1/environ: EACCES\n/proc/1/mem: EACCES\n/proc/1/root/: EACCES\n/proc/1/fd/: EACCES\n/proc/1/cwd/: EACCES\n
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void probe(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s: %s\n", path, strerrorname_np(errno));
    return;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf);
  printf("%s: read %zd bytes\n", path, n);
  close(fd);
}

int main(void) {
  probe("/proc/1/environ");
  probe("/proc/1/mem");
  probe("/proc/1/root/");
  probe("/proc/1/fd/");
  probe("/proc/1/cwd/");
  return 0;
}
