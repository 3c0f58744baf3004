#include "sandbox/sandbox.h"

#include <boost/asio/post.hpp>

#include <pwd.h>
#include <sys/stat.h>

#include <unistd.h>
#include <boost/asio/executor_work_guard.hpp>

#include <cstdlib>
#include <filesystem>

#include "sandbox/rootfs_manifest.h"

namespace codecanvas::sandbox {

std::string defaultDataDir() {
  if (const char* env = std::getenv("CODECANVAS_DATA_DIR"); env != nullptr && *env != '\0')
    return env;
  return CODECANVAS_DATA_DIR;
}

std::string defaultProcessorPath() {
  if (const char* env = std::getenv("CODECANVAS_PROCESSOR"); env != nullptr && *env != '\0')
    return env;
  std::error_code ec;
  const auto exe_dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  if (!ec) {
    for (const auto& candidate :
         {exe_dir / "codecanvas-processor", exe_dir / ".." / "processor" / "codecanvas-processor",
          exe_dir / ".." / "src" / "processor" / "codecanvas-processor",
          exe_dir / ".." / ".." / "src" / "processor" / "codecanvas-processor"}) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.lexically_normal().string();
    }
  }
  return CODECANVAS_PROCESSOR_PATH;
}

namespace {

// A process of the host that runs as one of [base, base + count): another instance using
// the same slot uids would share their per-uid process limit (RLIMIT_NPROC) with ours.
std::optional<std::pair<uid_t, pid_t>> processOfUids(uid_t base, unsigned count) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0) continue;
    if (st.st_uid >= base && st.st_uid < base + count)
      return std::make_pair(st.st_uid, static_cast<pid_t>(std::stoi(name)));
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<Sandbox>> Sandbox::create(boost::asio::io_context& io,
                                                 SandboxOptions options) {
  if (::geteuid() != 0)
    return Error{
        "codecanvas needs root to build sandbox slots (namespaces, mounts, cgroups); "
        "run it as root",
        EPERM};
  if (options.data_dir.empty()) options.data_dir = defaultDataDir();
  if (options.processor_path.empty()) options.processor_path = defaultProcessorPath();
  if (options.manifest_path.empty())
    options.manifest_path = options.data_dir + "/rootfs/default.manifest";
  std::unique_ptr<Sandbox> sb(new Sandbox(io, options));

  auto binds = loadRootfsManifest(options.manifest_path);
  if (!binds) return binds.error();
  sb->binds_ = std::move(binds.value());
  auto seccomp = SeccompRegistry::load(options.data_dir + "/profiles/seccomp");
  if (!seccomp) return seccomp.error();
  sb->seccomp_ = std::move(seccomp.value());

  for (unsigned i = 0; i < options.slots; ++i) {
    const uid_t uid = options.uid_base + i;
    if (const passwd* pw = ::getpwuid(uid))
      return Error{"slot uid " + std::to_string(uid) + " belongs to the host account '" +
                       pw->pw_name + "'; choose another uid base",
                   EEXIST};
  }
  if (auto busy = processOfUids(options.uid_base, options.slots)) {
    return Error{"slot uid " + std::to_string(busy->first) + " is in use by process " +
                     std::to_string(busy->second) +
                     " (another codecanvas instance?); give each instance its own uid base",
                 EBUSY};
  }
  auto layout = cgroup::detectCgroupLayout();
  if (!layout) return layout.error();
  const cgroup::CgroupLayout& l = layout.value();
  if (l.memory.version == cgroup::CgroupVersion::kNone)
    sb->warnings_.push_back(
        "no memory cgroup controller: memory is limited by RLIMIT_AS and measured by rusage "
        "(largest process only)");
  if (l.pids.version == cgroup::CgroupVersion::kNone)
    sb->warnings_.push_back(
        "no pids cgroup controller: processes are limited by RLIMIT_NPROC of the slot's uid");
  if (l.cpu.version == cgroup::CgroupVersion::kNone)
    sb->warnings_.push_back(
        "no cgroup CPU accounting: CPU time comes from rusage and is enforced by RLIMIT_CPU (whole "
        "seconds)");
  auto tree = cgroup::CgroupTree::create(l);
  if (!tree) return tree.error();
  sb->cgroups_ = std::move(tree.value());

  for (unsigned i = 0; i < options.slots; ++i) {
    auto slot = Slot::create(io, *sb->cgroup_worker_, sb->settingsFor(i), *sb->cgroups_);
    if (!slot) return slot.error();
    sb->slots_.push_back(std::move(slot.value()));
  }
  return sb;
}

