// Writes to stdout as fast as it can, forever.
// Attacks: the output limit (and the server's memory, which buffers the output).
// Sandbox should: keep exactly output_kb KiB, mark stdout truncated and stop the run.
// limits: cpu_ms=2000 wall_ms=5000 output_kb=64
// expect: status=output_limit
// expect: stdout-bytes=65536
// expect: stdout_truncated=true
#include <string.h>
#include <unistd.h>

int main(void) {
  char buf[65536];
  memset(buf, 'y', sizeof buf);
  for (int i = 0; i < (int)sizeof buf; i += 64) buf[i] = '\n';
  for (;;) (void)write(1, buf, sizeof buf);
}
