#include "common/seccomp_program.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace codecanvas {

int checkSeccompProgram(const uint8_t* bpf, size_t size) noexcept {
  if (bpf == nullptr || size == 0 || size % sizeof(sock_filter) != 0 ||
      size / sizeof(sock_filter) > BPF_MAXINSNS)
    return EINVAL;
  return 0;
}

int installSeccompProgram(const uint8_t* bpf, size_t size) noexcept {
  if (int e = checkSeccompProgram(bpf, size); e != 0) return e;
  // The kernel copies the program in, so the bytes need no particular alignment.
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(size / sizeof(sock_filter));
  prog.filter = reinterpret_cast<sock_filter*>(const_cast<uint8_t*>(bpf));
  // errno is shared with the parent after vfork / CLONE_VM: put it back.
  const int saved_errno = errno;
  const long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  const int err = rc == 0 ? 0 : errno;
  errno = saved_errno;
  return err;
}

}  // namespace codecanvas
