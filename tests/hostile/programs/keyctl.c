// Reads the session keyring and adds a key to it.
// Attacks: the kernel keyring, which is not namespaced by mount or pid namespaces and
// has a long history of exploits and of keys leaking between containers.
// Sandbox should: kill the program with SIGSYS at the first keyctl.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: stdout-equals=keyctl(KEYCTL_GET_KEYRING_ID)\n
#include <linux/keyctl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  puts("keyctl(KEYCTL_GET_KEYRING_ID)");
  fflush(stdout);
  long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  printf("keyring %ld\n", id);
  long key = syscall(SYS_add_key, "user", "codecanvas", "secret", 6, KEY_SPEC_SESSION_KEYRING);
  printf("add_key returned %ld\n", key);
  return 0;
}
