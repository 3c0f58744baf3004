/* fds: list the open file descriptors this program inherited.
 *
 * Output: "fd <n> <target>" for every entry of /proc/self/fd (target as readlink
 * gives it, "?" if unreadable) except the descriptor of the listing itself, then
 * "count <n>".
 * Attacks: descriptor leaks: a server socket, the keeper's control socket, a
 * cgroup or pidfd, or another run's pipe inherited by the program would let it
 * talk to or steer things outside the box.
 * Sandbox should: pass exactly fds 0, 1 and 2 (count 3): stdin and the two output
 * pipes (or /dev/null).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL) {
        perror("/proc/self/fd");
        return 1;
    }
    int self = dirfd(dir);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (atoi(e->d_name) == self)
            continue;
        char target[4096];
        ssize_t n = readlinkat(self, e->d_name, target, sizeof target - 1);
        if (n < 0)
            n = snprintf(target, sizeof target, "?");
        target[n] = '\0';
        printf("fd %s %s\n", e->d_name, target);
        count++;
    }
    closedir(dir);
    printf("count %d\n", count);
    return 0;
}
