#include "sandbox/run_status.h"

#include <signal.h>
#include <sys/wait.h>

#include <cstring>

namespace codecanvas::sandbox {

std::string signalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

const char* statusName(RunStatus s) {
  switch (s) {
    case RunStatus::kOk:
      return "ok";
    case RunStatus::kRuntimeError:
      return "runtime_error";
    case RunStatus::kTimeLimit:
      return "time_limit";
    case RunStatus::kWallTimeLimit:
      return "wall_time_limit";
    case RunStatus::kMemoryLimit:
      return "memory_limit";
    case RunStatus::kOutputLimit:
      return "output_limit";
    case RunStatus::kSyscallBlocked:
      return "syscall_blocked";
    case RunStatus::kKilled:
      return "killed";
    case RunStatus::kInternalError:
      return "internal_error";
  }
  return "internal_error";
}

const char* sourceName(Source s) {
  switch (s) {
    case Source::kNone:
      return "none";
    case Source::kCgroupV1:
      return "cgroup v1";
    case Source::kCgroupV2:
      return "cgroup v2";
    case Source::kRusage:
      return "rusage";
  }
  return "none";
}

// The order matters: the first cause wins. Output and memory come before time because a
// process flooding its output or thrashing at its memory limit also burns CPU (and output
// over the cap was written before whatever ended the program); the
// controller's own kill for CPU or wall time explains a SIGKILL; a program that ended on
// its own after the peak reached the limit (a failed allocation, then abort or exit 1)
// ran out of memory rather than failed.
RunStatus decideStatus(const VerdictInput& in) {
  if (!in.started) return RunStatus::kInternalError;
  const bool signaled = WIFSIGNALED(in.wait_status);
  const bool clean_exit = WIFEXITED(in.wait_status) && WEXITSTATUS(in.wait_status) == 0;
  if (in.killed == KillReason::kOutput || in.output_cut) return RunStatus::kOutputLimit;
  if (in.oom_kills.value_or(0) > 0) return RunStatus::kMemoryLimit;
  if (in.killed == KillReason::kCpu) return RunStatus::kTimeLimit;
  if (in.cpu_ns && *in.cpu_ns > in.cpu_limit_ns) return RunStatus::kTimeLimit;
  if (signaled && (WTERMSIG(in.wait_status) == SIGXCPU)) return RunStatus::kTimeLimit;
  if (in.killed == KillReason::kWall) return RunStatus::kWallTimeLimit;
  // The client's kill explains a SIGKILL; a program that ended on its own first keeps its
  // own status.
  if (in.killed == KillReason::kRequested && signaled && WTERMSIG(in.wait_status) == SIGKILL)
    return RunStatus::kKilled;
  if (signaled && WTERMSIG(in.wait_status) == SIGSYS) return RunStatus::kSyscallBlocked;
  if (clean_exit) return RunStatus::kOk;
  if (in.memory_peak_bytes && in.memory_limit_bytes > 0 &&
      *in.memory_peak_bytes >= in.memory_limit_bytes)
    return RunStatus::kMemoryLimit;
  return RunStatus::kRuntimeError;
}

std::string statusMessage(RunStatus status, const Limits& l, std::optional<int> exit_code,
                          std::optional<int> signal) {
  switch (status) {
    case RunStatus::kOk:
      return {};
    case RunStatus::kTimeLimit:
      return "time limit exceeded (" + std::to_string(l.cpu_ms) + " ms)";
    case RunStatus::kWallTimeLimit:
      return "wall time limit exceeded (" + std::to_string(l.wall_ms) + " ms)";
    case RunStatus::kMemoryLimit:
      return "memory limit exceeded (" + std::to_string(l.memory_kb) + " KiB)";
    case RunStatus::kOutputLimit:
      return "output limit exceeded (" + std::to_string(l.output_kb) + " KiB)";
    case RunStatus::kSyscallBlocked:
      return "system call blocked by the sandbox policy";
    case RunStatus::kKilled:
      return "stopped at the client's request";
    case RunStatus::kRuntimeError:
      return signal ? "killed by signal " + signalName(*signal)
                    : "exited with code " + std::to_string(exit_code.value_or(-1));
    case RunStatus::kInternalError:
      return "sandbox failure";
  }
  return "sandbox failure";
}

}  // namespace codecanvas::sandbox
