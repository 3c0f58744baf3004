// Which cgroup hierarchy serves each resource codecanvas uses, and the small file-access
// helpers both back ends (cgroup_v1, cgroup_v2) share. Runs on the server only.
//
// Hosts come in three shapes: pure v2 (cgroup2 at /sys/fs/cgroup), hybrid (v1 controllers
// under /sys/fs/cgroup/<name>, a nearly empty cgroup2 at /sys/fs/cgroup/unified) and pure
// v1. The decision is made per resource from /proc/self/mountinfo and /proc/self/cgroup,
// so one code path serves all three.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "result.h"
#include "unique_fd.h"

namespace codecanvas::cgroup {

enum class CgroupVersion { kNone, kV1, kV2 };

const char* cgroupVersionName(CgroupVersion version);  // "none", "v1", "v2"

// Resources codecanvas uses: memory (limit, peak, OOM), pids (limit), cpu = CPU-time
// ACCOUNTING (v1: cpuacct.usage in the cpuacct hierarchy, mounted alone or as
// "cpu,cpuacct"; v2: cpu.stat usage_usec, present in every v2 cgroup even when the cpu
// controller is not enabled).
struct Placement {
  CgroupVersion version = CgroupVersion::kNone;
  std::string mount;  // mount point, e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup
  // This process's cgroup below `mount`, from /proc/self/cgroup, e.g. "/" or
  // "/process_api/6f76...". When the mount shows a sub-tree (mountinfo root != "/"), that
  // root is already stripped, so mount + own is always the directory on disk.
  std::string own;

  std::string ownDir() const;  // mount + own, without a trailing "/"
  bool operator==(const Placement&) const = default;
};

struct CgroupLayout {
  Placement memory, pids, cpu;
  // "memory=v1 pids=v1 cpu=v1", "memory=v2 pids=v2 cpu=v2", "memory=none pids=none cpu=none"
  std::string describe() const;
};

// Pure: decides per resource which hierarchy serves it. A v1 mount serves a controller when
// its super options list it. A v2 controller is served when it appears in the
// cgroup.controllers file of this process's own v2 cgroup, read through
// `readV2Controllers(directory of the own v2 cgroup)`.
// memory/pids: v1 if a v1 hierarchy has it, else v2 if listed, else none.
// cpu accounting: v1 cpuacct if mounted, else v2 whenever cgroup2 is mounted, else none.
// Malformed lines are skipped.
CgroupLayout parseCgroupLayout(
    std::string_view mountinfo, std::string_view self_cgroup,
    const std::function<std::string(const std::string&)>& readV2Controllers);

// Reads /proc/self/mountinfo, /proc/self/cgroup and the own v2 cgroup.controllers.
// A kernel without cgroups (no /proc/self/cgroup) gives an all-none layout, not an error.
Result<CgroupLayout> detectCgroupLayout();

// ---- cgroup file access shared by the v1 and v2 back ends ----------------------------

// A cgroup directory, opened O_RDONLY|O_DIRECTORY|O_CLOEXEC (usable for clone3's
// CLONE_INTO_CGROUP on v2, unlike O_PATH), with its path for error messages.
struct CgroupDir {
  std::string path;
  UniqueFd fd;
  // Interface files opened ahead (keepCgroupFiles) so that reading or writing them later
  // is one pread/pwrite, not openat + read/write + close: the per-run limit and usage
  // files are opened by the background worker, off the path of a run.
  std::vector<std::pair<std::string, UniqueFd>> kept;
};

// Opens the named files of `dir` and keeps them in dir.kept; files the kernel does not
// have (memsw without swap accounting, pids.peak on old kernels) are skipped.
Status keepCgroupFiles(CgroupDir& dir, std::initializer_list<const char*> names);

// mkdir(path) then open it. EEXIST is an error (fresh directories are the point).
Result<CgroupDir> makeCgroupDir(const std::string& path);
Result<CgroupDir> openCgroupDir(const std::string& path);
// mkdirat + openat below an open parent: skips the path walk from / (the per-run path).
Result<CgroupDir> makeCgroupSubdir(const CgroupDir& parent, const std::string& name);

// Whole small file (interface files are < 4 KiB except stat files; up to 64 KiB read).
Result<std::string> readCgroupFile(const CgroupDir& dir, const char* name);
// One write(2) of `value`: cgroup files take a value per write call.
Status writeCgroupFile(const CgroupDir& dir, const char* name, std::string_view value);
// Like writeCgroupFile, but a missing file is reported as success with *existed = false.
Status writeCgroupFileIfPresent(const CgroupDir& dir, const char* name, std::string_view value,
                                bool* existed);
Result<UniqueFd> openCgroupFile(const CgroupDir& dir, const char* name, int flags);

// Reads a number through a kept-open fd: pread at offset 0 (cgroup files are seq_files
// that regenerate their text on a read from offset 0). With an empty `key` the whole file
// is the number (cpuacct.usage), else the value of "key N" (cpu.stat usage_usec).
// `path` only names the file in error messages. No heap allocation on success.
Result<uint64_t> preadCgroupUint(int fd, const char* path, std::string_view key);

// "123\n" -> 123; "max" -> UINT64_MAX; anything else -> nullopt.
std::optional<uint64_t> parseCgroupUint(std::string_view text);
// The value of "key N" in a flat-keyed file ("oom_kill 3\n..."); nullopt when absent.
std::optional<uint64_t> parseKeyedValue(std::string_view text, std::string_view key);

// rmdir, retried for up to ~200 ms on EBUSY: a cgroup stays busy for a moment after its
// last task was reaped while the kernel finishes tearing the task down. ENOENT is success.
Status removeCgroupDir(const std::string& path);
// Depth-first removal of a cgroup directory and every cgroup below it.
Status removeCgroupTree(const std::string& path);

}  // namespace codecanvas::cgroup
