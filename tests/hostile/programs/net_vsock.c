// Connects to the hypervisor over AF_VSOCK (cid 2, the host of a virtual machine).
// Attacks: the path from a guest to services of the machine it runs on, which no
// network namespace covers.
// Sandbox should: refuse the socket with EAFNOSUPPORT.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-equals=AF_VSOCK: EAFNOSUPPORT\n
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void) {
  int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
  if (fd < 0) {
    printf("AF_VSOCK: %s\n", strerrorname_np(errno));
    return 0;
  }
  struct sockaddr_vm vm;
  memset(&vm, 0, sizeof vm);
  vm.svm_family = AF_VSOCK;
  vm.svm_cid = VMADDR_CID_HOST;
  vm.svm_port = 22;
  int r = connect(fd, (struct sockaddr*)&vm, sizeof vm);
  printf("AF_VSOCK connect: %s\n", r == 0 ? "connected" : strerrorname_np(errno));
  return 0;
}
