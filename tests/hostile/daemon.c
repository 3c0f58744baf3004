/* daemon: leave a detached grandchild behind, the classic double fork.
 *
 * The middle process forks the grandchild and exits at once; the grandchild calls
 * setsid(), closes stdin/stdout/stderr and sleeps forever. The original prints
 * "daemon <pid of grandchild>" and exits 0.
 * Attacks: cleanup after a run. The program's own process is gone, its output pipes
 * are closed, and the grandchild is in a new session re-parented to the slot's init:
 * a supervisor that only waits for its child (or for EOF) never sees it.
 * Sandbox should: report exit 0 right away and kill the grandchild during cleanup
 * (cgroup.kill / killing the pid namespace), so no process outlives the run.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    int pipefd[2];
    if (pipe(pipefd) != 0) {
        perror("pipe");
        return 1;
    }
    pid_t middle = fork();
    if (middle < 0) {
        perror("fork");
        return 1;
    }
    if (middle == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) {
            close(pipefd[0]);
            close(pipefd[1]);
            setsid();
            close(0);
            close(1);
            close(2);
            for (;;) {
                struct timespec ts = {3600, 0};
                nanosleep(&ts, NULL);
            }
        }
        if (write(pipefd[1], &grandchild, sizeof grandchild) != (ssize_t)sizeof grandchild)
            _exit(1);
        _exit(grandchild < 0 ? 1 : 0);
    }
    close(pipefd[1]);
    pid_t grandchild = -1;
    ssize_t n = read(pipefd[0], &grandchild, sizeof grandchild);
    waitpid(middle, NULL, 0);
    if (n != (ssize_t)sizeof grandchild || grandchild <= 0) {
        fputs("daemon: fork of the grandchild failed\n", stderr);
        return 1;
    }
    printf("daemon %d\n", (int)grandchild);
    return 0;
}
