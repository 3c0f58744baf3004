// A child process the server started and owns through a pidfd: signalled and waited for
// by the pidfd, so no pid reuse can redirect a kill, and killed and reaped when the owner
// lets go of it, so no path (an early return, an exception) leaves a zombie or a stray
// process behind. Slot keepers and the language version probes are ChildProcesses.
#pragma once

#include <sys/types.h>

#include "common/result.h"
#include "common/unique_fd.h"

namespace codecanvas {

class ChildProcess {
 public:
  ChildProcess() = default;
  // Takes ownership of a child of this process and its pidfd.
  ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  // Takes ownership of a child of this process that was started without a pidfd
  // (posix_spawn): opens one. The child is not reaped yet, so its pid cannot be reused.
  static Result<ChildProcess> adopt(pid_t pid);
  ChildProcess(ChildProcess&& other) noexcept { *this = std::move(other); }
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess() { killAndReap(); }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }  // in the server's pid namespace; -1 once reaped
  int pidfd() const { return pidfd_.get(); }

  // Sends SIGKILL through the pidfd (nothing once reaped).
  void kill();
  // Waits until the child ends and reaps it; returns its wait status (as waitpid's).
  Result<int> wait();
  // kill(), then wait(). Idempotent.
  void killAndReap();

 private:
  pid_t pid_ = -1;
  UniqueFd pidfd_;
};

}  // namespace codecanvas
