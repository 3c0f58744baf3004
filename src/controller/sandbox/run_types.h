// What a caller asks of one sandboxed step and what it gets back. Plain data shared by
// the slot, the CLI, the benchmark and (later) the HTTP layer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "unique_fd.h"

namespace codecanvas::sandbox {

class LiveIo;  // live_io.h

// Units as in the HTTP API: milliseconds and KiB.
struct Limits {
  uint64_t cpu_ms = 2000;
  uint64_t wall_ms = 5000;
  uint64_t memory_kb = 256 * 1024;
  uint64_t output_kb = 1024;  // per stream (stdout, stderr)
  uint64_t processes = 64;    // tasks: processes and threads
  uint64_t file_kb = 64 * 1024;
  uint64_t open_files = 256;
  uint64_t stack_kb = 64 * 1024;
  // RLIMIT_AS is off by default: the cgroup limits memory for every language alike, and
  // runtimes like the JVM or Go reserve far more address space than they touch.
  std::optional<uint64_t> address_space_kb;
};

// A file placed in /box before the step runs (or an empty directory, owned like the
// files by the slot's user, for the program to write into).
struct BoxFile {
  std::string name;       // a plain file name in /box, no '/'
  std::string content;    // used when host_path is empty
  std::string host_path;  // copied from the host when set
  uint32_t mode = 0644;
  bool directory = false;  // an empty directory; content and host_path unused
};

struct RunRequest {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::vector<std::string> env;   // added to (and overriding) the default environment
  std::string stdin_data;         // used unless stdin_path is set
  std::string stdin_path;         // a host file given as stdin
  Limits limits;
  std::vector<BoxFile> files;
  // The seccomp policy of this step, by name (profiles/seccomp/<name>.policy, compiled at
  // start-up by the SeccompRegistry). A name it does not hold refuses the step.
  std::string seccomp_policy = "default";
  // A program's run: it finds /box as the steps before it left it and cannot change that
  // for the runs after it (what it adds is removed after it). False for a compile step,
  // whose output the next run must find.
  bool seal_box = true;
  // A directory at the top of /box that the run may write into and whose files stay for
  // the controller after the run (Slot::readBoxDirectory), until the job's wipe; "" for
  // none. It is made before the job (BoxFile::directory).
  std::string output_dir;
  // A live run (an interactive session): stdin is a pipe fed by `live`, which also gets
  // the output as it arrives (live_io.h). stdin_data and stdin_path are then unused.
  std::shared_ptr<LiveIo> live;
  // A run wired to another run (an interactive judge's solution and interactor, each in
  // its own slot): stdin is this pipe's read end instead of stdin_data, and stdout this
  // pipe's write end instead of the pipe the run's output is read from (stdout is then
  // neither kept nor capped: the other program consumes it). The run takes the descriptor
  // out when it is sent, so that the pipe's far end sees end of file as soon as every
  // process of this run is gone; the holder keeps no copy.
  std::shared_ptr<UniqueFd> stdin_pipe, stdout_pipe;
};

enum class RunStatus {
  kOk,
  kRuntimeError,
  kTimeLimit,
  kWallTimeLimit,
  kMemoryLimit,
  kOutputLimit,
  kSyscallBlocked,
  kKilled,  // a live run its client stopped (LiveIo's kill)
  kInternalError,
};
const char* statusName(RunStatus s);

// Where a figure came from; a figure with no source was not measured and is reported null.
enum class Source { kNone, kCgroupV1, kCgroupV2, kRusage };
const char* sourceName(Source s);

struct RunResult {
  RunStatus status = RunStatus::kInternalError;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::optional<double> time_ms;  // CPU time of every process of the run
  double wall_ms = 0;
  std::optional<uint64_t> memory_kb;  // peak
  std::string stdout_data, stderr_data;
  bool stdout_truncated = false, stderr_truncated = false;
  std::string error;        // empty on success; a sentence otherwise
  std::string failed_step;  // the exec-sequence step that failed, if one did
  int failed_errno = 0;
  Source cpu_source = Source::kNone;
  Source memory_source = Source::kNone;
  uint64_t leftover_processes = 0;  // killed after the first process ended
  Limits limits;
};

}  // namespace codecanvas::sandbox
