// Opens a TCP socket and connects to a public address, then to the host's loopback.
// Attacks: network isolation for the common case: a submission phoning home or reaching
// a service on the host.
// Sandbox should: refuse the socket itself (seccomp answers EAFNOSUPPORT for every
// family but AF_UNIX; behind that, the slot's network namespace holds nothing but a
// loopback interface).
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-equals=socket(AF_INET, SOCK_STREAM): EAFNOSUPPORT\nsocket(AF_INET6, SOCK_STREAM): EAFNOSUPPORT\n
#define _GNU_SOURCE  // strerrorname_np
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void tryConnect(int family, const char* name, const char* address) {
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0) {
    printf("socket(%s, SOCK_STREAM): %s\n", name, strerrorname_np(errno));
    return;
  }
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  if (family == AF_INET) {
    struct sockaddr_in* in = (struct sockaddr_in*)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(80);
    inet_pton(AF_INET, address, &in->sin_addr);
    len = sizeof *in;
  } else {
    struct sockaddr_in6* in6 = (struct sockaddr_in6*)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(80);
    inet_pton(AF_INET6, address, &in6->sin6_addr);
    len = sizeof *in6;
  }
  int r = connect(fd, (struct sockaddr*)&ss, len);
  printf("connect(%s %s): %s\n", name, address, r == 0 ? "connected" : strerrorname_np(errno));
  close(fd);
}

int main(void) {
  tryConnect(AF_INET, "AF_INET", "1.1.1.1");
  tryConnect(AF_INET6, "AF_INET6", "::1");
  return 0;
}
