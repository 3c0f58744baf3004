// Allocates and touches 1 MiB blocks with malloc until something stops it.
// Attacks: the memory limit through the heap (brk, then mmap for large blocks).
// Sandbox should: kill the run at the cgroup's memory limit, before it prints.
// limits: cpu_ms=2000 wall_ms=5000 memory_kb=65536
// expect: status=memory_limit
// expect: stdout-not-contains=malloc failed
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  for (unsigned long i = 0; i < 4096; ++i) {  // 4 GiB: far beyond any limit used here
    char* p = malloc(1 << 20);
    if (p == NULL) {
      printf("malloc failed after %lu MiB\n", i);
      return 1;
    }
    memset(p, 0x5a, 1 << 20);
  }
  puts("allocated 4 GiB");
  return 0;
}
