// Plants System V IPC objects that outlive their creator: a 1 MiB shared memory
// segment, a message queue holding a message, a semaphore set. They belong to the IPC
// namespace, not to a process or a directory.
// Attacks: the separation of jobs: the next job in the slot could read the message and
// the memory, and the segments pin memory outside any run's cgroup limit.
// Sandbox should: let the program create them (they are its own), then give the next job
// a fresh IPC namespace: the post-check job in each slot finds no IPC object.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-equals=planted shm msg sem\n
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

int main(void) {
  int shm = shmget(0x5eed, 1 << 20, IPC_CREAT | 0666);
  if (shm < 0) return 1;
  char* p = shmat(shm, NULL, 0);
  if (p == (char*)-1) return 1;
  memset(p, 's', 1 << 20);
  int msg = msgget(0x5eed, IPC_CREAT | 0666);
  struct {
    long type;
    char text[16];
  } m = {1, "left behind"};
  if (msg < 0 || msgsnd(msg, &m, sizeof m.text, 0) != 0) return 1;
  if (semget(0x5eed, 1, IPC_CREAT | 0666) < 0) return 1;
  puts("planted shm msg sem");
  return 0;
}
