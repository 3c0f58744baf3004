// Runs a setuid-root program of the host (/usr/bin/newgrp, bound read-only from /usr),
// waits until it asks for a password (so its exec, credentials included, is complete and
// it is blocked reading a pipe), and reads its identity from /proc.
// Attacks: privilege escalation through the host's setuid binaries (su, mount, passwd,
// newgrp... all visible in the slot).
// Sandbox should: run it with the caller's identity: /usr is mounted nosuid and the
// program has no_new_privs, either of which keeps the setuid bit from taking effect.
// limits: cpu_ms=1000 wall_ms=4000
// expect: status=ok
// expect: stdout-line=/usr/bin/newgrp ran with uids (6100[01]) \1 \1 \1 \(caller \1\)
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

// The Uid line of /proc/<pid>/status with tabs as spaces, or "" when unreadable.
static void uidsOf(pid_t pid, char* out, size_t size) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  out[0] = '\0';
  FILE* f = fopen(path, "r");
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "Uid:\t", 5) == 0) snprintf(out, size, "%s", line + 5);
  }
  if (f != NULL) fclose(f);
  for (char* c = out; *c != '\0'; ++c) *c = *c == '\t' ? ' ' : (*c == '\n' ? '\0' : *c);
}

int main(void) {
  const char* path = "/usr/bin/newgrp";
  struct stat st;
  if (stat(path, &st) != 0 || !(st.st_mode & S_ISUID) || st.st_uid != 0) {
    printf("%s is not setuid root here\n", path);
    return 1;
  }
  int in[2], err[2];
  if (pipe(in) != 0 || pipe(err) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    dup2(in[0], 0);
    dup2(err[1], 2);
    execl(path, "newgrp", "root", (char*)NULL);
    _exit(127);
  }
  close(in[0]);  // in[1] stays open: newgrp blocks reading its password
  close(err[1]);
  char said[512] = "";
  size_t got = 0;
  while (strstr(said, "Password:") == NULL && got < sizeof said - 1) {
    struct pollfd p = {err[0], POLLIN, 0};
    if (poll(&p, 1, 3000) <= 0) break;
    ssize_t n = read(err[0], said + got, sizeof said - 1 - got);
    if (n <= 0) break;
    got += (size_t)n;
    said[got] = '\0';
  }
  if (strstr(said, "Password:") == NULL) {
    printf("newgrp did not ask for a password: \"%s\"\n", said);
    return 1;
  }
  char uids[128];
  uidsOf(child, uids, sizeof uids);
  printf("%s ran with uids %s (caller %d)\n", path, uids, (int)getuid());
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return 0;
}
