/* sleeper: sleep forever without using any CPU.
 *
 * Attacks: the wall-clock limit. A CPU limit never triggers because the program
 * never runs.
 * Sandbox should: kill it when the wall-clock limit passes and report a
 * (wall) time-limit verdict with near-zero CPU time.
 */
#define _GNU_SOURCE
#include <time.h>
#include <unistd.h>

int main(void)
{
    for (;;) {
        struct timespec ts = {3600, 0};
        nanosleep(&ts, NULL);
        pause();
    }
}
