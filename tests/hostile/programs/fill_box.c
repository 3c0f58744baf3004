// Writes one file in /box until a write fails, and says why.
// Attacks: the size of /box (a tmpfs of 64 MiB in each slot) and, behind it, the disk or
// memory of the host. SIGXFSZ is ignored so that the file size limit shows as EFBIG.
// Sandbox should: stop the writes with ENOSPC (the tmpfs is full) or EFBIG (the 64 MiB
// file size limit), whichever comes first: here the source and the compiled program in
// /box leave less than the file size limit free.
// limits: cpu_ms=2000 wall_ms=5000 memory_kb=262144
// expect: status=ok
// expect: stdout-line=write failed after [0-9]+ MiB: ENOSPC
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  signal(SIGXFSZ, SIG_IGN);
  int fd = open("/box/fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    printf("open: %s\n", strerrorname_np(errno));
    return 1;
  }
  static char block[1 << 20];
  memset(block, 'f', sizeof block);
  for (unsigned long mib = 0;; ++mib) {
    for (size_t done = 0; done < sizeof block;) {
      ssize_t n = write(fd, block + done, sizeof block - done);
      if (n < 0) {
        printf("write failed after %lu MiB: %s\n", mib, strerrorname_np(errno));
        return 0;
      }
      done += (size_t)n;
    }
  }
}
