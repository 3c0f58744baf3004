/* manyfiles [N]: create up to N empty files (default 100000) in the cwd.
 *
 * Output: "created <k> ok" when all N were made, else "created <k> <ERRNONAME>"
 * with the error that stopped it.
 * Attacks: inode exhaustion: empty files use no blocks, so a size limit on the
 * box's tmpfs alone does not stop them; without an inode limit they eat kernel
 * memory outside the run's memory accounting.
 * Sandbox should: stop it with ENOSPC (tmpfs nr_inodes) or the memory limit, and
 * wipe the files after the run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 0) : 100000;
    long k = 0;
    const char *result = "ok";
    for (; k < n; k++) {
        char name[32];
        snprintf(name, sizeof name, "f%07ld", k);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            result = errName(errno);
            break;
        }
        close(fd);
    }
    printf("created %ld %s\n", k, result);
    return 0;
}
