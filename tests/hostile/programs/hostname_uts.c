// Renames the host: sethostname and setdomainname.
// Attacks: host identity (UTS); also a check that the slot's UTS namespace is its own.
// Sandbox should: refuse both with EPERM (no CAP_SYS_ADMIN), and show the slot's own
// host name ("codecanvas"), not the host's.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-equals=sethostname: EPERM\nsetdomainname: EPERM\nuname: codecanvas\n
// expect: stdout-not-contains={host_name}
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void) {
  int r = sethostname("pwned", 5);
  printf("sethostname: %s\n", r == 0 ? "done" : strerrorname_np(errno));
  r = setdomainname("pwned", 5);
  printf("setdomainname: %s\n", r == 0 ? "done" : strerrorname_np(errno));
  struct utsname u;
  uname(&u);
  printf("uname: %s\n", u.nodename);
  return 0;
}
