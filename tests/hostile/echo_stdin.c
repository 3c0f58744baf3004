/* echo_stdin: copy stdin to stdout until end of file.
 *
 * Attacks: nothing; checks that the request's stdin reaches the program unchanged
 * (binary-safe) and that end of file is delivered, so the program can finish.
 * Sandbox should: report exit 0 with stdout equal to the given stdin.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

#include "hostile.h"

int main(void)
{
    char buf[65536];
    for (;;) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r == 0)
            return 0;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (writeAll(1, buf, (size_t)r) != 0)
            return 1;
    }
}
