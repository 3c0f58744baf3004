// The sandbox as a whole: configuration, cgroup detection, the compiled seccomp policies
// and the pre-created slots. What codecanvas-run, the benchmark, the integration tests
// and the HTTP server build on.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cgroup/tree.h"
#include "sandbox/slot.h"

namespace codecanvas::sandbox {

struct SandboxOptions {
  unsigned slots = 1;
  // Slot n runs as uid/gid uid_base + n: no two slots share an identity, and none may
  // be a real account of the host.
  uint32_t uid_base = 60100;
  std::string processor_path;  // empty: found next to this executable or in the build tree
  std::string data_dir;        // empty: CODECANVAS_DATA_DIR from the environment or the build
  std::string manifest_path;   // empty: <data_dir>/rootfs/default.manifest
  uint64_t box_kb = 64 * 1024;
  uint64_t box_inodes = 4096;
  uint64_t tmp_kb = 64 * 1024;
};

class Sandbox {
 public:
  // Fails with a sentence an operator can act on: not root, no namespaces, a bad
  // manifest or policy, processor missing.
  static Result<std::unique_ptr<Sandbox>> create(boost::asio::io_context& io,
                                                 SandboxOptions options);
  ~Sandbox();

  size_t size() const { return slots_.size(); }
  Slot& slot(size_t i) { return *slots_.at(i); }
  // Destroys a broken slot and builds it again, waiting for the new keeper.
  Status rebuild(size_t i);
  // The same without holding up the event loop: the old slot is destroyed here, the new
  // one is built on a worker thread (a keeper may take up to 10 s to build its root, and
  // every other slot's timers and pipes would wait that long) and put in place on the
  // loop, where `done` then runs. Until then slot(i) must not be used; after a failure
  // neither (call again). Loop thread only.
  void asyncRebuild(size_t i, std::function<void(Status)> done);
  const cgroup::CgroupLayout& cgroupLayout() const { return cgroups_->layout(); }
  // Every policy of <data_dir>/profiles/seccomp, compiled at create().
  const SeccompRegistry& seccomp() const { return seccomp_; }
  // What is missing and what stands in for it, said once at start-up.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Sandbox(boost::asio::io_context& io, SandboxOptions options)
      : io_(io), options_(std::move(options)) {}
  SlotSettings settingsFor(unsigned index) const;

  boost::asio::io_context& io_;
  SandboxOptions options_;
  std::vector<protocol::BindEntry> binds_;
  SeccompRegistry seccomp_;
  std::unique_ptr<cgroup::CgroupTree> cgroups_;
  // Prepares and removes run cgroups in the background (RunCgroupSupply); one thread is
  // enough, the work is a few mkdir and rmdir calls per run.
  std::unique_ptr<boost::asio::thread_pool> cgroup_worker_ =
      std::make_unique<boost::asio::thread_pool>(1);
  std::vector<std::unique_ptr<Slot>> slots_;
  // asyncRebuild: slots built on the worker and not yet in place. The destructor joins the
  // worker and destroys them here, while the cgroup tree and worker they use still exist.
  struct Building {
    std::mutex mu;
    std::unique_ptr<Slot> slot;
  };
  std::vector<std::shared_ptr<Building>> building_;
  std::unique_ptr<boost::asio::thread_pool> builder_ =
      std::make_unique<boost::asio::thread_pool>(1);
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // expires with the Sandbox
  std::vector<std::string> warnings_;
};

// Runs one step and then wipes the slot, driving `io` until both are done. For callers
// without an event loop of their own (the CLI, tests).
RunResult runAndWipe(boost::asio::io_context& io, Slot& slot, RunRequest request);
// Drives `io` until `done` is set by one of its handlers (or nothing is left to run).
void runUntil(boost::asio::io_context& io, const bool& done);

// The default data directory and processor path, as the build configured them.
std::string defaultDataDir();
std::string defaultProcessorPath();

}  // namespace codecanvas::sandbox
