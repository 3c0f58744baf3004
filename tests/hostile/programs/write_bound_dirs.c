// Tries to create a file in every directory mounted in the slot, and to open every
// mounted file for writing, as listed by /proc/self/mountinfo. Device nodes are skipped:
// writing /dev/null is allowed and harmless.
// Attacks: the host directories bound into the slot (/usr, /opt, /etc/...), the slot's
// own root and the kernel's tunables in /proc/sys.
// Sandbox should: allow writes in /box and /tmp only: every bound directory is a
// read-only mount (EROFS), and so are the root and /dev; bound files are the host's
// root-owned 0644 files, so permissions refuse first (EACCES); procfs has no files to
// create (ENOENT). write_canary checks read-only binds with a world-writable host file.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-contains=/box (dir): created\n
// expect: stdout-contains=/tmp (dir): created\n
// expect: stdout-contains=/ (dir): EROFS\n
// expect: stdout-contains=/usr (dir): EROFS\n
// expect: stdout-contains=/opt (dir): EROFS\n
// expect: stdout-contains=/etc/alternatives (dir): EROFS\n
// expect: stdout-contains=/etc/ld.so.cache (file): EACCES\n
// expect: stdout-contains=/proc (dir): ENOENT\n
// expect: stdout-contains=/proc/sys (dir): ENOENT\n
// expect: stdout-contains=/dev (dir): EROFS\n
// expect: stdout-no-line=(?!/box |/tmp ).*: (created|opened)
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void attack(const char* mount_point) {
  struct stat st;
  if (stat(mount_point, &st) != 0) {
    printf("%s: stat %s\n", mount_point, strerrorname_np(errno));
    return;
  }
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    printf("%s (device): skipped\n", mount_point);
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    char path[4200];
    snprintf(path, sizeof path, "%s/hostile-was-here",
             strcmp(mount_point, "/") == 0 ? "" : mount_point);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    printf("%s (dir): %s\n", mount_point, fd >= 0 ? "created" : strerrorname_np(errno));
    if (fd >= 0) close(fd);
    return;
  }
  int fd = open(mount_point, O_WRONLY | O_APPEND);
  printf("%s (file): %s\n", mount_point, fd >= 0 ? "opened" : strerrorname_np(errno));
  if (fd >= 0) close(fd);
}

int main(void) {
  FILE* f = fopen("/proc/self/mountinfo", "r");
  if (f == NULL) return 1;
  char line[8192];
  while (fgets(line, sizeof line, f) != NULL) {
    // id parent major:minor root mount-point ...
    char mount_point[4096];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mount_point) == 1) attack(mount_point);
  }
  fclose(f);
  return 0;
}
