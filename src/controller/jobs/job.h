// A job: everything one API request does inside one locked slot. Plain data that the
// CodeRunner builds and the SlotPool carries out step by step:
//   copy files into /box → compile (or take the artifacts from the compile cache)
//   → each run in order (a judge's verdicts or the job's budget may stop it early)
//   → wipe the slot.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/run_types.h"

namespace codecanvas::jobs {

struct CompileStep {
  sandbox::RunRequest request;
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

// What one job may use in all, over all its runs (0: no limit). The operator sets the
// maxima; a judge's request may ask for less.
struct JobBudget {
  uint64_t wall_ms = 0;       // from the first run's start; the run in progress is killed
  uint64_t cpu_ms = 0;        // summed over the runs; checked as each one ends
  uint64_t output_bytes = 0;  // stdout and stderr kept for the answer, over all runs
};

// Files a job's program leaves for its caller: the directory /box/`dir` exists (empty,
// the slot user's) before the job's first step, and the regular files at its top level
// are read after the last run, while they fit the caps (Slot::readBoxDirectory).
struct OutputCollection {
  std::string dir = "outputs";
  size_t max_files = 16;
  uint64_t max_bytes = 8u << 20;
};

// A judge's own program beside the user's (an interactor or a checker), run in a second
// slot that the job locks too, so the user's program can never reach its files, its
// processes or its answer.
struct CompanionPlan {
  enum class Mode {
    // Runs at the same time as each run, its stdin the run's stdout and its stdout the
    // run's stdin (RunRequest::stdin_pipe/stdout_pipe): an interactive problem's
    // interactor.
    kInteractor,
    // Runs after each run has ended, given what it wrote: a checker program.
    kChecker,
  };
  Mode mode = Mode::kInteractor;
  std::vector<sandbox::BoxFile> files;  // its source
  std::optional<CompileStep> compile;
  sandbox::Limits limits;  // those of each of its steps (what a caller plans time by)
  // Its step for run `index`: the files it reads (under names no earlier step of the job
  // used) and its argv. `run` is the run's result for a checker, null for an interactor.
  std::function<sandbox::RunRequest(size_t index, const sandbox::RunResult* run)> request;
};

inline constexpr size_t kCompanionMessageBytes = 4096;

struct JobPlan {
  std::vector<sandbox::BoxFile> files;  // the source
  std::optional<CompileStep> compile;
  std::vector<sandbox::RunRequest> runs;
  // A judge's decision on each run ("accepted", "wrong_answer" or the run's failing
  // status), made on the run's whole output (and the companion's result for that run,
  // null without one) as soon as it ends, on the pool's event-loop thread. Null for a
  // plain run. "accepted" and "points" pass; anything else is a failure.
  std::function<std::string(size_t index, const sandbox::RunResult&,
                            const sandbox::RunResult* companion)>
      verdict;
  // A second program in a second slot (the judge's interactor or checker); the job then
  // needs two free slots at once.
  std::optional<CompanionPlan> companion;
  // With `verdict`: nothing runs after the first run that is not accepted. The next run
  // may already have started by then (it is sent the moment the keeper reports the
  // previous end): it is killed and not reported.
  bool stop_on_failure = false;
  JobBudget budget;
  // Null: the job cannot be cancelled. Otherwise a cancelled job stops where it is (a
  // running step is killed, nothing after it runs), the slot is wiped as after any job,
  // and the outcome says `cancelled`.
  std::shared_ptr<JobCancel> cancel;
  // A live job (an interactive session): called on the pool's event-loop thread as the job
  // goes: "compile" as a compile starts (not when the compile cache has the artifacts),
  // "compiled" with the compile's result when it ended (from the cache too; a compile
  // error included), "run" as the runs start. `compile` is null but for "compiled".
  std::function<void(const char* event, const sandbox::RunResult* compile)> on_stage;
  // Set: the program's output files are collected into JobOutcome::outputs.
  std::optional<OutputCollection> outputs;
  // The job as the broker carries it (broker/job_wire.h), set by a planner whose jobs may
  // run on another machine (the worker mode); empty otherwise.
  std::string wire;
};

struct JobOutcome {
  std::optional<sandbox::RunResult> compile;  // absent when the language does not compile
  bool compile_cached = false;
  // With JobPlan::companion: its compile step (absent when its language does not compile,
  // or when the runs' own compile failed first) and its result beside each entry of
  // `runs` (absent where it did not run: a checker after a run that failed), whose stdout
  // is not kept and whose stderr is cut to kCompanionMessageBytes (the judge's message).
  std::optional<sandbox::RunResult> companion_compile;
  bool companion_compile_cached = false;
  std::vector<std::optional<sandbox::RunResult>> companion_runs;
  std::vector<sandbox::RunResult> runs;  // fewer than planned after a compile error or a stop
  // With JobPlan::verdict: one per entry of `runs`. The output of an accepted run is not
  // kept (no answer shows it); a failing run's is kept while the output budget lasts.
  std::vector<std::string> verdicts;
  // Why the job stopped before its last run: "" (it did not), "job_wall_ms" or
  // "job_cpu_ms" (JobBudget). The run a wall stop killed is not in `runs`.
  std::string stopped;
  bool output_cut = false;  // the job's output budget cut what a run printed
  // With JobPlan::outputs, after the runs (none after a compile error): the files found,
  // and whether the caps left some out.
  std::vector<sandbox::BoxFile> outputs;
  bool outputs_truncated = false;
  // Set when the sandbox itself failed (not the user's program): a sentence that names
  // the step. The slot is rebuilt before it takes another job.
  std::optional<std::string> fault;
  bool rejected = false;  // the pool shut down before the job got a slot; nothing ran
  // Why, when it was not that: a sentence for the client (the worker mode's broker lost the
  // job's answer, or no worker answered in time).
  std::string rejected_reason;
  bool cancelled = false;  // JobPlan::cancel was requested; `runs` holds what finished before
  unsigned slot = 0;
  double queue_ms = 0;    // from submit to a slot
  double compile_ms = 0;  // wall time of the compile step (0 when cached or none)
  double run_ms = 0;      // wall time of all runs
  double total_ms = 0;    // from submit to the answer (the slot's wipe comes after)
};

// The compile step ran and failed: the program did not run.
inline bool compileFailed(const JobOutcome& o) {
  return o.compile && o.compile->status != sandbox::RunStatus::kOk;
}

}  // namespace codecanvas::jobs
