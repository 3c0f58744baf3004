/* exitcode N: exit with status N (default 0).
 *
 * Attacks: nothing; checks that the exit status travels unchanged from the program
 * through the processor and the controller to the result (0..255, including 255).
 * Sandbox should: report "exited with N" (N modulo 256), no signal.
 */
#define _GNU_SOURCE
#include <stdlib.h>

int main(int argc, char **argv)
{
    exit(argc > 1 ? (int)strtol(argv[1], NULL, 0) : 0);
}
