// A job: everything one API request does inside one locked slot. Plain data that the
// CodeRunner builds and the SlotPool carries out step by step:
//   copy files into /box → compile (or take the artifacts from the compile cache)
//   → each run in order (keep_going may stop early) → wipe the slot.
#pragma once

#include <functional>
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

struct JobPlan {
  std::vector<BoxFile> files;  // the source
  std::optional<CompileStep> compile;
  std::vector<RunRequest> runs;
  // Asked after run `index` ended; false stops the job. The next run may already have
  // started by then (it is sent the moment the keeper reports the previous end): it is
  // killed and not reported. Runs on the pool's event-loop thread.
  std::function<bool(size_t index, const RunResult&)> keep_going;
};

struct JobOutcome {
  std::optional<RunResult> compile;  // absent when the language does not compile
  bool compile_cached = false;
  std::vector<RunResult> runs;  // fewer than planned after a compile error or a stop
  // Set when the sandbox itself failed (not the user's program): a sentence that names
  // the step. The slot is rebuilt before it takes another job.
  std::optional<std::string> fault;
  bool rejected = false;  // the pool shut down before the job got a slot; nothing ran
  unsigned slot = 0;
  double queue_ms = 0;    // from submit to a slot
  double compile_ms = 0;  // wall time of the compile step (0 when cached or none)
  double run_ms = 0;      // wall time of all runs
  double total_ms = 0;    // from submit to the answer (the slot's wipe comes after)
};

}  // namespace codecanvas::controller
