// The cgroups of a codecanvas server, composed over the v1 and v2 back ends. Server side,
// except where a comment names the keeper or the child.
//
// Tree, in every hierarchy that serves a resource (see cgroup_layout.h):
//   <own>/codecanvas-<pid>                       CgroupTree, one per server process
//   <own>/codecanvas-<pid>/slot-<n>              SlotCgroup, one per pooled slot; on v1
//                                                also the keeper's (protocol::Init)
//   <own>/codecanvas-<pid>/slot-<n>/keeper       v2 only: the slot keeper's leaf
//   <own>/codecanvas-<pid>/slot-<n>/run-<seq>    RunCgroup, a fresh one per run
// A fresh run directory per run is what makes the counters honest: v1 cpuacct.usage and
// memory.max_usage_in_bytes start at zero in a new directory, v2 memory.peak cannot be
// reset before kernel 6.12, and a reused memory cgroup keeps kernel memory of earlier runs.
//
// Not thread-safe: each object is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgroup/layout.h"

namespace codecanvas::cgroup {

struct RunCgroupLimits {
  uint64_t memory_bytes = 0;  // 0 = no limit
  uint64_t pids = 0;          // 0 = no limit
};

struct RunUsage {
  std::optional<uint64_t> cpu_ns;             // only when measured by a cgroup
  std::optional<uint64_t> memory_peak_bytes;  // v1 memory.max_usage_in_bytes; v2 memory.peak
  std::optional<uint64_t> oom_kills;          // v1 memory.oom_control "oom_kill"; v2 memory.events
  std::optional<uint64_t> pids_peak;          // pids.peak where the kernel has it
};

// One hierarchy in use, and which of codecanvas's resources it serves. Several resources
// share one hierarchy on v2 (and on v1 when mounted together, e.g. "memory,pids").
struct CgroupHierarchy {
  CgroupVersion version = CgroupVersion::kNone;
  std::string mount;
  std::string own;
  bool memory = false, pids = false, cpu = false;
};
std::vector<CgroupHierarchy> hierarchiesOf(const CgroupLayout& layout);

// A directory of this tree in one hierarchy, with the roles of that hierarchy.
struct CgroupNode {
  CgroupVersion version = CgroupVersion::kNone;
  bool memory = false, pids = false, cpu = false;
  CgroupDir dir;
  // A run's node in a v1 hierarchy without the memory controller is the slot's one
  // `shared` directory, reused by every run with its counters reset: only memory must be
  // fresh per run (a reused memory cgroup keeps kernel memory of earlier runs), and each
  // mkdir/rmdir pair costs the worker about 150 us of CPU a run. Never removed with a run.
  bool shared = false;
};

// The cgroup(s) of ONE run: a fresh directory per run in every hierarchy in use. Move-only;
// the destructor removes the directories best-effort (after the run's processes are gone).
class RunCgroup {
 public:
  RunCgroup() = default;  // serves no resource
  RunCgroup(RunCgroup&& other) noexcept;
  RunCgroup& operator=(RunCgroup&& other) noexcept;
  ~RunCgroup();

  // The run's v2 directory, opened O_RDONLY|O_DIRECTORY (O_PATH is not enough for clone3),
  // for clone3(CLONE_INTO_CGROUP); -1 when no resource is on v2.
  int v2DirFd() const;
  // One O_WRONLY|O_CLOEXEC fd of `tasks` per v1 hierarchy in use. The sandboxed child
  // (single-threaded, still root) writes "0" to each to move itself: not cgroup.procs,
  // which can stall ~8 ms in an RCU grace period (docs/performance.md).
  std::vector<int> v1TasksFds() const;

  // CPU time of the run so far. Fast path for polling every few ms: one pread on a
  // kept-open fd into a stack buffer. Error when no cgroup measures cpu.
  Result<uint64_t> cpuNs() const;
  RunUsage readUsage() const;  // after the run; fields a hierarchy cannot tell stay empty

  // Writes the memory and pids limits (0 = leave unlimited) into the run's own
  // directories. A run cgroup can be prepared ahead of time without knowing its limits;
  // this is the cheap part left for the run, and may happen while another run runs.
  Status setLimits(const RunCgroupLimits& limits);
  // The slot's shared (v1) directories: zeroes the CPU counter, which still holds earlier
  // runs' time, and writes `limits` where a shared directory enforces one (pids). Only
  // when no process of the slot runs, right before the run: another run may be using
  // them until then.
  Status claimShared(const RunCgroupLimits& limits);

  // rmdir every directory; retries briefly on EBUSY (tasks still dying). Directories that
  // could not be removed are kept for a later call.
  Status remove();

  bool measuresCpu() const { return cpu_fd_.get() >= 0; }
  bool limitsMemory() const;
  bool limitsPids() const;
  const std::vector<CgroupNode>& nodes() const { return nodes_; }

 private:
  friend class SlotCgroup;
  void takeFrom(RunCgroup& other);

