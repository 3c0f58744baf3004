/* hello: the smallest well-behaved program.
 *
 * Attacks: nothing. It is the baseline every other hostile test is compared with:
 * a static binary runs as the slot's uid in /box and its output comes back intact.
 * Sandbox should: report exit status 0 and stdout "hello\n".
 */
#define _GNU_SOURCE
#include <stdio.h>

int main(void)
{
    fputs("hello\n", stdout);
    return 0;
}
