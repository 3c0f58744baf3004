// Test 1 plants System V IPC objects that outlive it: a 64 MiB shared memory segment
// (touched, so it is real memory), a message queue holding a message, a semaphore set.
// Test 2 of the same judge counts the IPC objects it can see.
// Attacks: the separation of a judge's tests: test 2 could read test 1's data, and each
// test could pin 64 MiB that no run's limit counts (a judge of 100 tests: 6.4 GiB).
// Sandbox should: give every run an IPC namespace of its own, gone with the run: test 2
// sees no object, and both tests are accepted.
// limits: cpu_ms=1000 wall_ms=3000 memory_kb=131072
// judge-test: plant\n -> planted shm msg sem\n
// judge-test: count\n -> shm 0 msg 0 sem 0\n
// expect: verdict=accepted
// expect: test-verdicts=accepted,accepted
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

static int plant(void) {
  int shm = shmget(0x5eed, 64 << 20, IPC_CREAT | 0666);
  if (shm < 0) return perror("shmget"), 1;
  char* p = shmat(shm, NULL, 0);
  if (p == (char*)-1) return perror("shmat"), 1;
  memset(p, 's', 64 << 20);
  int msg = msgget(0x5eed, IPC_CREAT | 0666);
  struct {
    long type;
    char text[16];
  } m = {1, "left behind"};
  if (msg < 0 || msgsnd(msg, &m, sizeof m.text, 0) != 0) return perror("msg"), 1;
  if (semget(0x5eed, 1, IPC_CREAT | 0666) < 0) return perror("semget"), 1;
  puts("planted shm msg sem");
  return 0;
}

static int count(void) {
  struct shm_info shm;
  struct msginfo msg;
  struct seminfo sem;
  union semun {
    int val;
    struct seminfo* info;
  } arg = {.info = &sem};
  if (shmctl(0, SHM_INFO, (struct shmid_ds*)&shm) < 0 ||
      msgctl(0, MSG_INFO, (struct msqid_ds*)&msg) < 0 || semctl(0, 0, SEM_INFO, arg) < 0)
    return perror("IPC_INFO"), 1;
  // used_ids: segments; msgpool: queues; semusz: semaphore sets (each namespace's own).
  printf("shm %d msg %d sem %d\n", shm.used_ids, msg.msgpool, sem.semusz);
  return 0;
}

int main(void) {
  char mode[16] = "";
  if (scanf("%15s", mode) != 1) return 2;
  return strcmp(mode, "plant") == 0 ? plant() : count();
}
