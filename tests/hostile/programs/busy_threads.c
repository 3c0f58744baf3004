// Eight threads spin while the main thread waits for them without using any CPU.
// Attacks: CPU time accounting: a limit that only counted the main thread (or the
// process that was started) would never fire, and the run would end on wall time.
// Sandbox should: count every thread's CPU time and end the run on it.
// limits: cpu_ms=1000 wall_ms=10000
// expect: status=time_limit
#include <pthread.h>

static void* spin(void* arg) {
  volatile unsigned long n = 0;
  for (;;) ++n;
  return arg;
}

int main(void) {
  pthread_t threads[8];
  for (int i = 0; i < 8; ++i) pthread_create(&threads[i], NULL, spin, NULL);
  for (int i = 0; i < 8; ++i) pthread_join(threads[i], NULL);
  return 0;
}
