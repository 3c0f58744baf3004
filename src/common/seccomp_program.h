// A compiled seccomp program (the bytes of a struct sock_filter array, as the controller's
// compiler makes them and the run plan carries them) checked and installed. The one
// installation path: the processor calls installSeccompProgram as the last step before
// execve; the unit tests call it in forked children to prove what a policy does.
#pragma once

#include <cstddef>
#include <cstdint>

namespace codecanvas {

// 0 when `size` bytes at `bpf` are a program the kernel can take (whole instructions, 1
// to BPF_MAXINSNS of them), else EINVAL. Async-signal-safe.
int checkSeccompProgram(const uint8_t* bpf, size_t size) noexcept;

// seccomp(SECCOMP_SET_MODE_FILTER, 0) with that program. Async-signal-safe: no
// allocation, one system call, errno left unchanged. no_new_privs must already be set (or
// the caller must hold CAP_SYS_ADMIN). Returns 0 or an errno value (EINVAL for a
// malformed program).
int installSeccompProgram(const uint8_t* bpf, size_t size) noexcept;

}  // namespace codecanvas
