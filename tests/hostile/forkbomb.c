/* forkbomb: fork forever; every child forks too; failures are ignored; all spin.
 *
 * Attacks: the process limit (pids.max / RLIMIT_NPROC) and the cleanup after a
 * run: when it is killed there are many processes, some being born, to reap.
 * NEVER run it outside a sandbox.
 * Sandbox should: cap the number of processes, kill the whole process tree at the
 * time limit (or as soon as the limit is hit), and leave no process behind in the
 * slot; the host and other slots keep working.
 */
#define _GNU_SOURCE
#include <unistd.h>

int main(void)
{
    volatile unsigned long counter = 0;
    for (;;) {
        (void)fork();
        for (int i = 0; i < 100000; i++)
            counter = counter + 1;
    }
}
