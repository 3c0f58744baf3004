/* peer: one round of a conversation over stdin and stdout.
 *
 * Output: "ping\n" on stdout, then, after reading one line from stdin, "got <line>"
 * on stderr (the line with its newline, or "got EOF\n" when stdin ended first);
 * exit 0.
 * Attacks: nothing; checks that a run wired to another program (an interactive
 * judge's solution and interactor, each in its own slot) reaches it both ways.
 * Sandbox should: carry "ping" to the other program and its answer back.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

#include "hostile.h"

int main(void)
{
    if (writeAll(1, "ping\n", 5) != 0)
        return 1;
    char line[256];
    size_t n = 0;
    while (n + 1 < sizeof line) {
        ssize_t r = read(0, line + n, 1);
        if (r <= 0)
            break;
        if (line[n++] == '\n')
            break;
    }
    if (n == 0)
        return writeAll(2, "got EOF\n", 8) == 0 ? 0 : 1;
    return writeAll(2, "got ", 4) == 0 && writeAll(2, line, n) == 0 ? 0 : 1;
}
