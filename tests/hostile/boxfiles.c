/* boxfiles: list the working directory, then leave markers in /box and /tmp.
 *
 * Output: "entry <name>" for every entry of the cwd except . and .., then
 * "count <n>", then "marker ok" when both /box/marker and /tmp/marker were written
 * (content "x"), or "marker <ERRNONAME>" for the first failure.
 * Attacks: leftovers between runs: files of an earlier run (another user's code,
 * inputs, outputs) seen by the next run in the same slot. Run it twice in a slot:
 * Sandbox should: show only what this run was given (the program, its inputs) the
 * second time too, i.e. no "marker" entry; /tmp/marker is gone as well.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

/* 0 on success, else errno. */
static int writeMarker(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    int err = write(fd, "x", 1) == 1 ? 0 : errno;
    close(fd);
    return err;
}

int main(void)
{
    DIR *dir = opendir(".");
    if (dir == NULL) {
        perror(".");
        return 1;
    }
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        printf("entry %s\n", e->d_name);
        count++;
    }
    closedir(dir);
    printf("count %d\n", count);

    int err = writeMarker("/box/marker");
    if (err == 0)
        err = writeMarker("/tmp/marker");
    if (err == 0)
        puts("marker ok");
    else
        printf("marker %s\n", errName(err));
    return 0;
}
