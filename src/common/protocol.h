// The messages between the controller (in the server) and a slot's keeper (in
// codecanvas-processor). One SOCK_SEQPACKET message per request or reply; descriptors
// travel beside the bytes with SCM_RIGHTS, in the order each message documents.
//
//   controller                          keeper
//   Init ───────────────────────────▶   build the root, pivot into it
//        ◀─────────────────────────── Ready [box dir fd] | Failure
//   Run [stdin, stdout, stderr,     ▶   fork the processor child, which follows the plan
//        cgroup fds...]
//        ◀─────────────────────────── StartFailed{step, errno}  (only when it failed)
//   Kill (any time during a run)    ▶   kill(-1, SIGKILL) in the slot's pid namespace
//        ◀─────────────────────────── Exited{wait status, wall, rusage}
// A successful start is not reported: that would cost a wake-up of the controller while
// the program runs, for nothing the controller needs (it arms its timers at Run).
// Before a run with seal_box the keeper seals /box (what is there becomes root's and
// read-only); after every run it empties what the run added to /box and /tmp
// (src/processor/work_dirs.h), before it reports Exited.
//   Wipe ───────────────────────────▶   fresh tmpfs on /box and /tmp
//        ◀─────────────────────────── Ready [box dir fd] | Failure
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace codecanvas::protocol {

enum class Type : uint32_t {
  kInit = 1,
  kRun = 2,
  kKill = 3,
  kWipe = 4,
  kReady = 101,
  kFailure = 102,
  kStartFailed = 104,
  kExited = 105,
};

// One entry of the slot's root: a host path made visible read-only at the same place.
struct BindEntry {
  std::string path;
  bool optional = false;  // a missing optional path is skipped, a missing required one fails
};

struct Init {
  uint32_t slot = 0;
  uint32_t uid = 0;  // the slot's own unprivileged identity; owns /box
  uint32_t gid = 0;
  std::string hostname = "codecanvas";
  uint64_t box_kb = 64 * 1024;  // tmpfs size caps
  uint64_t box_inodes = 4096;
  uint64_t tmp_kb = 64 * 1024;
  std::vector<BindEntry> binds;
  // With a cgroup v2 slot directory: the keeper unshares its cgroup namespace while it
  // still sits in that directory (making it the namespace root) and then moves itself
  // into the leaf whose cgroup.procs arrives as the Init message's first fd.
  bool move_to_leaf = false;
  // With cgroup v1 hierarchies: the `tasks` files of the slot's directory in each, as the
  // Init message's next fds. The keeper joins them before it unshares its cgroup
  // namespace, so that on v1 too the namespace is rooted at the slot and a program sees
  // "/run-<n>" rather than the server's codecanvas-<pid>/slot-<n>/run-<n> path. v1 allows
  // processes beside child cgroups, and no run counter includes the slot directory's own
  // tasks, so the keeper stays there.
  uint8_t v1_joins = 0;
};

struct Rlimit {
  int32_t resource = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};

// Everything the processor child does between fork and exec, decided by the controller.
// Descriptors arrive with the Run message in this order: stdin, stdout, stderr, then the
// v2 cgroup directory (if cgroup_v2_dir), then one v1 `tasks` file per v1 hierarchy.
struct RunPlan {
  std::vector<std::string> argv;  // argv[0] is the program; without '/', PATH from env is searched
  std::vector<std::string> env;
  std::string cwd = "/box";
  std::vector<Rlimit> rlimits;
  int32_t nice = 0;  // the program's scheduling niceness
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint8_t> seccomp_bpf;  // struct sock_filter[]; empty = no filter
  bool cgroup_v2_dir = false;
  uint32_t v1_tasks_fds = 0;
  // A program's run (not a compile step): /box is sealed before it, so that it finds /box
  // as the steps before it left it and cannot change that for the runs after it.
  bool seal_box = false;
  // A directory at the top of /box the run may write into, left out of the seal and kept
  // after the run for the controller to read (its output files); "" for none. A plain
  // name.
  std::string output_dir;
};

// The steps of the exec sequence, in order; a failing step is reported by number.
enum class Step : int32_t {
  kNone = 0,
  kSealBox,  // the keeper, before the clone
  kClone,
  kJoinCgroup,
  kIpcNamespace,
  kSignalMask,
  kRlimits,
  kNice,
  kBoundingSet,
  kGroups,
  kGid,
  kUid,
  kCapabilities,
  kNoNewPrivs,
  kChdir,
  kStdio,
  kCloseFds,
  kSeccomp,
  kExecve,
};
const char* stepName(Step step);

struct StepFailure {
  Step step = Step::kNone;
  int32_t err = 0;
};

struct Exited {
  int32_t wait_status = 0;  // as from wait4() for the program's first process
  uint64_t wall_ns = 0;     // clone to reap, CLOCK_MONOTONIC, measured by the keeper
  uint64_t user_ns = 0;     // rusage of every process of the run, reaped by the keeper
  uint64_t system_ns = 0;
  uint64_t max_rss_kb = 0;  // the largest single process (rusage cannot sum)
  uint32_t leftover = 0;    // processes still alive when the first one ended (killed)
  // 0, or the errno with which the keeper failed to take back what the run added to /box
  // and /tmp: the figures are valid, but the slot must not run anything more.
  int32_t reset_errno = 0;
};

struct Failure {
  std::string message;
  int32_t err = 0;
};

std::vector<uint8_t> encode(const Init& m);
std::vector<uint8_t> encode(const RunPlan& m);
std::vector<uint8_t> encode(const StepFailure& m);  // as kStartFailed
std::vector<uint8_t> encode(const Exited& m);
std::vector<uint8_t> encode(const Failure& m);
std::vector<uint8_t> encodeEmpty(Type type);  // kKill, kWipe, kReady

// The type of a message, or nullopt when the bytes are too short for a header.
std::optional<Type> typeOf(const std::vector<uint8_t>& bytes);

bool decode(const std::vector<uint8_t>& bytes, Init& m);
bool decode(const std::vector<uint8_t>& bytes, RunPlan& m);
bool decode(const std::vector<uint8_t>& bytes, StepFailure& m);
bool decode(const std::vector<uint8_t>& bytes, Exited& m);
bool decode(const std::vector<uint8_t>& bytes, Failure& m);

}  // namespace codecanvas::protocol
