/* Shared by the hostile programs: the symbolic name of an errno value ("ENOENT"), which
 * their output contract prints and the integration tests match, and a complete write. */
#ifndef CODECANVAS_HOSTILE_H
#define CODECANVAS_HOSTILE_H

#include <errno.h>
#include <string.h>
#include <unistd.h>

static inline const char* errName(int e) {
  const char* n = strerrorname_np(e);
  return n != NULL ? n : "E?";
}

/* Writes all n bytes unless write fails (EINTR is retried): 0, or -1 with errno set. */
static inline int writeAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

#endif
