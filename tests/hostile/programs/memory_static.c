// A 1 GiB zero-initialised static array (bss), every page written.
// Attacks: the memory limit through a huge executable image: the kernel maps the bss at
// exec time without charging it, the writes fault it in.
// Sandbox should: kill the run at the memory limit.
// limits: cpu_ms=2000 wall_ms=5000 memory_kb=65536
// expect: status=memory_limit
// expect: stdout-not-contains=touched
#include <stdio.h>

static char huge[1UL << 30];

int main(void) {
  // Through a volatile pointer: stores to a static array nobody reads are dead to the
  // optimizer, and the attack would vanish.
  volatile char* p = huge;
  for (unsigned long i = 0; i < sizeof huge; i += 4096) p[i] = 1;
  puts("touched 1 GiB");
  return 0;
}
