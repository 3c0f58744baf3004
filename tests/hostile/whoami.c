/* whoami: print the credentials and security state the program runs with.
 *
 * Output, exactly:
 *   uid=U euid=U gid=G egid=G
 *   groups=N                      (number of supplementary groups)
 *   then, verbatim, every line of /proc/self/status that starts with CapInh,
 *   CapPrm, CapEff, CapBnd, CapAmb, NoNewPrivs or Seccomp (so Seccomp_filters too)
 * Attacks: nothing by itself; it shows whether the privilege drop happened: the
 * slot's own non-zero uid and gid, no supplementary groups, every capability set
 * zero (bounding set included), no_new_privs 1 and seccomp mode 2 (filter).
 * Sandbox should: produce exactly that.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const kPrefixes[] = {
    "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp",
};

int main(void)
{
    printf("uid=%u euid=%u gid=%u egid=%u\n", getuid(), geteuid(), getgid(), getegid());
    printf("groups=%d\n", getgroups(0, NULL));

    FILE *status = fopen("/proc/self/status", "r");
    if (status == NULL) {
        perror("/proc/self/status");
        return 1;
    }
    char line[4096];
    while (fgets(line, sizeof line, status) != NULL)
        for (size_t i = 0; i < sizeof kPrefixes / sizeof kPrefixes[0]; i++)
            if (strncmp(line, kPrefixes[i], strlen(kPrefixes[i])) == 0) {
                fputs(line, stdout);
                break;
            }
    fclose(status);
    return 0;
}
