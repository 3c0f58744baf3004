#include "sandbox/run_status.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace codecanvas::sandbox {
namespace {

int exited(int code) {
  return code << 8;
}
int signaled(int sig) {
  return sig;
}

struct Case {
  const char* name;
  VerdictInput in;
  RunStatus expected;
};

VerdictInput base(int wait_status) {
  VerdictInput v;
  v.wait_status = wait_status;
  v.cpu_ns = 5'000'000;
  v.cpu_limit_ns = 1'000'000'000;
  v.oom_kills = 0;
  v.memory_peak_bytes = 1 << 20;
  v.memory_limit_bytes = 64 << 20;
  return v;
}

TEST(Verdict, Table) {
  std::vector<Case> cases;
  cases.push_back({"clean exit", base(exited(0)), RunStatus::kOk});
  cases.push_back({"exit 1", base(exited(1)), RunStatus::kRuntimeError});
  cases.push_back({"segfault", base(signaled(SIGSEGV)), RunStatus::kRuntimeError});
  cases.push_back({"seccomp", base(signaled(SIGSYS)), RunStatus::kSyscallBlocked});
  auto v = base(signaled(SIGKILL));
  v.killed = KillReason::kCpu;
  cases.push_back({"killed for cpu", v, RunStatus::kTimeLimit});
  v = base(signaled(SIGKILL));
  v.killed = KillReason::kWall;
  cases.push_back({"killed for wall", v, RunStatus::kWallTimeLimit});
  v.cpu_ns = 2'000'000'000;
  cases.push_back({"wall kill but cpu over: cpu wins", v, RunStatus::kTimeLimit});
  v = base(signaled(SIGKILL));
  v.oom_kills = 1;
  cases.push_back({"oom kill", v, RunStatus::kMemoryLimit});
  v = base(signaled(SIGKILL));
  v.killed = KillReason::kOutput;
  v.oom_kills = 1;
  cases.push_back({"output cap first", v, RunStatus::kOutputLimit});
  v = base(exited(0));
  v.output_cut = true;
  cases.push_back(
      {"output cut after a clean exit (read after the end)", v, RunStatus::kOutputLimit});
  v = base(signaled(SIGSYS));
  v.output_cut = true;
  cases.push_back({"output cut, then a blocked call", v, RunStatus::kOutputLimit});
  v = base(signaled(SIGKILL));
  v.killed = KillReason::kWall;
  v.output_cut = true;
  cases.push_back({"output cut, then the wall kill", v, RunStatus::kOutputLimit});
  v = base(signaled(SIGXCPU));
  v.cpu_ns.reset();
  cases.push_back({"rlimit backstop", v, RunStatus::kTimeLimit});
  v = base(signaled(SIGABRT));
  v.memory_peak_bytes = 64 << 20;
  cases.push_back({"abort at the memory limit", v, RunStatus::kMemoryLimit});
  v = base(exited(0));
  v.cpu_ns = 1'000'000'001;
  cases.push_back({"finished but over cpu", v, RunStatus::kTimeLimit});
  v = base(signaled(SIGKILL));
  v.killed = KillReason::kRequested;
  cases.push_back({"the client's kill", v, RunStatus::kKilled});
  v = base(exited(0));
  v.killed = KillReason::kRequested;
  cases.push_back({"ended on its own before the client's kill", v, RunStatus::kOk});
  v = base(signaled(SIGKILL));
  v.killed = KillReason::kRequested;
  v.oom_kills = 1;
  cases.push_back({"out of memory before the client's kill", v, RunStatus::kMemoryLimit});
  v = base(exited(0));
  v.started = false;
  cases.push_back({"never started", v, RunStatus::kInternalError});
  for (const auto& c : cases)
    EXPECT_EQ(statusName(decideStatus(c.in)), statusName(c.expected)) << c.name;
}

TEST(Verdict, StatusNamesMatchTheApi) {
  EXPECT_STREQ(statusName(RunStatus::kOk), "ok");
  EXPECT_STREQ(statusName(RunStatus::kRuntimeError), "runtime_error");
  EXPECT_STREQ(statusName(RunStatus::kTimeLimit), "time_limit");
  EXPECT_STREQ(statusName(RunStatus::kWallTimeLimit), "wall_time_limit");
  EXPECT_STREQ(statusName(RunStatus::kMemoryLimit), "memory_limit");
  EXPECT_STREQ(statusName(RunStatus::kOutputLimit), "output_limit");
  EXPECT_STREQ(statusName(RunStatus::kSyscallBlocked), "syscall_blocked");
  EXPECT_STREQ(statusName(RunStatus::kKilled), "killed");
  EXPECT_STREQ(statusName(RunStatus::kInternalError), "internal_error");
}

TEST(StatusMessage, NamesTheLimitTheSignalOrTheExitCode) {
  Limits l;
  l.cpu_ms = 1500;
  l.wall_ms = 4000;
  l.memory_kb = 65536;
  l.output_kb = 64;
  EXPECT_EQ(statusMessage(RunStatus::kOk, l, 0, std::nullopt), "");
  EXPECT_EQ(statusMessage(RunStatus::kTimeLimit, l, {}, 9), "time limit exceeded (1500 ms)");
  EXPECT_EQ(statusMessage(RunStatus::kWallTimeLimit, l, {}, 9),
            "wall time limit exceeded (4000 ms)");
  EXPECT_EQ(statusMessage(RunStatus::kMemoryLimit, l, {}, 9), "memory limit exceeded (65536 KiB)");
  EXPECT_EQ(statusMessage(RunStatus::kOutputLimit, l, {}, 9), "output limit exceeded (64 KiB)");
  EXPECT_EQ(statusMessage(RunStatus::kRuntimeError, l, {}, SIGSEGV), "killed by signal SIGSEGV");
  EXPECT_EQ(statusMessage(RunStatus::kRuntimeError, l, 3, std::nullopt), "exited with code 3");
  EXPECT_EQ(statusMessage(RunStatus::kSyscallBlocked, l, {}, SIGSYS),
            "system call blocked by the sandbox policy");
}

}  // namespace
}  // namespace codecanvas::sandbox
