// Creates an eBPF map, the first step of loading any eBPF program.
// Attacks: the eBPF verifier and JIT, among the most exploited kernel interfaces.
// Sandbox should: kill the program with SIGSYS.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=syscall_blocked
// expect: stdout-equals=bpf(BPF_MAP_CREATE)\n
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 8;
  attr.max_entries = 1;
  puts("bpf(BPF_MAP_CREATE)");
  fflush(stdout);
  long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
  printf("bpf returned %ld\n", fd);
  return 0;
}
