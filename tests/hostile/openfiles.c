/* openfiles [N]: open /dev/null up to N times (default 100000), keeping all open.
 *
 * Output: "opened <k> ok" when all N were opened, else "opened <k> <ERRNONAME>".
 * Attacks: file descriptor exhaustion (kernel memory, the system-wide file table).
 * Sandbox should: stop it at RLIMIT_NOFILE with EMFILE, well below N.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 0) : 100000;
    long k = 0;
    const char *result = "ok";
    for (; k < n; k++)
        if (open("/dev/null", O_RDONLY | O_CLOEXEC) < 0) {
            result = errName(errno);
            break;
        }
    printf("opened %ld %s\n", k, result);
    return 0;
}
