// Maps anonymous memory with MAP_POPULATE, 8 MiB at a time, so the kernel faults every
// page in at once.
// Attacks: the memory limit through mmap, where no user-space allocator is involved.
// Sandbox should: kill the run at the cgroup's memory limit.
// limits: cpu_ms=2000 wall_ms=5000 memory_kb=65536
// expect: status=memory_limit
// expect: stdout-not-contains=mapped
#include <stdio.h>
#include <sys/mman.h>

int main(void) {
  for (int i = 0; i < 512; ++i) {  // 4 GiB
    void* p = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
  }
  puts("mapped 4 GiB");
  return 0;
}
