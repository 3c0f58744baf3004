// Maps a file of one page, shrinks the file to nothing and touches the mapping.
// Attacks: crash reporting for SIGBUS (an access to a mapped page past the end of its
// file).
// Sandbox should: report runtime_error, signal SIGBUS.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=runtime_error
// expect: signal=SIGBUS
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  int fd = open("/box/bus", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 4096) != 0) return 1;
  volatile char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED || ftruncate(fd, 0) != 0) return 1;
  p[0] = 1;
  return 0;
}
