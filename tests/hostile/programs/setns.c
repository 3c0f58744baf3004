// Joins the mount namespace of pid 1 through a descriptor of /proc/1/ns/mnt, or, when
// that is refused, its own (the call itself is the point).
// Attacks: namespaces: setns into a more privileged process's namespaces.
// Sandbox should: deny the descriptor of pid 1's namespace (EACCES: pid 1 is root) and
// kill the program with SIGSYS at setns.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: stdout-equals=open(/proc/1/ns/mnt): EACCES\nsetns(/proc/self/ns/mnt)\n
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  int fd = open("/proc/1/ns/mnt", O_RDONLY);
  if (fd >= 0) {
    puts("setns(/proc/1/ns/mnt)");
  } else {
    printf("open(/proc/1/ns/mnt): %s\n", strerrorname_np(errno));
    fd = open("/proc/self/ns/mnt", O_RDONLY);
    puts("setns(/proc/self/ns/mnt)");
  }
  fflush(stdout);
  int r = setns(fd, CLONE_NEWNS);
  printf("setns returned %d\n", r);
  return 0;
}
