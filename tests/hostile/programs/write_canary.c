// Attacks the suite's canary: a world-writable directory (mode 0777) holding a
// world-writable file (mode 0666), made by the test on the host below /usr/local/share,
// inside the /usr the slot binds. argv[1] is the directory. Every kind of change is
// tried: append, truncate, create a sibling, rename, unlink, chmod, utimes.
// Attacks: read-only binds: here file permissions would allow every change, so only the
// read-only mount stands in the way.
// Sandbox should: refuse each with EROFS (the test then checks content and mtime on the
// host).
// limits: cpu_ms=1000 wall_ms=3000
// args: {canary_dir}
// expect: status=ok
// expect: stdout-equals=append: EROFS\ntruncate: EROFS\ncreate: EROFS\nrename: EROFS\nunlink: EROFS\nchmod: EROFS\nutimes: EROFS\n
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char* what, int r) {
  printf("%s: %s\n", what, r >= 0 ? "done" : strerrorname_np(errno));
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  char file[4096], sibling[4096], renamed[4096];
  snprintf(file, sizeof file, "%s/canary", argv[1]);
  snprintf(sibling, sizeof sibling, "%s/planted", argv[1]);
  snprintf(renamed, sizeof renamed, "%s/renamed", argv[1]);
  struct stat st;
  if (stat(file, &st) != 0 || (st.st_mode & 0777) != 0666) {
    printf("no world-writable canary at %s\n", file);
    return 1;
  }
  int fd = open(file, O_WRONLY | O_APPEND);
  report("append", fd >= 0 ? (int)write(fd, "x", 1) : -1);
  report("truncate", truncate(file, 0));
  report("create", open(sibling, O_WRONLY | O_CREAT | O_EXCL, 0644));
  report("rename", rename(file, renamed));
  report("unlink", unlink(file));
  report("chmod", chmod(file, 0777));
  report("utimes", utimensat(AT_FDCWD, file, NULL, 0));
  return 0;
}
