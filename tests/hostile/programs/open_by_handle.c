// The "shocker" escape: get a file handle with name_to_handle_at, then open files by
// handle with open_by_handle_at, which skips the path walk and so the mount namespace
// (with CAP_DAC_READ_SEARCH, handles can be forged for any inode of a bound file system).
// Attacks: the file system view.
// Sandbox should: kill the program with SIGSYS at name_to_handle_at.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: stdout-equals=name_to_handle_at(/usr/bin)\n
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  struct file_handle* handle = malloc(sizeof *handle + MAX_HANDLE_SZ);
  if (handle == NULL) return 1;
  handle->handle_bytes = MAX_HANDLE_SZ;
  int mount_id = 0;
  puts("name_to_handle_at(/usr/bin)");
  fflush(stdout);
  int r = name_to_handle_at(AT_FDCWD, "/usr/bin", handle, &mount_id, 0);
  printf("name_to_handle_at returned %d\n", r);
  int fd = open_by_handle_at(AT_FDCWD, handle, O_RDONLY);
  printf("open_by_handle_at returned %d\n", fd);
  return 0;
}
