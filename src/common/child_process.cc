#include "common/child_process.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace codecanvas {

Result<ChildProcess> ChildProcess::adopt(pid_t pid) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!fd) return sysError("pidfd_open(" + std::to_string(pid) + ")");
  return ChildProcess(pid, std::move(fd));
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    killAndReap();
    pid_ = other.pid_;
    pidfd_ = std::move(other.pidfd_);
    other.pid_ = -1;
  }
  return *this;
}

void ChildProcess::kill() {
  if (pid_ > 0 && pidfd_) ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
}

Result<int> ChildProcess::wait() {
  if (pid_ <= 0 || !pidfd_) return Error{"no child process to wait for", ECHILD};
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED) != 0) {
    if (errno != EINTR) return sysError("waitid(P_PIDFD)");
  }
  pid_ = -1;
  pidfd_.reset();
  // The status waitpid would have given, so WIFEXITED and friends read it.
  if (info.si_code == CLD_EXITED) return (info.si_status & 0xff) << 8;
  return (info.si_status & 0x7f) | (info.si_code == CLD_DUMPED ? 0x80 : 0);
}

void ChildProcess::killAndReap() {
  if (pid_ <= 0) return;
  kill();
  (void)wait();
  pid_ = -1;
  pidfd_.reset();
}

}  // namespace codecanvas
