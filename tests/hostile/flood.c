/* flood [MIB] [stdout|stderr|line]: write MIB MiB (default 100) of output.
 *   stdout  64-byte lines to stdout (default)
 *   stderr  64-byte lines to stderr
 *   line    one huge line without any newline to stdout
 * Attacks: the output cap and the server's memory: a reader that buffers all
 * output, or splits it into lines, grows without bound.
 * Sandbox should: stop reading at the output cap (kill the program or let it block
 * and die at the time limit), report an output-limit verdict, and return at most
 * the cap in the result. Exits 0 only when everything was written; a failed
 * write exits 1 (a closed pipe kills it with SIGPIPE first).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

#define MIB (1024UL * 1024UL)

static char block[MIB];

int main(int argc, char **argv)
{
    unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 100;
    const char *mode = argc > 2 ? argv[2] : "stdout";
    int fd = strcmp(mode, "stderr") == 0 ? 2 : 1;
    int oneLine = strcmp(mode, "line") == 0;

    for (size_t i = 0; i < sizeof block; i++)
        block[i] = (char)('a' + i % 26);
    if (!oneLine)
        for (size_t i = 63; i < sizeof block; i += 64)
            block[i] = '\n';
    for (unsigned long i = 0; i < mib; i++)
        if (writeAll(fd, block, sizeof block) != 0)
            return 1;
    return 0;
}
