// Asks for raw IP and raw packet sockets (ping, sniffing, forged packets).
// Attacks: network isolation below TCP/UDP; raw sockets also need CAP_NET_RAW, which a
// file capability (ping) could grant if no_new_privs were missing.
// Sandbox should: refuse both with EAFNOSUPPORT.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-equals=AF_INET/SOCK_RAW: EAFNOSUPPORT\nAF_PACKET/SOCK_RAW: EAFNOSUPPORT\n
#define _GNU_SOURCE  // strerrorname_np
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void) {
  int icmp = socket(AF_INET, SOCK_RAW, 1 /* IPPROTO_ICMP */);
  printf("AF_INET/SOCK_RAW: %s\n", icmp >= 0 ? "opened" : strerrorname_np(errno));
  int packet = socket(AF_PACKET, SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */);
  printf("AF_PACKET/SOCK_RAW: %s\n", packet >= 0 ? "opened" : strerrorname_np(errno));
  return 0;
}
