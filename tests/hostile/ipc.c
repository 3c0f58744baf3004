/* ipc plant|probe: IPC objects outliving a job. "plant" leaves a SysV shared memory
 * segment, message queue and semaphore set and a POSIX message queue behind and prints
 * "planted"; "probe" (the next job in the same slot) looks for each and prints
 * "<kind>: found" or "<kind>: <ERRNONAME>". The sandbox must give every job a fresh IPC
 * namespace, so a probe finds nothing: one job's data must never reach the next. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "hostile.h"

enum { kShmKey = 0x636301, kMsgKey = 0x636302, kSemKey = 0x636303 };
static const char kMqName[] = "/codecanvas-probe";

static void report(const char* kind, int ok) { printf("%s: %s\n", kind, ok ? "found" : errName(errno)); }

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  if (strcmp(argv[1], "plant") == 0) {
    int shm = shmget(kShmKey, 4096, IPC_CREAT | 0600);
    char* p = shm >= 0 ? shmat(shm, NULL, 0) : (char*)-1;
    if (p != (char*)-1) strcpy(p, "secret of the last job");
    int msg = msgget(kMsgKey, IPC_CREAT | 0600);
    struct { long type; char text[32]; } m = {1, "message of the last job"};
    if (msg >= 0) msgsnd(msg, &m, sizeof m.text, 0);
    int sem = semget(kSemKey, 1, IPC_CREAT | 0600);
    if (sem >= 0) semctl(sem, 0, SETVAL, 42);
    mqd_t mq = mq_open(kMqName, O_CREAT | O_RDWR, 0600, NULL);
    printf("planted shm=%d msg=%d sem=%d mq=%d\n", shm >= 0, msg >= 0, sem >= 0, mq != (mqd_t)-1);
    return 0;
  }
  report("shm", shmget(kShmKey, 0, 0) >= 0);
  report("msg", msgget(kMsgKey, 0) >= 0);
  report("sem", semget(kSemKey, 0, 0) >= 0);
  report("mq", mq_open(kMqName, O_RDONLY) != (mqd_t)-1);
  return 0;
}
