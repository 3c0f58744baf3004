/* memhog [MIB] [malloc|mmap|stack|static]: allocate and touch MIB MiB (default 512).
 *
 * Attacks: the memory limit, through each way a process gets memory:
 *   malloc  heap, 1 MiB blocks, each written so it is really backed
 *   mmap    anonymous private mappings, 1 MiB each
 *   stack   recursion with 1 MiB frames on the main thread's stack (the soft
 *           RLIMIT_STACK is raised to the hard one first, re-executing so the
 *           kernel lays out the address space for the bigger stack)
 *   static  a 512 MiB array in .bss, touched page by page (MIB capped at 512).
 *           Not bigger: the array is mapped at exec in every mode, and a machine
 *           (or VM) with less RAM than it refuses the exec under the default
 *           overcommit heuristic, killing memhog before main().
 * Memory is touched 1 MiB at a time and nothing is printed until the end, so under
 * a limit the program dies without output.
 * Sandbox should: kill it (cgroup OOM kill) and report a memory-limit verdict with a
 * peak near the limit; the host and other slots stay unaffected. Only without a
 * limit does it print "allocated N MiB" and exit 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)
#define STATIC_MIB 512UL

static char staticHog[STATIC_MIB * MIB];

static void touch(volatile char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 4096)
        p[i] = (char)(i | 1);
}

static unsigned long recurse(unsigned long left)
{
    volatile char frame[MIB];
    touch(frame, sizeof frame);
    if (left <= 1)
        return frame[4096];
    /* Using a frame after the call keeps it from becoming a tail call. */
    return recurse(left - 1) + frame[0];
}

/* The kernel places mmap_base below the stack according to RLIMIT_STACK at exec
 * time, so a bigger stack needs the bigger limit before exec: raise and re-exec
 * once (marked by an environment variable so it cannot loop). */
static void growStackLimit(unsigned long mib, char **argv)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)(mib + 64) * MIB;
    if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
        return;
    if (getenv("MEMHOG_REEXEC") != NULL)
        return;
    rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want) ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_STACK, &rl) != 0)
        return;
    setenv("MEMHOG_REEXEC", "1", 1);
    execv("/proc/self/exe", argv);
    execv(argv[0], argv);
    /* No re-exec possible: go on, the stack just may not grow as far. */
}

int main(int argc, char **argv)
{
    unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 512;
    const char *mode = argc > 2 ? argv[2] : "malloc";

    if (strcmp(mode, "malloc") == 0) {
        for (unsigned long i = 0; i < mib; i++) {
            char *p = malloc(MIB);
            if (p == NULL) {
                fprintf(stderr, "malloc failed after %lu MiB\n", i);
                return 1;
            }
            touch(p, MIB);
        }
    } else if (strcmp(mode, "mmap") == 0) {
        for (unsigned long i = 0; i < mib; i++) {
            char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) {
                fprintf(stderr, "mmap failed after %lu MiB: %s\n", i, strerrorname_np(errno));
                return 1;
            }
            touch(p, MIB);
        }
    } else if (strcmp(mode, "stack") == 0) {
        growStackLimit(mib, argv);
        volatile unsigned long sink = mib > 0 ? recurse(mib) : 0;
        (void)sink;
    } else if (strcmp(mode, "static") == 0) {
        if (mib > STATIC_MIB)
            mib = STATIC_MIB;
        touch(staticHog, mib * MIB);
    } else {
        puts("unknown");
        return 2;
    }
    printf("allocated %lu MiB\n", mib);
    return 0;
}
