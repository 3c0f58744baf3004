// Test 1 tries to damage the box the compile left: remove, rename, overwrite and chmod the
// program and its source, chmod /box itself; test 2 of the same judge must still run
// and lists /box.
// Attacks: the next test's start: with /box/main gone or /box unreadable, the next exec
// fails, and a slot whose program cannot start was rebuilt (a 500 for the whole judge).
// Sandbox should: refuse every change to what the compile left (EPERM or EACCES), let the
// test add files of its own, remove those after it, and never rebuild the slot.
// limits: cpu_ms=1000 wall_ms=3000
// judge-test: damage\n -> unlink main: EPERM\nrename main: EPERM\nwrite main: EACCES\nchmod main: EPERM\nchmod /box: EPERM\nunlink main.c: EPERM\nnew file: ok\n
// judge-test: look\n -> main main.c\n
// expect: verdict=accepted
// expect: test-verdicts=accepted,accepted
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(const char* what, int rc) {
  printf("%s: %s\n", what, rc == 0 ? "ok" : strerrorname_np(errno));
}

static int byName(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(void) {
  char mode[16] = "";
  if (scanf("%15s", mode) != 1) return 2;
  if (strcmp(mode, "damage") == 0) {
    say("unlink main", unlink("/box/main"));
    say("rename main", rename("/box/main", "/box/gone"));
    int fd = open("/box/main", O_WRONLY);
    say("write main", fd < 0 ? -1 : 0);
    say("chmod main", chmod("/box/main", 0));
    say("chmod /box", chmod("/box", 0));
    say("unlink main.c", unlink("/box/main.c"));
    fd = open("/box/mine", O_WRONLY | O_CREAT | O_EXCL, 0600);
    say("new file", fd < 0 ? -1 : 0);
    return 0;
  }
  DIR* d = opendir("/box");
  if (d == NULL) return perror("opendir"), 1;
  char* names[64];
  int n = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL && n < 64;)
    if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
  qsort(names, n, sizeof names[0], byName);
  for (int i = 0; i < n; i++) printf(i ? " %s" : "%s", names[i]);
  puts("");
  return 0;
}
