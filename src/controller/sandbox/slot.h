// A slot: one pre-created sandbox (keeper process, namespaces, root file system, cgroup
// directory, uid) that runs one step at a time. Server side: every method runs on the
// io_context's thread.
//
// Life of a job in a slot:  copy files into /box → asyncRun (compile) → asyncRun (run)
// → asyncWipe. A slot that fails anything (keeper gone, protocol error, wipe failed) is
// broken() and must be rebuilt, never reused.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "cgroup/run_supply.h"
#include "cgroup/tree.h"
#include "protocol.h"
#include "sandbox/keeper_process.h"
#include "sandbox/run_types.h"
#include "sandbox/seccomp_registry.h"
#include "seqpacket.h"

namespace codecanvas::sandbox {

struct SlotSettings {
  unsigned index = 0;
  std::string processor_path;
  protocol::Init init;  // uid, gid, binds, tmpfs sizes; slot and move_to_leaf are filled in
  const SeccompRegistry* seccomp = nullptr;  // the Sandbox's, shared by every slot
};

// What a run (RunOperation, RunSeries) may do with its slot, and nothing more: reach the
// keeper, take a run cgroup, put a file in /box, find its seccomp program, and say the
// slot is broken. Slot implements it; nothing else of the slot is a run's business.
class SlotPort {
 public:
  boost::asio::io_context& io() const { return io_; }
  // One message (and descriptors) to the keeper.
  virtual Status send(const std::vector<uint8_t>& bytes, std::span<const int> fds = {}) = 0;
  // Waits for the next keeper message; the handler gets an error when the keeper is gone.
  virtual void awaitMessage(std::function<void(Result<Message>)> handler) = 0;
  virtual void markBroken(const std::string& why) = 0;
  virtual bool broken() const = 0;
  virtual Status copyIn(const BoxFile& file) = 0;
  virtual cgroup::RunCgroupSupply& runCgroups() = 0;
  virtual const cgroup::CgroupLayout& cgroupLayout() const = 0;
  virtual Result<const std::vector<uint8_t>*> seccompProgram(const std::string& policy) const = 0;
  virtual uint32_t uid() const = 0;
  virtual uint32_t gid() const = 0;
  // A sealed, empty memfd: the stdin of every run that has no input.
  virtual int emptyStdin() const = 0;

 protected:
  explicit SlotPort(boost::asio::io_context& io) : io_(io) {}
  ~SlotPort() = default;

 private:
  boost::asio::io_context& io_;
};

class RunSeries;

class Slot final : private SlotPort {
 public:
  using RunHandler = std::function<void(RunResult)>;

  // Spawns the keeper and waits (bounded) until its root is built.
  // `pool` runs the slot's cgroup preparation in the background.
  static Result<std::unique_ptr<Slot>> create(boost::asio::io_context& io,
                                              boost::asio::thread_pool& pool, SlotSettings settings,
                                              cgroup::CgroupTree& cgroups);
  ~Slot();
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  // Runs one step; `done` is called exactly once, on the io_context's thread.
  void asyncRun(RunRequest request, RunHandler done);
  // Runs `requests` in order, each one's cgroup and plan made while the one before runs
  // and sent as soon as the keeper reports that run's end (RunSeries). `each(i, result)`
  // is called for every run, in order; returning false stops the series, and a run
  // already started after that one is killed and not reported. A broken slot also ends
  // it: the run that could not go out is reported as not started, later ones are not. `end` is
  // called once, when the slot runs nothing any more.
  using SeriesHandler = std::function<bool(size_t index, RunResult result)>;
  void asyncRunSeries(std::vector<RunRequest> requests, SeriesHandler each,
                      std::function<void()> end);
  // Stops the series (or single run) in progress, if any (RunSeries::stop).
  void stopRuns(const std::string& why);
  // Empties /box and /tmp; `done` gets an error when the slot is broken.
  void asyncWipe(std::function<void(Status)> done);
  // Places a file in /box (before a step). Synchronous: a few system calls.
  Status copyIn(const BoxFile& file) override;
  // Reads the regular files at the top level of /box whose names match one of the shell
  // `patterns` (after a compile step: its artifacts). Symbolic links and other file types
  // are ignored; more than `max_bytes` in all is an error.
  Result<std::vector<BoxFile>> readBoxFiles(const std::vector<std::string>& patterns,
                                            uint64_t max_bytes) const;
  // Reads the regular files at the top level of the directory /box/`subdir` (after the
  // runs: what the program left there), in name order, while they fit in `max_files` and
  // `max_bytes` in all; `truncated` says some were left out. Links, directories and other
  // types are ignored, as is a `subdir` that is missing or not a directory (no files).
  struct DirectoryFiles {
    std::vector<BoxFile> files;
    bool truncated = false;
  };
  Result<DirectoryFiles> readBoxDirectory(const std::string& subdir, size_t max_files,
                                          uint64_t max_bytes) const;

  bool broken() const override { return broken_; }
  bool busy() const { return busy_; }
  unsigned index() const { return settings_.index; }
  uint32_t uid() const override { return settings_.init.uid; }
  pid_t keeperPid() const { return keeper_.process.pid(); }

 private:
  Slot(boost::asio::io_context& io, boost::asio::thread_pool& pool, SlotSettings settings,
       cgroup::CgroupTree& cgroups);
  Status start();
  Status startKeeper(cgroup::SlotCgroup& slot_cgroup);
  // SlotPort, for the runs of this slot.
  void awaitMessage(std::function<void(Result<Message>)> handler) override;
  Status send(const std::vector<uint8_t>& bytes, std::span<const int> fds = {}) override;
  void markBroken(const std::string& why) override;
  cgroup::RunCgroupSupply& runCgroups() override { return *run_cgroups_; }
  const cgroup::CgroupLayout& cgroupLayout() const override { return cgroups_.layout(); }
  Result<const std::vector<uint8_t>*> seccompProgram(const std::string& policy) const override;
  uint32_t gid() const override { return settings_.init.gid; }
  int emptyStdin() const override { return empty_stdin_.get(); }

  boost::asio::thread_pool& pool_;
  SlotSettings settings_;
  cgroup::CgroupTree& cgroups_;
  KeeperProcess keeper_;
  // Reset by ~Slot after the keeper is gone, so that its directories are empty.
  std::unique_ptr<cgroup::RunCgroupSupply> run_cgroups_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> socket_watch_;
  UniqueFd box_;
  UniqueFd empty_stdin_;
  std::weak_ptr<RunSeries> series_;  // the series in progress
  bool broken_ = false;
  bool busy_ = false;
};

}  // namespace codecanvas::sandbox
