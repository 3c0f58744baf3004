// Connects to an abstract AF_UNIX socket that the test suite listens on, on the host.
// Abstract names belong to the network namespace, not to the file system, so a slot
// sharing the host's network namespace would reach it (and any host service listening
// the same way: D-Bus, X11, containerd...). argv[1] is the name, without the leading NUL.
// Attacks: the one socket family seccomp allows.
// Sandbox should: find nobody listening (ECONNREFUSED): the slot has its own namespace.
// limits: cpu_ms=1000 wall_ms=3000
// args: {abstract_socket}
// expect: status=ok
// expect: stdout-equals=socket: ok\nconnect: ECONNREFUSED\n
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("socket: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
  if (fd < 0) return 0;
  struct sockaddr_un un;
  memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  size_t n = strlen(argv[1]);
  if (n > sizeof un.sun_path - 1) n = sizeof un.sun_path - 1;
  memcpy(un.sun_path + 1, argv[1], n);  // sun_path[0] == 0: the abstract namespace
  int r = connect(fd, (struct sockaddr*)&un,
                  (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n));
  printf("connect: %s\n", r == 0 ? "connected" : strerrorname_np(errno));
  if (r == 0) {
    char buf[256];
    ssize_t got = read(fd, buf, sizeof buf - 1);
    if (got > 0) printf("host said: %.*s\n", (int)got, buf);
  }
  return 0;
}
