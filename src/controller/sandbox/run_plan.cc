#include "sandbox/run_plan.h"

#include <sys/resource.h>

#include <algorithm>

namespace codecanvas::sandbox {

std::vector<std::string> defaultEnvironment() {
  return {"PATH=/usr/local/bin:/usr/bin:/bin",
          "HOME=/box",
          "TMPDIR=/tmp",
          "LANG=C.UTF-8",
          "USER=runner",
          "LOGNAME=runner"};
}

void setEnvironmentVariable(std::vector<std::string>& env, const std::string& entry) {
  const auto eq = entry.find('=');
  const std::string key = entry.substr(0, eq == std::string::npos ? entry.size() : eq + 1);
  auto it = std::find_if(env.begin(), env.end(),
                         [&](const std::string& e) { return e.rfind(key, 0) == 0; });
  if (it != env.end())
    *it = entry;
  else
    env.push_back(entry);
}

namespace {

protocol::Rlimit limit(int resource, uint64_t soft, uint64_t hard) {
  return {resource, soft, hard};
}

}  // namespace

protocol::RunPlan buildRunPlan(const RunRequest& request, const PlanContext& context) {
  const Limits& l = request.limits;
  protocol::RunPlan plan;
  plan.argv = request.argv;
  plan.env = defaultEnvironment();
  for (const auto& e : request.env) setEnvironmentVariable(plan.env, e);
  plan.uid = context.uid;
  plan.gid = context.gid;
  plan.nice = kProgramNice;
  // RLIMIT_CPU is only the backstop (whole seconds, per process): the controller kills the
  // run from the cgroup's counter within milliseconds of the limit.
  const uint64_t cpu_s = (l.cpu_ms + 999) / 1000 + 1;
  plan.rlimits.push_back(limit(RLIMIT_CPU, cpu_s, cpu_s + 1));
  plan.rlimits.push_back(limit(RLIMIT_FSIZE, l.file_kb * 1024, l.file_kb * 1024));
  // stdin, stdout, stderr and the exec sequence's error pipe need four descriptors.
  const uint64_t nofile = std::max<uint64_t>(l.open_files, kMinOpenFiles);
  plan.rlimits.push_back(limit(RLIMIT_NOFILE, nofile, nofile));
  plan.rlimits.push_back(limit(RLIMIT_STACK, l.stack_kb * 1024, l.stack_kb * 1024));
  // 1 byte, not 0: the kernel ignores RLIMIT_CORE when core_pattern pipes to a helper
  // (apport, systemd-coredump), which would then run as root on the host for every crash;
  // exactly 1 makes it refuse the dump, and is below the smallest core file too.
  plan.rlimits.push_back(limit(RLIMIT_CORE, 1, 1));
  // Every slot has a uid of its own, so the per-uid process count is the run's alone: a
  // second fence behind pids.max, and the only one where the pids controller is missing.
  plan.rlimits.push_back(limit(RLIMIT_NPROC, l.processes, l.processes));
  plan.rlimits.push_back(limit(RLIMIT_MEMLOCK, 0, 0));
  // Not inherited from whoever started the server: no real-time scheduling, no lower
  // niceness, the kernel's default POSIX message queue memory (queues die with the job's
  // IPC namespace), a bounded queue of pending signals.
  plan.rlimits.push_back(limit(RLIMIT_RTPRIO, 0, 0));
  plan.rlimits.push_back(limit(RLIMIT_NICE, 0, 0));
  plan.rlimits.push_back(limit(RLIMIT_MSGQUEUE, kMessageQueueBytes, kMessageQueueBytes));
  plan.rlimits.push_back(limit(RLIMIT_SIGPENDING, kMaxPendingSignals, kMaxPendingSignals));
  std::optional<uint64_t> as_kb = l.address_space_kb;
  if (!as_kb && !context.cgroup_limits_memory) as_kb = l.memory_kb;
  if (as_kb) plan.rlimits.push_back(limit(RLIMIT_AS, *as_kb * 1024, *as_kb * 1024));
  if (context.seccomp_bpf != nullptr) plan.seccomp_bpf = *context.seccomp_bpf;
  plan.seal_box = request.seal_box;
  plan.output_dir = request.output_dir;
  plan.cgroup_v2_dir = context.cgroup_v2_dir;
  plan.v1_tasks_fds = context.v1_tasks_fds;
  return plan;
}

}  // namespace codecanvas::sandbox
