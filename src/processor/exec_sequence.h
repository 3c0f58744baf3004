// The processor child: what runs between clone and execve inside a slot.
//
// The keeper turns the controller's RunPlan into an ExecPlan (pointers into memory the
// keeper owns, fds it received) BEFORE it clones; the child then only follows the plan.
// Everything in runChild is async-signal-safe: no allocation, no locks, no exceptions,
// no logging. A failing step writes {step, errno} to the close-on-exec error pipe and
// exits; end of file on that pipe tells the keeper the exec succeeded.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "protocol.h"
#include "result.h"
#include "unique_fd.h"

namespace codecanvas::processor {

struct ExecPlan {
  const char* const* argv = nullptr;
  const char* const* envp = nullptr;
  const char* search_path = nullptr;  // PATH for a program name without '/'
  const char* cwd = nullptr;
  const protocol::Rlimit* rlimits = nullptr;
  size_t rlimit_count = 0;
  int nice = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  int error_fd = -1;               // write end of the close-on-exec error pipe
  const int* tasks_fds = nullptr;  // cgroup v1 `tasks` files to write "0" into
  size_t tasks_count = 0;
  const uint8_t* seccomp_bpf = nullptr;  // checked when the plan was prepared
  size_t seccomp_size = 0;
  int cap_last = 0;  // highest capability number the kernel knows
};

// Owns the storage an ExecPlan points into. Built by the keeper from a RunPlan and the
// descriptors that came with it; lives until the child has exec'ed or failed.
class PreparedPlan {
 public:
  // Fails (with a sentence) when the plan is unusable: no argv, uid 0, wrong fd count.
  static Result<PreparedPlan> prepare(protocol::RunPlan plan, std::vector<UniqueFd> fds,
                                      int cap_last);
  // The error pipe is created by the keeper per run; set before cloning.
  const ExecPlan& execPlan(int error_fd);
  int cgroupDirFd() const { return cgroup_dir_.get(); }  // -1 without cgroup v2

 private:
  protocol::RunPlan plan_;
  std::vector<UniqueFd> fds_;
  UniqueFd cgroup_dir_;
  std::vector<int> tasks_;
  std::vector<const char*> argv_, envp_;
  std::string search_path_;
  ExecPlan exec_;
};

// Runs in the child after clone; never returns.
[[noreturn]] void runChild(const ExecPlan& plan) noexcept;

}  // namespace codecanvas::processor
