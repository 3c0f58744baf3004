// Turns a request and the slot's identity into the plan the processor child follows.
// Server side, pure: unit-tested without privileges.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol.h"
#include "sandbox/run_types.h"

namespace codecanvas::sandbox {

struct PlanContext {
  uint32_t uid = 0;
  uint32_t gid = 0;
  bool cgroup_limits_memory = false;  // without it, RLIMIT_AS stands in for the memory limit
  bool cgroup_v2_dir = false;
  uint32_t v1_tasks_fds = 0;
  const std::vector<uint8_t>* seccomp_bpf = nullptr;
};

// Every program runs at this niceness: all runs share it, so they stay fair among
// themselves, while the controller (CPU polls, timers, output) and the keeper, at 0,
// wake up promptly even when a run keeps every core busy.
inline constexpr int kProgramNice = 10;
inline constexpr uint64_t kMinOpenFiles = 4;
inline constexpr uint64_t kMaxPendingSignals = 1024;
inline constexpr uint64_t kMessageQueueBytes = 819200;

std::vector<std::string> defaultEnvironment();
// Sets NAME=value in `env`, replacing an earlier NAME.
void setEnvironmentVariable(std::vector<std::string>& env, const std::string& entry);

protocol::RunPlan buildRunPlan(const RunRequest& request, const PlanContext& context);

}  // namespace codecanvas::sandbox
