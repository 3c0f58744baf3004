/* ps: list the processes this program can see.
 *
 * Output: "pid <n> <comm>" for every numeric entry of /proc (comm "?" when it
 * cannot be read), then "count <n>".
 * Attacks: process isolation: a visible host process leaks information (command
 * lines, environment) and is a target for signals and ptrace.
 * Sandbox should: give the run its own pid namespace and /proc, so that only the
 * slot's own processes (its init/keeper and this program) show up.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int isNumber(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

int main(void)
{
    DIR *proc = opendir("/proc");
    if (proc == NULL) {
        perror("/proc");
        return 1;
    }
    int count = 0;
    struct dirent *e;
    while ((e = readdir(proc)) != NULL) {
        if (!isNumber(e->d_name))
            continue;
        char path[300], comm[64] = "?";
        snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = read(fd, comm, sizeof comm - 1);
            comm[n > 0 ? n : 0] = '\0';
            comm[strcspn(comm, "\n")] = '\0';
            if (comm[0] == '\0')
                strcpy(comm, "?");
            close(fd);
        }
        printf("pid %s %s\n", e->d_name, comm);
        count++;
    }
    closedir(proc);
    printf("count %d\n", count);
    return 0;
}
