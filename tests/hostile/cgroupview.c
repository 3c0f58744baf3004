/* cgroupview: prints /proc/self/cgroup as the program sees it.
 *
 * Output: the file's lines, "<id>:<controllers>:<path>", or "cgroupview: <ERRNONAME>".
 * Attacks: confidentiality of the host's cgroup tree: a path like
 * /system.slice/x/codecanvas-<pid>/slot-0/run-7 tells a program the server's pid, where
 * the host keeps it and how many runs came before.
 * Sandbox should: root the cgroup namespace at the slot, so that every path is "/",
 * "/run-<n>" (the run's own directory) or "/shared" (a v1 slot's reused cpuacct/pids
 * directory).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "hostile.h"

int main(void)
{
    int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        printf("cgroupview: %s\n", errName(errno));
        return 0;
    }
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, stdout);
    if (n < 0) printf("cgroupview: %s\n", errName(errno));
    close(fd);
    return 0;
}
