/* net: try to open sockets of each family, then list the network interfaces.
 *
 * Output: one line per attempt, "socket <name>: ok" or "socket <name>: <ERRNONAME>",
 * with <name> one of AF_INET/SOCK_STREAM, AF_INET/SOCK_DGRAM, AF_INET/SOCK_RAW,
 * AF_INET6/SOCK_STREAM, AF_NETLINK/SOCK_RAW, AF_PACKET/SOCK_RAW, AF_VSOCK/SOCK_STREAM;
 * then "iface <name>" for every interface in /proc/net/dev (or
 * "/proc/net/dev: <ERRNONAME>"). Output is line-buffered so lines printed before a
 * seccomp kill are not lost.
 * Attacks: network isolation. A socket is harmless by itself, but any interface
 * besides lo would mean a route out; raw, packet, netlink and vsock sockets are
 * attack surface (kernel bugs, host services over vsock).
 * Sandbox should: show "iface lo" only (an empty network namespace); a socket()
 * either fails or the program dies by SIGSYS, as the seccomp policy says.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "hostile.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

struct Attempt {
    const char *name;
    int domain, type, protocol;
};

static const struct Attempt kAttempts[] = {
    {"AF_INET/SOCK_STREAM", AF_INET, SOCK_STREAM, 0},
    {"AF_INET/SOCK_DGRAM", AF_INET, SOCK_DGRAM, 0},
    {"AF_INET/SOCK_RAW", AF_INET, SOCK_RAW, 1 /* IPPROTO_ICMP */},
    {"AF_INET6/SOCK_STREAM", AF_INET6, SOCK_STREAM, 0},
    {"AF_NETLINK/SOCK_RAW", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE},
    {"AF_PACKET/SOCK_RAW", AF_PACKET, SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */},
    {"AF_VSOCK/SOCK_STREAM", AF_VSOCK, SOCK_STREAM, 0},
};

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof kAttempts / sizeof kAttempts[0]; i++) {
        const struct Attempt *a = &kAttempts[i];
        int fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->protocol);
        if (fd >= 0) {
            printf("socket %s: ok\n", a->name);
            close(fd);
        } else {
            printf("socket %s: %s\n", a->name, errName(errno));
        }
    }

    FILE *dev = fopen("/proc/net/dev", "r");
    if (dev == NULL) {
        printf("/proc/net/dev: %s\n", errName(errno));
        return 0;
    }
    char line[1024];
    while (fgets(line, sizeof line, dev) != NULL) {
        char *colon = strchr(line, ':');
        if (colon == NULL || strchr(line, '|') != NULL)
            continue; /* the two header lines */
        *colon = '\0';
        char *name = line + strspn(line, " \t");
        printf("iface %s\n", name);
    }
    fclose(dev);
    return 0;
}
