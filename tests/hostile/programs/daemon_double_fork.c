// Double-forks a daemon (setsid, ignore SIGHUP) that keeps writing a heartbeat file,
// then returns at once.
// Attacks: the end of a run: a process that outlives its run would keep using the slot's
// uid, CPU and files while the next job runs, and could read or spoil that job's data.
// Sandbox should: report the run as ok and kill the daemon when the main process ends
// (the post-checks then find no process of the slot uid and an empty /box).
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-equals=daemon started\n
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  pid_t first = fork();
  if (first == 0) {
    setsid();
    if (fork() != 0) _exit(0);
    signal(SIGHUP, SIG_IGN);
    close(0);
    close(1);
    close(2);
    for (;;) {
      int fd = open("/box/heartbeat", O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        (void)write(fd, "beat\n", 5);
        close(fd);
      }
      sleep(1);
    }
  }
  waitpid(first, NULL, 0);
  puts("daemon started");
  return 0;
}
