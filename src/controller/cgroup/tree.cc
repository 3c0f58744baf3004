#include "cgroup/tree.h"

#include <atomic>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>

#include "cgroup/v1.h"
#include "cgroup/v2.h"

namespace codecanvas::cgroup {
namespace {

constexpr const char* kInstancePrefix = "codecanvas-";
constexpr const char* kServerLeaf = "codecanvas-server";

bool isV1(const CgroupNode& n) {
  return n.version == CgroupVersion::kV1;
}

void logRemoveFailure(const char* what, const Status& s) {
  if (!s)
    std::fprintf(stderr, "codecanvas: cgroups: cannot remove %s: %s\n", what,
                 s.error().message.c_str());
}

// Removes nodes in reverse order, keeping those that failed; returns the first failure.
Status removeNodes(std::vector<CgroupNode>& nodes, bool whole_tree) {
  Status first;
  std::vector<CgroupNode> kept;
  while (!nodes.empty()) {
    CgroupNode node = std::move(nodes.back());
    nodes.pop_back();
    node.dir.fd.reset();
    Status s = whole_tree ? removeCgroupTree(node.dir.path) : removeCgroupDir(node.dir.path);
    if (!s) {
      if (first) first = s;
      kept.insert(kept.begin(), std::move(node));
    }
  }
  nodes = std::move(kept);
  return first;
}

// mkdir, or, when a leftover of the same name exists (an earlier slot or instance whose
// removal failed, now free of processes), remove it depth-first and mkdir again.
Result<CgroupDir> makeFreshDir(const std::string& path) {
  Result<CgroupDir> dir = makeCgroupDir(path);
  if (dir || dir.error().errno_value != EEXIST) return dir;
  if (Status s = removeCgroupTree(path); !s) {
    return withContext("replace leftover cgroup " + path, s.error());
  }
  return makeCgroupDir(path);
}

// "codecanvas-1234" -> 1234; anything else (e.g. "codecanvas-server") -> 0.
pid_t instancePid(std::string_view name) {
  std::string_view prefix = kInstancePrefix;
  if (name.substr(0, prefix.size()) != prefix) return 0;
  std::string_view digits = name.substr(prefix.size());
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0) return 0;
  return pid;
}

// Removes codecanvas-<pid> directories left by servers that died without cleaning up.
// A pid in another pid namespace looks dead from here: servers sharing one cgroup must
// share a pid namespace (or use distinct cgroups).
void sweepStaleInstances(const std::string& own_dir) {
  std::vector<std::string> stale;
  if (DIR* d = ::opendir(own_dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      pid_t pid = instancePid(e->d_name);
      if (pid == 0 || pid == ::getpid()) continue;
      if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
      stale.push_back(own_dir + "/" + e->d_name);
    }
    ::closedir(d);
  }
  for (const std::string& path : stale) {
    Status s = removeCgroupTree(path);
    if (s) {
      std::fprintf(stderr, "codecanvas: cgroups: removed stale %s (its server is gone)\n",
                   path.c_str());
    } else {
      logRemoveFailure(path.c_str(), s);
    }
  }
}

// Enables the controllers in <own>. v2 refuses (EBUSY) while <own> holds processes and
// has controllers to hand down, which is the case for a server started straight into
// its own cgroup (a systemd service): move this process into a leaf and retry once.
Status enableInOwn(const CgroupDir& own, const std::vector<std::string>& controllers) {
  Status s = v2::enableControllers(own, controllers);
  if (s || s.error().errno_value != EBUSY) return s;
  if (v2::holdsProcess(own, ::getpid())) {
    std::string leaf_path = own.path + "/" + kServerLeaf;
    Result<CgroupDir> leaf = makeCgroupDir(leaf_path);
    if (!leaf && leaf.error().errno_value == EEXIST) leaf = openCgroupDir(leaf_path);
    if (!leaf) return leaf.error();
    if (Status m = v2::moveSelfTo(*leaf); !m) return m;
    std::fprintf(stderr,
                 "codecanvas: cgroups: moved this server into %s so that %s can enable "
                 "controllers for its children (cgroup v2 no-internal-process rule)\n",
                 leaf_path.c_str(), own.path.c_str());
    s = v2::enableControllers(own, controllers);
    if (s || s.error().errno_value != EBUSY) return s;
  }
  return withContext("other processes live in " + own.path + " itself (pids " +
                         v2::processList(own) + "); run the server in a cgroup of its own",
                     s.error());
}

std::string joinControllers(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : " ") + n;
  return s;
}

}  // namespace

