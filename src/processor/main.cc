// codecanvas-processor: the helper that runs inside a slot.
//
// Theory of operation. The server never forks sandboxed programs itself: it is
// multithreaded and large, and sandbox set-up between fork and exec must not run in its
// address space. Instead, for every slot, the controller starts this binary once in
// keeper mode, in fresh namespaces; the keeper builds the slot's root and then, for every
// step of a job (compile, run), forks a child that applies the controller's plan (cgroup,
// rlimits, credentials, capabilities, no_new_privs, fds, seccomp) and execs the program.
// See keeper.h and exec_sequence.h.
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "keeper.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "keeper") == 0) {
    // The controller hands over the slot socket as fd 3; nothing else may stay open.
    ::close_range(4, ~0U, 0);
    return codecanvas::processor::keeperMain(3);
  }
  std::fprintf(stderr,
               "usage: codecanvas-processor keeper\n"
               "  Started by the codecanvas controller with the slot socket on fd 3;\n"
               "  not meant to be run by hand.\n");
  return 2;
}
