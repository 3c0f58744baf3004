// Opens netlink sockets: routing (to list or change interfaces and routes) and audit.
// Attacks: the kernel's netlink interfaces, a large attack surface and a way to learn
// about (or, with privileges, reconfigure) the network.
// Sandbox should: refuse them with EAFNOSUPPORT.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-equals=NETLINK_ROUTE: EAFNOSUPPORT\nNETLINK_AUDIT: EAFNOSUPPORT\n
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void) {
  int route = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  printf("NETLINK_ROUTE: %s\n", route >= 0 ? "opened" : strerrorname_np(errno));
  int audit = socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
  printf("NETLINK_AUDIT: %s\n", audit >= 0 ? "opened" : strerrorname_np(errno));
  return 0;
}
