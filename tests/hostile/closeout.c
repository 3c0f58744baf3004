/* closeout: close stdout and stderr, then sleep forever.
 *
 * Attacks: a supervisor that treats end of file on the output pipes as "the
 * program has finished". Here the pipes reach end of file at once while the
 * process keeps running.
 * Sandbox should: keep waiting for the process itself (pidfd), kill it at the
 * wall-clock limit and report a time-limit verdict with empty output.
 */
#define _GNU_SOURCE
#include <time.h>
#include <unistd.h>

int main(void)
{
    close(1);
    close(2);
    for (;;) {
        struct timespec ts = {3600, 0};
        nanosleep(&ts, NULL);
    }
}
