// Unbounded recursion with a 64 KiB frame that is written, so every frame costs memory.
// Attacks: the memory limit through the stack (the stack rlimit is 64 MiB, the memory
// limit 32 MiB here: the memory limit must be what stops it).
// Sandbox should: kill the run at the memory limit.
// limits: cpu_ms=2000 wall_ms=5000 memory_kb=32768
// expect: status=memory_limit
#include <string.h>

static unsigned long dive(unsigned long depth) {
  volatile char frame[64 * 1024];
  memset((char*)frame, (int)depth, sizeof frame);
  return dive(depth + 1) + frame[depth % sizeof frame];
}

int main(void) {
  return (int)dive(0);
}
