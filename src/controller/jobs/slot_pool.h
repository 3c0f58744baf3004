// The slot pool: the pre-created slots, a bounded FIFO job queue in front of them and the
// event-loop thread that drives every slot. Jobs are admitted only while the queue has
// room (otherwise the caller answers 503 and nothing runs), take the first free slot in
// order of arrival, lock it for their whole life and leave it wiped, or rebuilt when the
// sandbox failed.
//
// Threads: submit(), stats(), drain() and cache() may be called from any thread; every
// slot operation happens on the pool's own event-loop thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "jobs/compile_cache.h"
#include "jobs/job.h"
#include "sandbox/sandbox.h"

namespace codecanvas::jobs {

struct PoolOptions {
  sandbox::SandboxOptions sandbox;   // sandbox.slots: the pool size
  size_t queue_capacity = 64;        // jobs waiting for a slot, beyond the running ones
  uint64_t cache_bytes = 256 << 20;  // compile cache size
  uint64_t max_artifact_bytes = 64 << 20;
};

class SlotPool {
 public:
  static Result<std::unique_ptr<SlotPool>> create(PoolOptions options);
  // Stops the event loop and tears down every slot (after drain(), nothing is running).
  ~SlotPool();

  // Admits a job, or returns nullopt when the queue is full or the pool is draining.
  std::optional<std::future<JobOutcome>> submit(JobPlan plan);
  // The same, for a caller that must not block a thread on the job (a live session):
  // `done` gets the outcome on the pool's event-loop thread (or, for a job still queued
  // when the pool is destroyed, on the destroying thread). False: not admitted, and `done`
  // is never called.
  bool submit(JobPlan plan, std::function<void(JobOutcome)> done);

  // Stops admitting jobs: submit() refuses from now on; admitted jobs go on.
  void stopAdmitting();
  bool admitting() const;
  // Stops admitting jobs and waits until every admitted one has ended, at most `grace`.
  // True when none is left.
  bool drain(std::chrono::milliseconds grace);

  struct Stats {
    size_t slots = 0, busy = 0, broken = 0, queued = 0, queue_capacity = 0;
    uint64_t rebuilds = 0, rebuild_failures = 0;
  };
  Stats stats() const;
  // The number of slots (a job with a companion needs two). Any thread.
  size_t size() const {
    std::lock_guard lock(mu_);
    return slot_busy_.size();
  }
  CompileCache& cache() { return cache_; }
  const cgroup::CgroupLayout& cgroupLayout() const { return sandbox_->cgroupLayout(); }
  const std::vector<std::string>& warnings() const { return sandbox_->warnings(); }
  // Read-only: any thread.
  const sandbox::SeccompRegistry& seccomp() const { return sandbox_->seccomp(); }

 private:
  struct Pending {
    JobPlan plan;
    std::promise<JobOutcome> promise;  // unused when `done` is set
    std::function<void(JobOutcome)> done;
    std::chrono::steady_clock::time_point submitted;
    void deliver(JobOutcome o) {
      if (done)
        done(std::move(o));
      else
        promise.set_value(std::move(o));
    }
  };
  bool admit(std::unique_ptr<Pending> pending);
  class Execution;  // one job in its slot (slot_pool.cc)

  explicit SlotPool(PoolOptions options)
      : options_(std::move(options)), cache_(options_.cache_bytes) {}
  // Event-loop thread: hands queued jobs to free slots, in order of arrival.
  void dispatch();
  // Event-loop thread: a job left slot `index`; rebuilds it first when broken. The job
  // no longer counts as admitted with the last slot it leaves (`job_ended`).
  void release(size_t index, bool rebuild_slot, bool job_ended);
  // Event-loop thread: destroys slot `index` and builds it again off the loop
  // (Sandbox::asyncRebuild); `then` runs on the loop when it is done or failed.
  void rebuild(size_t index, std::function<void()> then);
  // Event-loop thread: slot `index` takes jobs again (and, with `job_ended`, the job that
  // held it no longer counts as admitted); the next queued job is dispatched.
  void slotFree(size_t index, bool job_ended);

  PoolOptions options_;
  CompileCache cache_;
  boost::asio::io_context io_;
  std::unique_ptr<sandbox::Sandbox> sandbox_;
  std::thread loop_;

  mutable std::mutex mu_;
  std::condition_variable idle_;
  std::deque<std::unique_ptr<Pending>> queue_;
  size_t admitted_ = 0;  // submitted and not yet finished
  bool draining_ = false;
  std::vector<bool> slot_busy_;    // event-loop thread writes, stats() reads (under mu_)
  std::vector<bool> slot_broken_;  // rebuild failed; retried on a later dispatch
  std::vector<std::chrono::steady_clock::time_point> retry_at_;  // event-loop thread only
  uint64_t rebuilds_ = 0, rebuild_failures_ = 0;
};

}  // namespace codecanvas::jobs