std::vector<CgroupHierarchy> hierarchiesOf(const CgroupLayout& layout) {
  std::vector<CgroupHierarchy> out;
  auto add = [&out](const Placement& p, bool CgroupHierarchy::*role) {
    if (p.version == CgroupVersion::kNone) return;
    for (CgroupHierarchy& h : out) {
      if (h.version == p.version && h.mount == p.mount) {
        h.*role = true;
        return;
      }
    }
    CgroupHierarchy h{p.version, p.mount, p.own};
    h.*role = true;
    out.push_back(std::move(h));
  };
  add(layout.memory, &CgroupHierarchy::memory);
  add(layout.pids, &CgroupHierarchy::pids);
  add(layout.cpu, &CgroupHierarchy::cpu);
  return out;
}

// ---- RunCgroup ----------------------------------------------------------------------

RunCgroup::RunCgroup(RunCgroup&& other) noexcept {
  takeFrom(other);
}

RunCgroup& RunCgroup::operator=(RunCgroup&& other) noexcept {
  if (this != &other) {
    logRemoveFailure("run cgroup", remove());
    takeFrom(other);
  }
  return *this;
}

RunCgroup::~RunCgroup() {
  logRemoveFailure("run cgroup", remove());
}

void RunCgroup::takeFrom(RunCgroup& other) {
  nodes_ = std::exchange(other.nodes_, {});
  tasks_fds_ = std::exchange(other.tasks_fds_, {});
  cpu_fd_ = std::move(other.cpu_fd_);
  cpu_version_ = std::exchange(other.cpu_version_, CgroupVersion::kNone);
  cpu_path_ = std::exchange(other.cpu_path_, {});
  v2_index_ = std::exchange(other.v2_index_, -1);
}

int RunCgroup::v2DirFd() const {
  return v2_index_ >= 0 ? nodes_[static_cast<size_t>(v2_index_)].dir.fd.get() : -1;
}

std::vector<int> RunCgroup::v1TasksFds() const {
  std::vector<int> fds;
  fds.reserve(tasks_fds_.size());
  for (const UniqueFd& fd : tasks_fds_) fds.push_back(fd.get());
  return fds;
}

Result<uint64_t> RunCgroup::cpuNs() const {
  if (!cpu_fd_) return Error{"cpu time is not measured by a cgroup in this run", 0};
  return cpu_version_ == CgroupVersion::kV1 ? v1::readCpuNs(cpu_fd_.get(), cpu_path_.c_str())
                                            : v2::readCpuNs(cpu_fd_.get(), cpu_path_.c_str());
}

RunUsage RunCgroup::readUsage() const {
  RunUsage usage;
  if (Result<uint64_t> cpu = cpuNs(); cpu) usage.cpu_ns = *cpu;
  for (const CgroupNode& n : nodes_) {
    if (n.memory) {
      usage.memory_peak_bytes = isV1(n) ? v1::readMemoryPeak(n.dir) : v2::readMemoryPeak(n.dir);
      usage.oom_kills = isV1(n) ? v1::readOomKills(n.dir) : v2::readOomKills(n.dir);
    }
    // A shared directory's peak spans every run it served: not this run's figure.
    if (n.pids && !n.shared)
      usage.pids_peak = isV1(n) ? v1::readPidsPeak(n.dir) : v2::readPidsPeak(n.dir);
  }
  return usage;
}

Status RunCgroup::remove() {
  tasks_fds_.clear();
  cpu_fd_.reset();
  // Shared directories belong to the slot and go with it.
  std::erase_if(nodes_, [](const CgroupNode& n) { return n.shared; });
  Status s = removeNodes(nodes_, /*whole_tree=*/false);
  // Indexes into nodes_ are stale after a partial removal; the v2 fd is only useful
  // before the run anyway.
  v2_index_ = -1;
  return s;
}

bool RunCgroup::limitsMemory() const {
  for (const CgroupNode& n : nodes_) {
    if (n.memory) return true;
  }
  return false;
}

bool RunCgroup::limitsPids() const {
  for (const CgroupNode& n : nodes_) {
    if (n.pids) return true;
  }
  return false;
}

// ---- SlotCgroup ---------------------------------------------------------------------

SlotCgroup::SlotCgroup(SlotCgroup&& other) noexcept {
  takeFrom(other);
}

SlotCgroup& SlotCgroup::operator=(SlotCgroup&& other) noexcept {
  if (this != &other) {
    logRemoveFailure("slot cgroup", remove());
    takeFrom(other);
  }
  return *this;
}

SlotCgroup::~SlotCgroup() {
  logRemoveFailure("slot cgroup", remove());
}

void SlotCgroup::takeFrom(SlotCgroup& other) {
  index_ = other.index_;
  nodes_ = std::exchange(other.nodes_, {});
  v2_index_ = std::exchange(other.v2_index_, -1);
  v2_controllers_ = std::exchange(other.v2_controllers_, {});
  keeper_path_ = std::exchange(other.keeper_path_, {});
  subtree_enabled_ = std::exchange(other.subtree_enabled_, false);
}

