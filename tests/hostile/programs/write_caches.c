// Tries to damage the caches every slot shares read-only: the c++ profile's precompiled
// header and the java profile's class-data-sharing archive (scripts/setup.sh makes them
// under /usr/local/lib/codecanvas). For each: open it for writing (truncating), chmod it,
// remove it, rename it, and create a file beside it. A poisoned header or archive would
// change what every later program of every user compiles or runs.
// Attacks: the compile and start-up caches the slots share.
// Sandbox should: refuse every change (a read-only bind of root-owned files: EACCES or
// EROFS; ENOENT on a machine set up without that language).
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-line=/usr/local/lib/codecanvas/pch/bits/stdc\+\+\.h\.gch open: (EACCES|EROFS|ENOENT)
// expect: stdout-line=/usr/local/lib/codecanvas/cds/java\.jsa open: (EACCES|EROFS|ENOENT)
// expect: stdout-line=/usr/local/lib/codecanvas/cds/java\.jsa unlink: (EACCES|EROFS|ENOENT)
// expect: stdout-line=/usr/local/lib/codecanvas/cds beside: (EACCES|EROFS|ENOENT)
// expect: stdout-no-line=.*: done
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char* path, const char* op, int rc) {
  const char* name = rc == 0 ? "done" : strerrorname_np(errno);
  printf("%s %s: %s\n", path, op, name != NULL ? name : "E?");
}

static void attack(const char* dir, const char* file) {
  char path[256], moved[300], beside[300];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  snprintf(moved, sizeof moved, "%s.moved", path);
  snprintf(beside, sizeof beside, "%s/planted", dir);
  int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  report(path, "open", fd >= 0 ? 0 : -1);
  if (fd >= 0) close(fd);
  report(path, "chmod", chmod(path, 0666));
  report(path, "unlink", unlink(path));
  report(path, "rename", rename(path, moved));
  fd = open(beside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  report(dir, "beside", fd >= 0 ? 0 : -1);
  if (fd >= 0) close(fd);
}

int main(void) {
  attack("/usr/local/lib/codecanvas/pch/bits", "stdc++.h.gch");
  attack("/usr/local/lib/codecanvas/cds", "java.jsa");
  return 0;
}
