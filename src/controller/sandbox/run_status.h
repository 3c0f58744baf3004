// The status of a run, decided after it ended from what was measured. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sandbox/run_types.h"

namespace codecanvas::sandbox {

// Why the controller itself ended a run early, if it did.
// kRequested: the client of a live run asked for it.
enum class KillReason { kNone, kCpu, kWall, kOutput, kRequested };

struct VerdictInput {
  bool started = true;  // false: an exec-sequence step failed, the program never ran
  int wait_status = 0;
  KillReason killed = KillReason::kNone;
  // Output over the cap was cut. Usually the controller killed for it (killed = kOutput),
  // but output that fit in the pipe may be read only after the program ended.
  bool output_cut = false;
  std::optional<uint64_t> cpu_ns;
  uint64_t cpu_limit_ns = 0;
  std::optional<uint64_t> oom_kills;
  std::optional<uint64_t> memory_peak_bytes;
  uint64_t memory_limit_bytes = 0;
};

RunStatus decideStatus(const VerdictInput& in);

// "SIGSEGV" for 11; "signal 77" for a number without a name.
std::string signalName(int sig);

// The sentence a result gives for its status, naming the limit that was passed, the signal
// or the exit code ("time limit exceeded (1000 ms)", "killed by signal SIGSEGV"); empty
// for kOk.
std::string statusMessage(RunStatus status, const Limits& limits, std::optional<int> exit_code,
                          std::optional<int> signal);

}  // namespace codecanvas::sandbox