Sandbox::~Sandbox() {
  builder_->join();  // a slot being built is finished, then destroyed with the others
  for (auto& b : building_) {
    std::lock_guard lock(b->mu);
    b->slot.reset();
  }
  slots_.clear();  // keepers and slot cgroups go before the instance cgroup
  cgroup_worker_->join();
  cgroups_.reset();
}

SlotSettings Sandbox::settingsFor(unsigned index) const {
  SlotSettings s;
  s.index = index;
  s.processor_path = options_.processor_path;
  s.init.uid = options_.uid_base + index;
  s.init.gid = options_.uid_base + index;
  s.init.box_kb = options_.box_kb;
  s.init.box_inodes = options_.box_inodes;
  s.init.tmp_kb = options_.tmp_kb;
  s.init.binds = binds_;
  s.seccomp = &seccomp_;
  return s;
}

Status Sandbox::rebuild(size_t i) {
  slots_.at(i).reset();
  auto slot = Slot::create(io_, *cgroup_worker_, settingsFor(static_cast<unsigned>(i)), *cgroups_);
  if (!slot) return slot.error();
  slots_[i] = std::move(slot.value());
  return {};
}

void Sandbox::asyncRebuild(size_t i, std::function<void(Status)> done) {
  slots_.at(i).reset();
  auto building = std::make_shared<Building>();
  building_.push_back(building);
  boost::asio::post(*builder_, [this, i, building, done = std::move(done),
                                settings = settingsFor(static_cast<unsigned>(i)),
                                alive = std::weak_ptr<int>(alive_)]() mutable {
    // Worker thread: only the slot under construction, and the cgroup tree read-only (its
    // nodes do not change after start-up; createSlot makes directories of the slot's own).
    auto slot = Slot::create(io_, *cgroup_worker_, std::move(settings), *cgroups_);
    Status status = slot ? Status{} : Status{slot.error()};
    {
      std::lock_guard lock(building->mu);
      if (slot) building->slot = std::move(slot.value());
    }
    boost::asio::post(io_, [this, i, building, done = std::move(done), status, alive] {
      if (alive.expired()) return;  // the Sandbox went first and destroyed the slot
      {
        std::lock_guard lock(building->mu);
        if (building->slot) slots_.at(i) = std::move(building->slot);
      }
      std::erase(building_, building);
      done(status);
    });
  });
}

RunResult runAndWipe(boost::asio::io_context& io, Slot& slot, RunRequest request) {
  RunResult result;
  bool done = false;
  slot.asyncRun(std::move(request), [&](RunResult r) {
    result = std::move(r);
    slot.asyncWipe([&](Status s) {
      if (!s && result.status != RunStatus::kInternalError) {
        result.status = RunStatus::kInternalError;
        result.error = "sandbox failure: " + s.error().message;
      }
      done = true;
    });
  });
  runUntil(io, done);
  return result;
}

void runUntil(boost::asio::io_context& io, const bool& done) {
  // The guard keeps run_one() waiting while the only work in flight is on the cgroup
  // worker (it posts its result back here).
  auto guard = boost::asio::make_work_guard(io);
  io.restart();
  while (!done && io.run_one() > 0) {
  }
}

}  // namespace codecanvas::sandbox
