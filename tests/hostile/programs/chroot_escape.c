// The classic chroot escape: chroot into a subdirectory while keeping a descriptor of
// the old root, fchdir back to it and climb out with "..", then chroot(".").
// Attacks: the slot's root (entered with pivot_root or, on an initramfs, MS_MOVE plus
// chroot, which this escape undoes when the caller may chroot).
// Sandbox should: kill the program with SIGSYS at the first chroot.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: stdout-equals=chroot(/box/jail)\n
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  mkdir("/box/jail", 0755);
  int old_root = open("/", O_RDONLY | O_DIRECTORY);
  puts("chroot(/box/jail)");
  fflush(stdout);
  if (chroot("/box/jail") != 0) {
    perror("chroot");
    return 1;
  }
  if (fchdir(old_root) != 0) return 1;
  for (int i = 0; i < 64; ++i) (void)chdir("..");
  if (chroot(".") != 0) return 1;
  execl("/bin/ls", "ls", "/", (char*)NULL);
  return 1;
}