int SlotCgroup::v2SlotDirFd() const {
  return usesV2() ? nodes_[static_cast<size_t>(v2_index_)].dir.fd.get() : -1;
}

Result<UniqueFd> SlotCgroup::openKeeperLeafProcs() {
  if (!usesV2()) return Error{"slot " + std::to_string(index_) + ": no cgroup v2 in use", 0};
  const CgroupDir& slot = nodes_[static_cast<size_t>(v2_index_)].dir;
  std::string path = slot.path + "/keeper";
  Result<CgroupDir> leaf = makeCgroupDir(path);
  if (!leaf && leaf.error().errno_value == EEXIST) leaf = openCgroupDir(path);
  if (!leaf) return leaf.error();
  keeper_path_ = path;
  return v2::openProcs(*leaf);
}

Result<std::vector<UniqueFd>> SlotCgroup::openV1SlotTasks() const {
  std::vector<UniqueFd> fds;
  for (const CgroupNode& node : nodes_) {
    if (!isV1(node)) continue;
    Result<UniqueFd> tasks = v1::openTasks(node.dir);
    if (!tasks) return tasks.error();
    fds.push_back(std::move(tasks).value());
  }
  return fds;
}

Status SlotCgroup::enableSubtreeControllers() {
  if (usesV2() && !v2_controllers_.empty()) {
    const CgroupDir& slot = nodes_[static_cast<size_t>(v2_index_)].dir;
    if (Status s = v2::enableControllers(slot, v2_controllers_); !s) {
      if (s.error().errno_value != EBUSY) return s;
      return withContext("slot " + std::to_string(index_) +
                             ": a process is still in the slot itself; the keeper must move "
                             "into <slot>/keeper first",
                         s.error());
    }
  }
  subtree_enabled_ = true;
  return {};
}

Result<CgroupDir> SlotCgroup::openSharedRunDir(const CgroupNode& slot) {
  Result<CgroupDir> dir = openCgroupDir(slot.dir.path + "/shared");
  if (dir || dir.error().errno_value != ENOENT) return dir;
  return makeCgroupSubdir(slot.dir, "shared");
}

Result<RunCgroup> SlotCgroup::createRun(const RunCgroupLimits& limits) {
  if (usesV2() && !v2_controllers_.empty() && !subtree_enabled_) {
    return Error{"slot " + std::to_string(index_) + ": createRun() before " +
                     "enableSubtreeControllers(): " + joinControllers(v2_controllers_) +
                     " would not be available in the run cgroup",
                 0};
  }
  // Numbered across the whole process, not per slot: a slot rebuilt under the same index
  // must never reuse a name that a late clean-up of its predecessor might still remove.
  static std::atomic<uint64_t> run_counter{0};
  const std::string name = "run-" + std::to_string(run_counter++);
  RunCgroup run;  // on an early return its destructor removes what was made
  for (const CgroupNode& slot : nodes_) {
    const bool shared = isV1(slot) && !slot.memory;
    Result<CgroupDir> dir = shared ? openSharedRunDir(slot) : makeCgroupSubdir(slot.dir, name);
    if (!dir) return dir.error();
    run.nodes_.push_back(
        CgroupNode{slot.version, slot.memory, slot.pids, slot.cpu, std::move(dir).value(), shared});
    CgroupNode& node = run.nodes_.back();
    const bool v1 = isV1(node);
    if (shared && node.cpu) {
      // Reset to 0 by claimShared(), right before the run.
      if (Status kept = keepCgroupFiles(node.dir, {"cpuacct.usage"}); !kept) return kept.error();
    }
    // Everything a run writes or reads, opened now (on the worker) rather than per run.
    if (node.memory) {
      Status kept =
          v1 ? keepCgroupFiles(node.dir, {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
                                          "memory.max_usage_in_bytes", "memory.oom_control"})
             : keepCgroupFiles(node.dir, {"memory.max", "memory.swap.max", "memory.oom.group",
                                          "memory.peak", "memory.events"});
      if (!kept) return kept.error();
    }
    if (node.pids) {
      if (Status kept = keepCgroupFiles(node.dir, {"pids.max", "pids.peak"}); !kept)
        return kept.error();
    }
    if (node.cpu) {
      Result<UniqueFd> fd = v1 ? v1::openCpuUsage(node.dir) : v2::openCpuStat(node.dir);
      if (!fd) return fd.error();
      run.cpu_fd_ = std::move(fd).value();
      run.cpu_version_ = node.version;
      run.cpu_path_ = node.dir.path + (v1 ? "/cpuacct.usage" : "/cpu.stat");
    }
    if (v1) {
      Result<UniqueFd> tasks = v1::openTasks(node.dir);
      if (!tasks) return tasks.error();
      run.tasks_fds_.push_back(std::move(tasks).value());
    } else {
      run.v2_index_ = static_cast<int>(run.nodes_.size() - 1);
    }
  }
  if (Status st = run.setLimits(limits); !st) return st.error();
  return run;
}

