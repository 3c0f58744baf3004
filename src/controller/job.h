// A job: everything one API request does inside one locked slot. Plain data that the
// CodeRunner builds and the SlotPool carries out step by step:
//   copy files into /box → compile (or take the artifacts from the compile cache)
//   → each run in order (keep_going may stop early) → wipe the slot.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "run_types.h"

namespace codecanvas::controller {

struct CompileStep {
  RunRequest request;
  std::string cache_key;               // empty: never cached
  std::vector<std::string> artifacts;  // globs of the files the cache keeps
};

// Lets whoever submitted a job stop it (the HTTP layer, when the client went away). Thread
// safe: request() may come from any thread, at any time, also before the job has a slot.
class JobCancel {
 public:
  // Idempotent. Runs the registered stop (at most once) outside the lock.
  void request() {
    std::function<void()> stop;
    {
      std::lock_guard lock(mu_);
      if (requested_.exchange(true)) return;
      stop = std::move(stop_);
    }
    if (stop) stop();
  }
  bool requested() const { return requested_.load(); }
  // The pool's way to stop the job at once (it posts onto its own loop); called right
  // away when the request came first. Replaces an earlier registration.
  void onRequest(std::function<void()> stop) {
    {
      std::lock_guard lock(mu_);
      if (!requested_.load()) {
        stop_ = std::move(stop);
        return;
      }
    }
    if (stop) stop();
  }

 private:
  std::mutex mu_;
  std::atomic<bool> requested_{false};
  std::function<void()> stop_;
};

struct JobPlan {
  std::vector<BoxFile> files;  // the source
  std::optional<CompileStep> compile;
  std::vector<RunRequest> runs;
  // Asked after run `index` ended; false stops the job. The next run may already have
  // started by then (it is sent the moment the keeper reports the previous end): it is
  // killed and not reported. Runs on the pool's event-loop thread.
  std::function<bool(size_t index, const RunResult&)> keep_going;
  // Null: the job cannot be cancelled. Otherwise a cancelled job stops where it is (a
  // running step is killed, nothing after it runs), the slot is wiped as after any job,
  // and the outcome says `cancelled`.
  std::shared_ptr<JobCancel> cancel;
};

struct JobOutcome {
  std::optional<RunResult> compile;  // absent when the language does not compile
  bool compile_cached = false;
  std::vector<RunResult> runs;  // fewer than planned after a compile error or a stop
  // Set when the sandbox itself failed (not the user's program): a sentence that names
  // the step. The slot is rebuilt before it takes another job.
  std::optional<std::string> fault;
  bool rejected = false;  // the pool shut down before the job got a slot; nothing ran
  bool cancelled = false;  // JobPlan::cancel was requested; `runs` holds what finished before
  unsigned slot = 0;
  double queue_ms = 0;    // from submit to a slot
  double compile_ms = 0;  // wall time of the compile step (0 when cached or none)
  double run_ms = 0;      // wall time of all runs
  double total_ms = 0;    // from submit to the answer (the slot's wipe comes after)
};

}  // namespace codecanvas::controller
