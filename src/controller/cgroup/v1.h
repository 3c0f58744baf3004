// The cgroup v1 back end: the files of one run directory in a v1 hierarchy (memory, pids,
// cpuacct; each may be its own hierarchy or share one, like "cpu,cpuacct"). Server side;
// the only thing the sandboxed child touches is the `tasks` fd opened here.
//
// v1 has no no-internal-process rule and nothing to enable: a directory is usable the
// moment it is created, and its counters (cpuacct.usage, memory.max_usage_in_bytes,
// memory.oom_control oom_kill) start at zero.
#pragma once

#include <cstdint>
#include <optional>

#include "cgroup/layout.h"

namespace codecanvas::cgroup::v1 {

// memory.limit_in_bytes, then memory.memsw.limit_in_bytes (when swap accounting exists) to
// the same value so swap cannot extend the limit. The order matters: the kernel refuses a
// memsw limit below the memory limit (EINVAL), and a fresh directory has both at "max".
Status writeMemoryLimit(const CgroupDir& run, uint64_t bytes);
Status writePidsLimit(const CgroupDir& run, uint64_t pids);

// `tasks`, O_WRONLY|O_CLOEXEC. The single-threaded child writes "0" to move itself: a
// tasks write moves one thread without the thread-group RCU sync that makes a
// cgroup.procs write stall for ~8 ms after idle (docs/performance.md).
Result<UniqueFd> openTasks(const CgroupDir& run);

// cpuacct.usage (nanoseconds), kept open for polling with readCpuNs.
Result<UniqueFd> openCpuUsage(const CgroupDir& run);
Result<uint64_t> readCpuNs(int cpu_usage_fd, const char* path);

std::optional<uint64_t> readMemoryPeak(const CgroupDir& run);  // memory.max_usage_in_bytes
// memory.oom_control "oom_kill N" (kernel >= 4.13; older kernels: nullopt).
std::optional<uint64_t> readOomKills(const CgroupDir& run);
std::optional<uint64_t> readPidsPeak(const CgroupDir& run);  // pids.peak where the kernel has it

}  // namespace codecanvas::cgroup::v1