namespace {

// Writes `limits` into the nodes whose `shared` flag equals `shared`.
Status writeLimits(const std::vector<CgroupNode>& nodes, const RunCgroupLimits& limits,
                   bool shared) {
  for (const CgroupNode& node : nodes) {
    if (node.shared != shared) continue;
    const bool v1 = isV1(node);
    if (node.memory && limits.memory_bytes != 0) {
      Status s = v1 ? v1::writeMemoryLimit(node.dir, limits.memory_bytes)
                    : v2::writeMemoryLimit(node.dir, limits.memory_bytes);
      if (!s) return s;
    }
    if (node.pids && limits.pids != 0) {
      Status s = v1 ? v1::writePidsLimit(node.dir, limits.pids)
                    : v2::writePidsLimit(node.dir, limits.pids);
      if (!s) return s;
    } else if (node.pids && shared) {
      // A shared directory still holds the previous run's limit: "unlimited" is written.
      if (Status s = writeCgroupFile(node.dir, "pids.max", "max"); !s) return s;
    }
  }
  return {};
}

}  // namespace

Status RunCgroup::claimShared(const RunCgroupLimits& limits) {
  for (const CgroupNode& node : nodes_) {
    if (node.shared && node.cpu) {
      if (Status s = writeCgroupFile(node.dir, "cpuacct.usage", "0"); !s) return s;
    }
  }
  return writeLimits(nodes_, limits, /*shared=*/true);
}

Status RunCgroup::setLimits(const RunCgroupLimits& limits) {
  return writeLimits(nodes_, limits, /*shared=*/false);
}

Status SlotCgroup::remove() {
  keeper_path_.clear();
  v2_index_ = -1;
  return removeNodes(nodes_, /*whole_tree=*/true);
}

// ---- CgroupTree ---------------------------------------------------------------------

Result<std::unique_ptr<CgroupTree>> CgroupTree::create(const CgroupLayout& layout) {
  std::unique_ptr<CgroupTree> tree(new CgroupTree(layout));
  if (layout.memory.version == CgroupVersion::kV2) tree->v2_controllers_.push_back("memory");
  if (layout.pids.version == CgroupVersion::kV2) tree->v2_controllers_.push_back("pids");
  for (const CgroupHierarchy& h : hierarchiesOf(layout)) {
    if (Status s = tree->addHierarchy(h); !s) return s.error();  // ~CgroupTree cleans up
  }
  return tree;
}

Status CgroupTree::addHierarchy(const CgroupHierarchy& h) {
  Placement p{h.version, h.mount, h.own};
  const std::string own_dir = p.ownDir();
  sweepStaleInstances(own_dir);
  const bool v2 = h.version == CgroupVersion::kV2;
  if (v2 && !v2_controllers_.empty()) {
    Result<CgroupDir> own = openCgroupDir(own_dir);
    if (!own) return own.error();
    if (Status s = enableInOwn(*own, v2_controllers_); !s) {
      return withContext("enable " + joinControllers(v2_controllers_) + " below " + own_dir +
                             " (the server needs a delegated cgroup, e.g. systemd Delegate=yes)",
                         s.error());
    }
  }
  Result<CgroupDir> instance =
      makeFreshDir(own_dir + "/" + kInstancePrefix + std::to_string(::getpid()));
  if (!instance) return instance.error();
  nodes_.push_back(CgroupNode{h.version, h.memory, h.pids, h.cpu, std::move(instance).value()});
  if (v2 && !v2_controllers_.empty()) {
    if (Status s = v2::enableControllers(nodes_.back().dir, v2_controllers_); !s) return s;
  }
  return {};
}

Result<SlotCgroup> CgroupTree::createSlot(unsigned slot) {
  SlotCgroup out;
  out.index_ = slot;
  out.v2_controllers_ = v2_controllers_;
  for (const CgroupNode& instance : nodes_) {
    Result<CgroupDir> dir = makeFreshDir(instance.dir.path + "/slot-" + std::to_string(slot));
    if (!dir) return dir.error();  // ~SlotCgroup removes what was made
    out.nodes_.push_back(CgroupNode{instance.version, instance.memory, instance.pids, instance.cpu,
                                    std::move(dir).value()});
    if (instance.version == CgroupVersion::kV2) {
      out.v2_index_ = static_cast<int>(out.nodes_.size() - 1);
    }
  }
  return out;
}

Status CgroupTree::remove() {
  return removeNodes(nodes_, /*whole_tree=*/true);
}

CgroupTree::~CgroupTree() {
  logRemoveFailure("cgroup tree", remove());
}

}  // namespace codecanvas::cgroup
