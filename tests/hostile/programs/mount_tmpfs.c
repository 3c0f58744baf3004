// Mounts a tmpfs over /usr, then tries a read-write remount of the root.
// Attacks: the slot's mount table: a new mount could hide or replace what the sandbox
// bound, a remount could make the read-only root writable.
// Sandbox should: kill the program with SIGSYS at the first mount call (without
// CAP_SYS_ADMIN it would only get EPERM; the policy does not let it try).
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: stdout-equals=mount(tmpfs, /usr)\n
#include <stdio.h>
#include <sys/mount.h>

int main(void) {
  puts("mount(tmpfs, /usr)");
  fflush(stdout);
  int r = mount("none", "/usr", "tmpfs", 0, NULL);
  printf("mount returned %d\n", r);
  r = mount(NULL, "/", NULL, MS_REMOUNT, NULL);
  printf("remount returned %d\n", r);
  return 0;
}
