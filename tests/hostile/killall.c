/* killall: send SIGKILL to every process it may signal, and to pid 1.
 *
 * Output: "kill -1: <result>" then "kill 1: <result>", result "ok" or <ERRNONAME>;
 * exit 0 (kill(-1) spares the caller).
 * Attacks: the sandbox's own processes and everything sharing its uid: the slot
 * keeper (pid 1 of the slot's pid namespace), other runs, the server, the host.
 * NEVER run it outside a sandbox: as root it kills the whole machine's userland.
 * Sandbox should: confine it to the slot's pid namespace and uid, where the keeper
 * ignores it (a namespace init only gets signals it handles; SIGKILL from inside
 * the namespace is dropped), so the slot keeps working and nothing outside is hit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char *result(int rc)
{
    if (rc == 0)
        return "ok";
    const char *n = strerrorname_np(errno);
    return n != NULL ? n : "E?";
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("kill -1: %s\n", result(kill(-1, SIGKILL)));
    printf("kill 1: %s\n", result(kill(1, SIGKILL)));
    return 0;
}
