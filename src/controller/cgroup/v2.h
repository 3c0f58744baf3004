// The cgroup v2 back end: the files of one directory in the unified hierarchy. Server side.
//
// Unlike v1, a v2 controller is only usable in a directory when its parent enabled it in
// cgroup.subtree_control, and a non-root cgroup that enables controllers for its children
// may hold no processes itself (the no-internal-process rule). The composed API in
// cgroups.h arranges the tree so both hold; this file only reads and writes the files.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cgroup/layout.h"

namespace codecanvas::cgroup::v2 {

// Writes "+a +b" for the `controllers` not yet listed in dir/cgroup.subtree_control, in one
// write. The returned Error keeps errno: EBUSY means the directory holds processes.
Status enableControllers(const CgroupDir& dir, const std::vector<std::string>& controllers);

// Whether `pid` is listed in dir/cgroup.procs.
bool holdsProcess(const CgroupDir& dir, pid_t pid);
// The pids in dir/cgroup.procs, space-separated, for error messages.
std::string processList(const CgroupDir& dir);

// Moves the calling process (all its threads) into `dir` by writing "0" to cgroup.procs.
// Costs up to ~8 ms (an RCU grace period): for one-time moves only, never per run.
Status moveSelfTo(const CgroupDir& dir);

// cgroup.procs of `dir`, O_WRONLY|O_CLOEXEC, for a process that moves itself later.
Result<UniqueFd> openProcs(const CgroupDir& dir);

// memory.max, and memory.swap.max = 0 (when swap accounting exists) so swap cannot
// extend the limit.
Status writeMemoryLimit(const CgroupDir& run, uint64_t bytes);
Status writePidsLimit(const CgroupDir& run, uint64_t pids);

// cpu.stat, kept open for polling with readCpuNs. It is a core file of every v2 cgroup:
// usage_usec is there even when the cpu controller is not enabled.
Result<UniqueFd> openCpuStat(const CgroupDir& run);
Result<uint64_t> readCpuNs(int cpu_stat_fd, const char* path);  // usage_usec * 1000

std::optional<uint64_t> readMemoryPeak(const CgroupDir& run);  // memory.peak (kernel >= 5.19)
std::optional<uint64_t> readOomKills(const CgroupDir& run);    // memory.events "oom_kill"
std::optional<uint64_t> readPidsPeak(const CgroupDir& run);    // pids.peak (newer kernels)

}  // namespace codecanvas::cgroup::v2