  std::vector<CgroupNode> nodes_;
  std::vector<UniqueFd> tasks_fds_;
  UniqueFd cpu_fd_;  // v1 cpuacct.usage or v2 cpu.stat
  CgroupVersion cpu_version_ = CgroupVersion::kNone;
  std::string cpu_path_;  // names the counter in error messages
  int v2_index_ = -1;     // into nodes_
};

// Per slot: <instance>/slot-<n> in every hierarchy in use. Move-only; the destructor
// removes the slot's directories best-effort.
class SlotCgroup {
 public:
  SlotCgroup(SlotCgroup&& other) noexcept;
  SlotCgroup& operator=(SlotCgroup&& other) noexcept;
  ~SlotCgroup();

  // v2 only: the slot keeper must live in a LEAF, because a v2 cgroup whose
  // subtree_control enables controllers may not hold processes (no-internal-process rule).
  // The keeper is cloned into <slot> (clone3 CLONE_INTO_CGROUP with v2SlotDirFd()),
  // unshares its cgroup namespace there (so <slot> becomes its namespace root and every run
  // directory a descendant, which clone3 CLONE_INTO_CGROUP checks), then writes "0" into
  // <slot>/keeper/cgroup.procs; after that the server calls enableSubtreeControllers().
  // A keeper that died cannot be replaced in the same slot (the slot has controllers
  // enabled by then): remove() the slot and create a new one.
  bool usesV2() const { return v2_index_ >= 0; }
  int v2SlotDirFd() const;
  // Creates <slot>/keeper; returns its cgroup.procs opened O_WRONLY|O_CLOEXEC.
  Result<UniqueFd> openKeeperLeafProcs();
  // The `tasks` file of the slot directory in every v1 hierarchy in use, O_WRONLY|O_CLOEXEC,
  // for the keeper to join before it unshares its cgroup namespace (protocol::Init).
  Result<std::vector<UniqueFd>> openV1SlotTasks() const;
  // Writes "+memory +pids" (those on v2) into <slot>/cgroup.subtree_control. A no-op
  // without v2 controllers.
  Status enableSubtreeControllers();

  // mkdir run-<seq> in every hierarchy and write the limits into the run's own
  // directories (setLimits). Cheap (no sleeps): about one mkdir plus two small writes per
  // hierarchy. A v1 hierarchy without memory uses the slot's one "shared" directory: its
  // limits are written by claimShared(), right before the run.
  //   v1: memory.limit_in_bytes (+ memory.memsw.limit_in_bytes when present), pids.max
  //   v2: memory.max, memory.swap.max = 0 (when present), pids.max
  Result<RunCgroup> createRun(const RunCgroupLimits& limits);

  // rmdir the slot directories (the keeper leaf and leftover runs included) once no
  // process is left in them.
  Status remove();

  unsigned index() const { return index_; }
  const std::vector<CgroupNode>& nodes() const { return nodes_; }

 private:
  friend class CgroupTree;
  SlotCgroup() = default;
  void takeFrom(SlotCgroup& other);
  // The slot's `shared` run directory in a hierarchy (made on first use).
  static Result<CgroupDir> openSharedRunDir(const CgroupNode& slot);

  unsigned index_ = 0;
  std::vector<CgroupNode> nodes_;
  int v2_index_ = -1;                        // into nodes_
  std::vector<std::string> v2_controllers_;  // "memory", "pids": the ones served by v2
  std::string keeper_path_;                  // empty until openKeeperLeafProcs()
  bool subtree_enabled_ = false;
};

// One per server process: <own>/codecanvas-<pid> in every hierarchy in use.
class CgroupTree {
 public:
  // Creates the instance directories. Before that it removes stale codecanvas-<pid>
  // siblings whose pid is not alive (depth-first, logged to stderr). v2: enables the
  // needed controllers in <own>/cgroup.subtree_control (when not already enabled) and in
  // <instance>/cgroup.subtree_control. If <own> refuses with EBUSY because this process
  // lives in it, this process first moves into the leaf <own>/codecanvas-server (once,
  // logged) and retries. A layout that serves nothing gives a tree whose runs measure
  // and limit nothing.
  static Result<std::unique_ptr<CgroupTree>> create(const CgroupLayout& layout);

  Result<SlotCgroup> createSlot(unsigned slot);
  const CgroupLayout& layout() const { return layout_; }
  const std::vector<CgroupNode>& nodes() const { return nodes_; }

  // Removes the instance directories depth-first; the destructor calls it best-effort.
  Status remove();
  ~CgroupTree();

  CgroupTree(const CgroupTree&) = delete;
  CgroupTree& operator=(const CgroupTree&) = delete;

 private:
  explicit CgroupTree(const CgroupLayout& layout) : layout_(layout) {}
  Status addHierarchy(const CgroupHierarchy& h);

  CgroupLayout layout_;
  std::vector<CgroupNode> nodes_;
  std::vector<std::string> v2_controllers_;
};

}  // namespace codecanvas::cgroup
