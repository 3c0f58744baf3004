/* fillfs DIR [nosigxfsz]: write DIR/fill in 1 MiB chunks until a write fails.
 *
 * Output: "wrote <MiB> MiB <ERRNONAME>" (whole MiB written, the error that stopped
 * it; "wrote 0 MiB <ERRNONAME>" when DIR/fill cannot be created). SIGXFSZ keeps its
 * default action, so RLIMIT_FSIZE kills the program; with "nosigxfsz" it is ignored
 * and the write fails with EFBIG instead.
 * Attacks: disk exhaustion of the box (/box, /tmp): a full tmpfs is RAM, and a full
 * shared filesystem breaks the host and other slots.
 * Sandbox should: stop it at the box's tmpfs size (ENOSPC) or RLIMIT_FSIZE (SIGXFSZ
 * / EFBIG), without affecting anything outside the slot, and wipe the file after.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

#define MIB (1024UL * 1024UL)

static char chunk[MIB];

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    if (argc > 2 && strcmp(argv[2], "nosigxfsz") == 0)
        signal(SIGXFSZ, SIG_IGN);
    memset(chunk, 'x', sizeof chunk);

    char path[4096];
    snprintf(path, sizeof path, "%s/fill", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        printf("wrote 0 MiB %s\n", errName(errno));
        return 0;
    }
    unsigned long long total = 0;
    int err = 0;
    for (;;) {
        size_t done = 0;
        while (done < sizeof chunk) {
            ssize_t w = write(fd, chunk + done, sizeof chunk - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                err = w < 0 ? errno : ENOSPC;
                break;
            }
            done += (size_t)w;
        }
        total += done;
        if (err != 0)
            break;
    }
    close(fd);
    printf("wrote %llu MiB %s\n", total / MIB, errName(err));
    return 0;
}
