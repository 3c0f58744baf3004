// Starts with 15 arguments of 4096 bytes each (60 KiB in all), just inside what a run may
// be given; prints how many arrived and how long the last one is.
// Attacks: the path of a run's plan to the keeper at the size the API allows: nothing
// may be cut, and the slot must not take it for a lost keeper.
// Sandbox should: run the program with every byte of every argument.
// request: args=15x4096
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-equals=argc 16, last 4096 bytes of o\n
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  const char* last = argv[argc - 1];
  printf("argc %d, last %zu bytes of %c\n", argc, strlen(last), last[0]);
  return 0;
}
