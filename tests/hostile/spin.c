/* spin: burn CPU forever in a busy loop.
 *
 * Attacks: the CPU time limit. No system calls at all, so nothing but the cgroup
 * CPU counter (or RLIMIT_CPU) can notice it.
 * Sandbox should: kill it soon after the CPU limit and report a time-limit verdict
 * (CPU time about the limit, never a wall-clock verdict alone).
 */
#define _GNU_SOURCE

int main(void)
{
    volatile unsigned long counter = 0;
    for (;;)
        counter = counter + 1;
}
