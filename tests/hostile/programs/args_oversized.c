// Asks to be started with 64 arguments of 4096 bytes each: 256 KiB of arguments, more than
// the message that carries a run's plan to the slot's keeper can hold.
// Attacks: the slot itself: a plan the keeper's socket refuses looked like a lost keeper,
// so the slot was marked broken and rebuilt (a 500, and every other job's wait).
// Sandbox should: refuse the request up front with a 400 that says why, run nothing, and
// leave both slots as they were.
// request: args=64x4096
// expect: http=400
// expect: error-contains="args" add up to more than 64 KiB
#include <stdio.h>

int main(int argc, char** argv) {
  (void)argv;
  printf("argc %d\n", argc);
  return 0;
}
