// Kernel features that differ between the machines the tests run on, probed at test time
// so that a test asserts what must hold with the feature and what must hold without it,
// instead of assuming the kernel of the machine it was written on.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace codecanvas::testing {

// Whether `int $0x80` reaches the kernel's i386 system-call table in a process with no
// filter at all. Kernels built without CONFIG_IA32_EMULATION, booted with
// ia32_emulation=0, or run under hypervisors that hide the entry make the instruction fault
// (SIGSEGV) before any system call is made. Probed in a forked child: getpid is number 20
// in the i386 table, so a working entry returns the child's own pid.
inline bool hasI386SyscallEntry() {
  const pid_t child = ::fork();
  if (child < 0) return false;
  if (child == 0) {
    long rc = 20;
    asm volatile("int $0x80" : "+a"(rc) : : "memory", "r8", "r9", "r10", "r11");
    ::_exit(rc == ::getpid() ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace codecanvas::testing
