/* spin_threads [N]: N threads (default 4) busy looping forever.
 *
 * Attacks: CPU accounting across threads. With N threads the process burns N CPU
 * seconds per wall second, so a limit measured per thread or as wall time is
 * passed N times over. Thread creation counts against pids.max too.
 * Sandbox should: kill it once the summed CPU time passes the limit (time-limit
 * verdict); CPU time may exceed wall time.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *spinForever(void *arg)
{
    volatile unsigned long counter = 0;
    (void)arg;
    for (;;)
        counter = counter + 1;
    return NULL;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 0) : 4;
    long started = 0;
    for (long i = 0; i < n; i++) {
        pthread_t t;
        int err = pthread_create(&t, NULL, spinForever, NULL);
        if (err != 0) {
            /* Under pids.max the later threads fail: spin with what we have. */
            fprintf(stderr, "pthread_create %ld: %s\n", i, strerrorname_np(err));
            break;
        }
        started++;
    }
    if (started == 0)
        spinForever(NULL);
    for (;;)
        pause();
}
