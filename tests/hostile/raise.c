/* raise SIGNAME: die by a real fault of the named kind (not by kill(2)).
 *
 * Attacks: nothing; checks that a program killed by a signal is reported as such
 * with the right signal, and that faults inside the sandbox stay inside it.
 *   SIGSEGV  write through a null pointer
 *   SIGFPE   integer division by zero
 *   SIGABRT  abort()
 *   SIGBUS   touch a page of a shared mapping that lies past the end of its file
 * Sandbox should: report "killed by <SIGNAME>" (a runtime error), not a crash of
 * its own. If the fault does not kill us we print "survived <SIGNAME>" and exit 1;
 * an unknown name prints "unknown" and exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void segv(void)
{
    /* Both volatile: the compiler can neither prove the pointer null (and emit a
     * trap instruction, SIGILL) nor drop the store as one to no object. */
    volatile int *volatile p = NULL;
    *p = 42;
}

static void fpe(void)
{
    volatile int zero = 0;
    volatile int one = 1;
    volatile int q = one / zero;
    (void)q;
}

/* A file of size 0 for SIGBUS: a memfd, or else an unlinked file in /tmp or the cwd. */
static int emptyFile(void)
{
    int fd = memfd_create("raise-sigbus", MFD_CLOEXEC);
    if (fd >= 0)
        return fd;
    fd = open("/tmp", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    fd = open("raise-sigbus.tmp", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0)
        unlink("raise-sigbus.tmp");
    return fd;
}

static void bus(void)
{
    int fd = emptyFile();
    if (fd < 0) {
        printf("no file for SIGBUS: %s\n", strerrorname_np(errno));
        return;
    }
    long page = sysconf(_SC_PAGESIZE);
    volatile char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        printf("mmap: %s\n", strerrorname_np(errno));
        return;
    }
    p[0] = 1; /* the file has no page 0: SIGBUS */
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "";
    if (strcmp(name, "SIGSEGV") == 0)
        segv();
    else if (strcmp(name, "SIGFPE") == 0)
        fpe();
    else if (strcmp(name, "SIGABRT") == 0)
        abort();
    else if (strcmp(name, "SIGBUS") == 0)
        bus();
    else {
        puts("unknown");
        return 2;
    }
    printf("survived %s\n", name);
    return 1;
}
