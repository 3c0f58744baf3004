/* writefile PATH...: for each PATH create/truncate it and write "x".
 *
 * Output: one line per PATH, "<PATH>: ok" or "<PATH>: <ERRNONAME>" (of the open or
 * of the write).
 * Attacks: filesystem integrity: the runtime directories (/usr, /etc, /bin, ...),
 * the root itself, /dev and /proc must not be writable; persistence through them
 * would reach later runs or the host.
 * Sandbox should: refuse writes outside /box and /tmp (EROFS or EACCES; EACCES,
 * ENOENT or the like for /dev and /proc) and allow them in /box and /tmp.
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
        int fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            printf("%s: %s\n", argv[i], errName(errno));
            continue;
        }
        if (write(fd, "x", 1) != 1)
            printf("%s: %s\n", argv[i], errName(errno));
        else
            printf("%s: ok\n", argv[i]);
        close(fd);
    }
    return 0;
}
