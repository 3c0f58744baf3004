/* readfile PATH...: for each PATH open it read-only and read up to 4 KiB.
 *
 * Output: one line per PATH, "<PATH>: ok <bytes read>" or "<PATH>: <ERRNONAME>" (of
 * the open or of the read; reading 0 bytes at end of file is ok).
 * Attacks: filesystem confidentiality: host files that must not be visible
 * (/etc/shadow, /root, the server's config, other slots' boxes, /proc/1/environ,
 * /sys/firmware, ...).
 * Sandbox should: make such paths absent (ENOENT) or unreadable (EACCES), while the
 * runtime files bound read-only stay readable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            printf("%s: %s\n", argv[i], errName(errno));
            continue;
        }
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0)
            printf("%s: %s\n", argv[i], errName(errno));
        else
            printf("%s: ok %zd\n", argv[i], n);
        close(fd);
    }
    return 0;
}
