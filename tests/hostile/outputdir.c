/* outputdir: leave files for the controller in /box/outputs/ (a run's output directory),
 * and try to make it read what it must not.
 *
 * Output: "dir ok" when /box/outputs is a directory this program may write into (else
 * "dir <ERRNONAME>"), then one line per attempt: "result ok" (outputs/result.txt, content
 * "result\n"), "link ok" (outputs/passwd, a symbolic link to /etc/passwd), "fifo ok"
 * (outputs/fifo, a FIFO nobody writes), "stray ok" (/box/stray, beside the directory),
 * each "<name> <ERRNONAME>" when it failed.
 * Attacks: the controller (root, outside the slot) reads the output directory after the
 * run: a link would make it read the host's file, a FIFO would block its read.
 * Sandbox should: hand back result.txt only; leave nothing (outputs/ included) for the
 * next job in the slot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

static void report(const char *what, int rc)
{
    if (rc == 0)
        printf("%s ok\n", what);
    else
        printf("%s %s\n", what, errName(errno));
}

static int writeFile(const char *path, const char *text, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int rc = write(fd, text, n) == (ssize_t)n ? 0 : -1;
    close(fd);
    return rc;
}

int main(void)
{
    struct stat st;
    if (stat("/box/outputs", &st) != 0)
        report("dir", -1);
    else if (!S_ISDIR(st.st_mode) || access("/box/outputs", W_OK) != 0)
        report("dir", (errno = EACCES, -1));
    else
        report("dir", 0);
    report("result", writeFile("/box/outputs/result.txt", "result\n", 7));
    report("link", symlink("/etc/passwd", "/box/outputs/passwd"));
    report("fifo", mkfifo("/box/outputs/fifo", 0644));
    report("stray", writeFile("/box/stray", "x", 1));
    return 0;
}
