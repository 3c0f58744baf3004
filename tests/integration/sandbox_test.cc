// The sandbox against hostile programs (tests/hostile): one property or limit each,
// run in a real slot through the same code path as the service (Sandbox, Slot,
// RunOperation), with the expected status and a check afterwards.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "kernel_features.h"
#include "sandbox/sandbox.h"
#include "test_support.h"

namespace codecanvas::sandbox {
using namespace codecanvas::cgroup;
namespace {

constexpr uint32_t kUidBase = 60300;

std::string hostile(const std::string& name) {
  return std::string(HOSTILE_DIR) + "/" + name;
}

using testing::hostProcessesOfUid;

class SandboxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    io_ = new boost::asio::io_context;
    SandboxOptions o;
    o.slots = 1;
    o.uid_base = kUidBase;
    o.box_kb = 16 * 1024;
    o.box_inodes = 2048;
    auto sb = Sandbox::create(*io_, o);
    if (sb)
      sandbox_ = sb.value().release();
    else
      setup_error_ = new std::string(sb.error().message);
  }
  static void TearDownTestSuite() {
    delete sandbox_;
    delete io_;
    delete setup_error_;
    sandbox_ = nullptr, io_ = nullptr, setup_error_ = nullptr;
  }
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    ASSERT_NE(sandbox_, nullptr) << "sandbox set-up failed: "
                                 << (setup_error_ ? *setup_error_ : "?");
    if (sandbox_->slot(0).broken()) {
      ASSERT_TRUE(sandbox_->rebuild(0).ok());
    }
  }

  // Limits for tests about something other than time; the time limits grow with the
  // slack of slow test machines (the emulated v2 guest) so they never decide a verdict.
  static Limits quickLimits() {
    Limits l;
    l.cpu_ms = static_cast<uint64_t>(1000 * testing::timeSlack());
    l.wall_ms = static_cast<uint64_t>(3000 * testing::timeSlack());
    l.memory_kb = 64 * 1024;
    l.processes = 32;
    l.output_kb = 1024;
    return l;
  }

  // A hostile program (copied into /box) with arguments.
  static RunRequest request(const std::string& program, std::vector<std::string> args = {},
                            Limits limits = quickLimits(), std::string stdin_data = {}) {
    RunRequest r;
    r.argv = {"./" + program};
    r.argv.insert(r.argv.end(), args.begin(), args.end());
    r.files.push_back({program, "", hostile(program), 0755});
    r.limits = limits;
    r.stdin_data = std::move(stdin_data);
    return r;
  }

  RunResult run(const std::string& program, std::vector<std::string> args = {},
                Limits limits = quickLimits(), std::string stdin_data = {}) {
    return runAndWipe(*io_, sandbox_->slot(0),
                      request(program, std::move(args), limits, std::move(stdin_data)));
  }

  struct SeriesOutcome {
    std::vector<RunResult> results;
    double ms = 0;  // from the start to the series' end (before the wipe)
  };
  // The requests as one series in slot 0, as a job's runs go (Slot::asyncRunSeries);
  // `keep` decides after each result whether the series goes on. Then the wipe.
  // `at_end` runs when the series has ended, before the wipe.
  SeriesOutcome runSeries(std::vector<RunRequest> requests,
                          std::function<bool(const RunResult&)> keep = nullptr,
                          std::function<void()> at_end = nullptr) {
    SeriesOutcome out;
    bool done = false;
    Slot& slot = sandbox_->slot(0);
    const auto t0 = std::chrono::steady_clock::now();
    slot.asyncRunSeries(
        std::move(requests),
        [&](size_t i, RunResult r) {
          EXPECT_EQ(i, out.results.size()) << "results out of order";
          out.results.push_back(std::move(r));
          return !keep || keep(out.results.back());
        },
        [&] {
          out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                       .count();
          if (at_end) at_end();
          if (slot.broken()) {
            done = true;
            return;
          }
          slot.asyncWipe([&](Status) { done = true; });
        });
    runUntil(*io_, done);
    return out;
  }

  static std::string describe(const RunResult& r) {
    std::ostringstream s;
    s << "status=" << statusName(r.status) << " exit=" << r.exit_code.value_or(-1)
      << " signal=" << r.signal.value_or(0) << " time_ms=" << r.time_ms.value_or(-1)
      << " wall_ms=" << r.wall_ms << " memory_kb=" << r.memory_kb.value_or(0)
      << " error=" << r.error << "\nstdout: " << r.stdout_data.substr(0, 2000)
      << "\nstderr: " << r.stderr_data.substr(0, 2000);
    return s.str();
  }

  static boost::asio::io_context* io_;
  static Sandbox* sandbox_;
  static std::string* setup_error_;
};

boost::asio::io_context* SandboxTest::io_ = nullptr;
Sandbox* SandboxTest::sandbox_ = nullptr;
std::string* SandboxTest::setup_error_ = nullptr;

TEST_F(SandboxTest, HelloWorld) {
  auto r = run("hello");
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  EXPECT_EQ(r.stdout_data, "hello\n");
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_TRUE(r.time_ms.has_value());
  ASSERT_TRUE(r.memory_kb.has_value());
  EXPECT_GT(r.wall_ms, 0.0);
  EXPECT_NE(r.cpu_source, Source::kNone);
}

TEST_F(SandboxTest, StdinReachesTheProgram) {
  std::string input(300000, 'x');
  input += "\nend\n";
  auto r = run("echo_stdin", {}, quickLimits(), input);
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  EXPECT_EQ(r.stdout_data, input);
}

TEST_F(SandboxTest, InfiniteLoopIsStoppedByCpuTime) {
  Limits l = quickLimits();
  l.cpu_ms = 500;
  l.wall_ms = 10000;
  auto r = run("spin", {}, l);
  ASSERT_EQ(r.status, RunStatus::kTimeLimit) << describe(r);
  ASSERT_TRUE(r.time_ms.has_value());
  EXPECT_GE(*r.time_ms, 500.0);
  EXPECT_LE(*r.time_ms, 500.0 + 50.0 * testing::timeSlack()) << "killed too late";
}

TEST_F(SandboxTest, CpuTimeCountsEveryThread) {
  Limits l = quickLimits();
  l.cpu_ms = 400;
  l.wall_ms = 10000;
  auto r = run("spin_threads", {"4"}, l);
  ASSERT_EQ(r.status, RunStatus::kTimeLimit) << describe(r);
  EXPECT_GE(*r.time_ms, 400.0);
  EXPECT_LE(*r.time_ms, 400.0 + 50.0 * testing::timeSlack());
}

TEST_F(SandboxTest, SleepIsStoppedByWallTime) {
  Limits l = quickLimits();
  l.wall_ms = 300;
  auto r = run("sleeper", {}, l);
  ASSERT_EQ(r.status, RunStatus::kWallTimeLimit) << describe(r);
  EXPECT_GE(r.wall_ms, 300.0);
  EXPECT_LE(r.wall_ms, 300.0 + 200.0 * testing::timeSlack());
  EXPECT_LT(r.time_ms.value_or(0), 50.0 * testing::timeSlack());
}

class MemoryTest : public SandboxTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(MemoryTest, TouchingMoreThanTheLimitIsMemoryLimit) {
  Limits l = quickLimits();
  l.memory_kb = 64 * 1024;
  l.wall_ms = 10000;
  l.cpu_ms = 5000;
  auto r = run("memhog", {"512", GetParam()}, l);
  EXPECT_EQ(r.status, RunStatus::kMemoryLimit) << describe(r);
  EXPECT_EQ(r.stdout_data.find("allocated"), std::string::npos) << "the allocation succeeded";
  if (r.memory_kb) {
    EXPECT_LE(*r.memory_kb, 64u * 1024 + 1024) << "peak beyond the limit";
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, MemoryTest, ::testing::Values("malloc", "mmap", "stack", "static"));

TEST_F(SandboxTest, MemoryPeakIsMeasured) {
  Limits l = quickLimits();
  l.memory_kb = 128 * 1024;
  auto r = run("memhog", {"32"}, l);
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  ASSERT_TRUE(r.memory_kb.has_value());
  EXPECT_GE(*r.memory_kb, 32u * 1024);
  EXPECT_LE(*r.memory_kb, 40u * 1024) << "peak far above what the program touched";
}

TEST_F(SandboxTest, ForkBombIsContained) {
  Limits l = quickLimits();
  l.processes = 16;
  l.cpu_ms = 1000;
  l.wall_ms = 2000;
  auto r = run("forkbomb", {}, l);
  EXPECT_TRUE(r.status == RunStatus::kTimeLimit || r.status == RunStatus::kWallTimeLimit)
      << describe(r);
  EXPECT_TRUE(hostProcessesOfUid(kUidBase).empty()) << "a process of the slot survived";
  // The host can still start processes, and so can the slot.
  EXPECT_EQ(std::system("true"), 0);
  auto next = run("hello");
  EXPECT_EQ(next.status, RunStatus::kOk) << describe(next);
}

TEST_F(SandboxTest, OutputFloodIsCutPromptly) {
  for (const char* stream : {"stdout", "stderr", "line"}) {
    auto r = run("flood", {"100", stream});
    EXPECT_EQ(r.status, RunStatus::kOutputLimit) << stream << ": " << describe(r);
    const bool err = std::string(stream) == "stderr";
    EXPECT_EQ((err ? r.stderr_data : r.stdout_data).size(), 1024u * 1024) << stream;
    EXPECT_TRUE(err ? r.stderr_truncated : r.stdout_truncated) << stream;
    EXPECT_LT(r.wall_ms, 1000.0 * testing::timeSlack()) << stream << " was not stopped promptly";
  }
}

// Output over the cap that fits in the pipe: the program has written it all and exited
// before the controller reads, so there is nobody left to kill. Still an output limit.
TEST_F(SandboxTest, OutputOverTheCapIsALimitEvenAfterTheProgramEnded) {
  Limits l = quickLimits();
  l.output_kb = 1;
  const std::string input(20 * 1024, 'x');
  for (int i = 0; i < 20; ++i) {
    auto r = run("echo_stdin", {}, l, input);
    ASSERT_EQ(r.status, RunStatus::kOutputLimit) << "attempt " << i << ": " << describe(r);
    EXPECT_EQ(r.stdout_data.size(), 1024u);
    EXPECT_TRUE(r.stdout_truncated);
  }
}

TEST_F(SandboxTest, RunsAsTheSlotUserWithoutPrivileges) {
  auto r = run("whoami");
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  const std::string id = std::to_string(kUidBase);
  EXPECT_NE(r.stdout_data.find("uid=" + id + " euid=" + id + " gid=" + id + " egid=" + id),
            std::string::npos)
      << r.stdout_data;
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_NE(r.stdout_data.find(std::string(set) + ":\t0000000000000000"), std::string::npos)
        << set;
  EXPECT_NE(r.stdout_data.find("NoNewPrivs:\t1"), std::string::npos);
  EXPECT_NE(r.stdout_data.find("Seccomp:\t2"), std::string::npos);
}

TEST_F(SandboxTest, NoNetwork) {
  auto r = run("net");
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  std::istringstream lines(r.stdout_data);
  std::string line;
  std::set<std::string> ifaces;
  int sockets = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("socket ", 0) == 0) {
      ++sockets;
      EXPECT_EQ(line.find(": ok"), std::string::npos) << line;
    } else if (line.rfind("iface ", 0) == 0) {
      ifaces.insert(line.substr(6));
    }
  }
  EXPECT_GE(sockets, 7);
  EXPECT_EQ(ifaces, std::set<std::string>{"lo"});
}

TEST_F(SandboxTest, HostFilesOutsideTheManifestAreInvisible) {
  const std::string canary = "/root/codecanvas-canary-" + std::to_string(::getpid());
  std::ofstream(canary) << "secret";
  ::chmod(canary.c_str(), 0644);
  // A real file (not a link that may point outside) of a bound directory: reading there
  // works. Hosts differ: the busybox test guest has little in /usr but the C library.
  std::string bound;
  for (const char* candidate :
       {"/usr/bin/env", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"}) {
    struct stat st {};
    if (::lstat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
      bound = candidate;
      break;
    }
  }
  ASSERT_FALSE(bound.empty()) << "no readable file in /usr or /bin on this host";
  auto r = run("readfile", {canary, "/etc/shadow", "/etc/hostname", "/home", "/var/log", bound});
  ::unlink(canary.c_str());
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  for (const std::string& hidden :
       {canary, std::string("/etc/shadow"), std::string("/etc/hostname"), std::string("/home"),
        std::string("/var/log")})
    EXPECT_NE(r.stdout_data.find(hidden + ": ENOENT"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find(bound + ": ok"), std::string::npos) << "bound files are readable:\n"
                                                                   << r.stdout_data;
}

// procfs files that describe the host read as empty; /proc/sys cannot be written.
TEST_F(SandboxTest, HostFactsInProcAreMasked) {
  auto r = run("readfile", {"/proc/cmdline", "/proc/kallsyms", "/proc/keys", "/proc/self/status"});
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  for (const char* masked : {"/proc/cmdline", "/proc/kallsyms", "/proc/keys"}) {
    const std::string line = std::string(masked) + ": ";
    const auto at = r.stdout_data.find(line);
    ASSERT_NE(at, std::string::npos) << masked << "\n" << r.stdout_data;
    const std::string result = r.stdout_data.substr(at + line.size(), 4);
    EXPECT_TRUE(result == "ok 0" || result.rfind("E", 0) == 0) << masked << " leaks: " << result;
  }
  EXPECT_EQ(r.stdout_data.find("/proc/self/status: ok 0"), std::string::npos)
      << "the program's own /proc entries must stay readable";
  auto w = run("writefile", {"/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches"});
  EXPECT_NE(w.stdout_data.find("/proc/sys/kernel/hostname: EROFS"), std::string::npos)
      << w.stdout_data;
}

TEST_F(SandboxTest, OnlyBoxAndTmpAreWritable) {
  auto r = run("writefile", {"/usr/x", "/usr/bin/x", "/etc/x", "/etc/passwd", "/x", "/dev/x",
                             "/proc/x", "/box/x", "/tmp/x"});
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  for (const char* denied :
       {"/usr/x", "/usr/bin/x", "/etc/x", "/etc/passwd", "/x", "/dev/x", "/proc/x"}) {
    const auto at = r.stdout_data.find(std::string(denied) + ": ");
    ASSERT_NE(at, std::string::npos) << denied;
    EXPECT_NE(r.stdout_data.substr(at, r.stdout_data.find('\n', at) - at).find(": E"),
              std::string::npos)
        << denied << " was writable:\n"
        << r.stdout_data;
  }
  EXPECT_NE(r.stdout_data.find("/box/x: ok"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("/tmp/x: ok"), std::string::npos) << r.stdout_data;
}

// The cgroup namespace is rooted at the slot's directory in every hierarchy it uses (v1 and
// v2): a program sees its run as "/run-<n>", never the server's codecanvas-<pid>/slot-<n>.
TEST_F(SandboxTest, CgroupPathsShowNothingOfTheHost) {
  auto r = run("cgroupview");
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  const std::regex allowed(R"([0-9]+:[^:]*:/((run-[0-9]+)|shared)?)");
  const std::regex own_run(R"([0-9]+:[^:]*:/run-[0-9]+)");
  std::istringstream lines(r.stdout_data);
  bool saw_run = false;
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    EXPECT_TRUE(std::regex_match(line, allowed)) << "this cgroup path tells too much: " << line;
    saw_run = saw_run || std::regex_match(line, own_run);
  }
  EXPECT_GT(count, 0) << r.stdout_data;
  if (sandbox_->cgroupLayout().memory.version != CgroupVersion::kNone) {
    EXPECT_TRUE(saw_run) << "the run's memory cgroup should show as /run-<n>:\n" << r.stdout_data;
  }
}

TEST_F(SandboxTest, HostProcessesAreInvisible) {
  auto r = run("ps");
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  // The keeper (pid 1) and the program itself.
  EXPECT_NE(r.stdout_data.find("count 2\n"), std::string::npos) << r.stdout_data;
}

class BlockedSyscallTest : public SandboxTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(BlockedSyscallTest, IsKilledBySeccomp) {
  auto r = run("syscall", {GetParam()});
  EXPECT_EQ(r.status, RunStatus::kSyscallBlocked) << GetParam() << ": " << describe(r);
  EXPECT_EQ(r.signal, SIGSYS);
}

INSTANTIATE_TEST_SUITE_P(
    Calls, BlockedSyscallTest,
    ::testing::Values("ptrace", "mount", "umount", "pivot_root", "chroot", "unshare",
                      "unshare_user", "setns", "keyctl", "add_key", "request_key", "bpf",
                      "perf_event_open", "io_uring_setup", "kexec_load", "init_module",
                      "finit_module", "reboot", "swapon", "acct", "userfaultfd", "clock_settime",
                      "settimeofday", "clone_newuser", "clone_newns", "x32", "personality",
                      "process_vm_readv", "open_by_handle_at", "quotactl_fd", "cachestat"));

// The i386 entry point: the call must never execute. Where the kernel has the entry the
// policy's architecture check kills the program (SIGSYS, syscall_blocked); where it has
// none (no CONFIG_IA32_EMULATION, ia32_emulation=0, some hypervisors) the instruction
// faults first (SIGSEGV, runtime_error). Probed on the host, outside any sandbox.
TEST_F(SandboxTest, I386SystemCallNeverExecutes) {
  auto r = run("syscall", {"int80"});
  if (testing::hasI386SyscallEntry()) {
    EXPECT_EQ(r.status, RunStatus::kSyscallBlocked) << describe(r);
    EXPECT_EQ(r.signal, SIGSYS) << describe(r);
  } else {
    EXPECT_EQ(r.status, RunStatus::kRuntimeError) << "no i386 entry here: " << describe(r);
    EXPECT_EQ(r.signal, SIGSEGV) << "no i386 entry here: " << describe(r);
  }
  EXPECT_EQ(r.stdout_data.find("returned"), std::string::npos) << r.stdout_data;
}

// A run names its seccomp policy; a name the sandbox does not hold refuses the run: it
// never falls back to another policy (or to none). The slot stays usable.
TEST_F(SandboxTest, AnUnknownSeccompPolicyRefusesTheRun) {
  RunRequest r = request("hello");
  r.seccomp_policy = "no-such-policy";
  auto result = runAndWipe(*io_, sandbox_->slot(0), r);
  EXPECT_EQ(result.status, RunStatus::kInternalError) << describe(result);
  EXPECT_EQ(result.stdout_data, "") << "the program must not have run";
  EXPECT_NE(result.error.find("no seccomp policy 'no-such-policy'"), std::string::npos)
      << result.error;
  EXPECT_FALSE(sandbox_->slot(0).broken());
  EXPECT_EQ(run("hello").stdout_data, "hello\n");
}

// The slot itself refuses a stdin that is not a regular file, whoever asks: nothing runs,
// the slot is not broken, the next run is fine.
TEST_F(SandboxTest, StdinThatIsNotARegularFileIsRefused) {
  for (const char* path : {"/", "/dev/zero"}) {
    RunRequest r = request("echo_stdin");
    r.stdin_path = path;
    auto result = runAndWipe(*io_, sandbox_->slot(0), r);
    EXPECT_EQ(result.status, RunStatus::kInternalError) << path << ": " << describe(result);
    EXPECT_NE(result.error.find("not a regular file"), std::string::npos) << result.error;
    EXPECT_FALSE(sandbox_->slot(0).broken()) << path;
  }
  auto next = run("hello");
  EXPECT_EQ(next.status, RunStatus::kOk) << describe(next);
}

TEST_F(SandboxTest, DoubleForkedDaemonDoesNotSurvive) {
  auto r = run("daemon");
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  EXPECT_GE(r.leftover_processes, 1u) << "the daemon should have been killed after the run";
  EXPECT_TRUE(hostProcessesOfUid(kUidBase).empty());
  auto ps = run("ps");
  EXPECT_NE(ps.stdout_data.find("count 2\n"), std::string::npos) << ps.stdout_data;
}

TEST_F(SandboxTest, ClosedOutputDoesNotEndTheRun) {
  Limits l = quickLimits();
  l.wall_ms = 300;
  auto r = run("closeout", {}, l);
  EXPECT_EQ(r.status, RunStatus::kWallTimeLimit) << describe(r);
}

TEST_F(SandboxTest, NoControllerDescriptorLeaks) {
  auto r = run("fds");
  ASSERT_EQ(r.status, RunStatus::kOk) << describe(r);
  EXPECT_NE(r.stdout_data.find("count 3\n"), std::string::npos) << r.stdout_data;
}

// The run-* directories under the slot's cgroup in every hierarchy, with whether any
// process is still in them.
struct RunDirs {
  std::set<std::string> names;
  bool populated = false;
};

RunDirs runCgroups(const CgroupLayout& layout) {
  RunDirs found;
  for (const Placement* p : {&layout.memory, &layout.pids, &layout.cpu}) {
    if (p->version == CgroupVersion::kNone) continue;
    const std::string slot_dir = p->mount + (p->own == "/" ? "" : p->own) + "/codecanvas-" +
                                 std::to_string(::getpid()) + "/slot-0";
    DIR* d = ::opendir(slot_dir.c_str());
    EXPECT_NE(d, nullptr) << "no slot cgroup at " << slot_dir;
    while (dirent* e = d ? ::readdir(d) : nullptr) {
      if (std::string(e->d_name).rfind("run-", 0) != 0) continue;
      found.names.insert(e->d_name);
      std::ifstream procs(slot_dir + "/" + e->d_name + "/cgroup.procs");
      std::string pid;
      if (procs >> pid) found.populated = true;
    }
    if (d) ::closedir(d);
  }
  return found;
}

TEST_F(SandboxTest, RunCgroupIsRemovedAfterwards) {
  auto r = run("forkbomb", {}, [] {
    Limits l = quickLimits();
    l.wall_ms = 300;
    return l;
  }());
  EXPECT_NE(r.status, RunStatus::kInternalError) << describe(r);
  // The used cgroup is removed in the background after the result, and one empty run
  // cgroup is prepared for the next run: wait (bounded) until only that one is left.
  RunDirs dirs;
  for (int i = 0; i < 200; ++i) {
    dirs = runCgroups(sandbox_->cgroupLayout());
    if (dirs.names.size() <= 1) break;
    ::usleep(10000);
  }
  EXPECT_LE(dirs.names.size(), 1u) << "run cgroups left behind";
  EXPECT_FALSE(dirs.populated) << "a process is left in a run cgroup";
}

TEST_F(SandboxTest, NextJobSeesAnEmptyBox) {
  auto first = run("boxfiles");
  ASSERT_EQ(first.status, RunStatus::kOk) << describe(first);
  EXPECT_NE(first.stdout_data.find("marker ok"), std::string::npos) << first.stdout_data;
  // Only the program itself was copied in.
  EXPECT_NE(first.stdout_data.find("count 1\n"), std::string::npos) << first.stdout_data;
  auto second = run("readfile", {"/box/marker", "/tmp/marker"});
  EXPECT_NE(second.stdout_data.find("/box/marker: ENOENT"), std::string::npos)
      << second.stdout_data;
  EXPECT_NE(second.stdout_data.find("/tmp/marker: ENOENT"), std::string::npos)
      << second.stdout_data;
}

TEST_F(SandboxTest, IpcObjectsDoNotOutliveTheJob) {
  auto plant = run("ipc", {"plant"});
  ASSERT_EQ(plant.status, RunStatus::kOk) << describe(plant);
  EXPECT_NE(plant.stdout_data.find("planted shm=1 msg=1 sem=1 mq=1"), std::string::npos)
      << "the program could not create what it should probe for:\n"
      << plant.stdout_data;
  auto probe = run("ipc", {"probe"});
  ASSERT_EQ(probe.status, RunStatus::kOk) << describe(probe);
  for (const char* kind : {"shm", "msg", "sem", "mq"})
    EXPECT_NE(probe.stdout_data.find(std::string(kind) + ": ENOENT"), std::string::npos)
        << kind << " survived into the next job:\n"
        << probe.stdout_data;
}

// With core_pattern piping to a helper (apport, systemd-coredump), the kernel ignores a
// core limit of 0 and runs the helper as root on the host for every crash. The test sets
// such a pattern for a moment (restored whatever happens) and crashes a program.
TEST_F(SandboxTest, CrashesNeverStartTheHostCoreHelper) {
  const char* pattern_file = "/proc/sys/kernel/core_pattern";
  std::string saved;
  std::getline(std::ifstream(pattern_file), saved);
  struct Restore {
    const char* file;
    std::string value;
    ~Restore() { std::ofstream(file) << value << "\n"; }
  } restore{pattern_file, saved};
  const std::string dir = "/tmp/codecanvas-core-" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0700);
  const std::string helper = dir + "/helper", log = dir + "/ran";
  std::ofstream(helper) << "#!/bin/sh\necho ran >> " << log << "\ncat > /dev/null\n";
  ::chmod(helper.c_str(), 0700);
  std::ofstream(pattern_file) << "|" << helper << "\n";
  auto r = run("raise", {"SIGSEGV"});
  EXPECT_EQ(r.signal, SIGSEGV) << describe(r);
  ::usleep(300000);  // the helper would run while the crashed process is torn down
  EXPECT_NE(::access(log.c_str(), F_OK), 0) << "a sandboxed crash started the core helper";
  ::unlink(log.c_str());
  ::unlink(helper.c_str());
  ::rmdir(dir.c_str());
}

TEST_F(SandboxTest, FailedExecReportsStepAndErrno) {
  RunRequest req;
  req.argv = {"./missing-program"};
  auto r = runAndWipe(*io_, sandbox_->slot(0), req);
  EXPECT_EQ(r.status, RunStatus::kInternalError);
  EXPECT_EQ(r.failed_step, "execve");
  EXPECT_EQ(r.failed_errno, ENOENT);
  EXPECT_NE(r.error.find("ENOENT"), std::string::npos) << r.error;
  EXPECT_FALSE(sandbox_->slot(0).broken()) << "a program that cannot start is not a broken slot";
}

TEST_F(SandboxTest, SignalsAndExitCodes) {
  auto code = run("exitcode", {"255"});
  EXPECT_EQ(code.status, RunStatus::kRuntimeError);
  EXPECT_EQ(code.exit_code, 255);
  for (auto [name, sig] : {std::pair{"SIGSEGV", SIGSEGV},
                           {"SIGFPE", SIGFPE},
                           {"SIGABRT", SIGABRT},
                           {"SIGBUS", SIGBUS}}) {
    auto r = run("raise", {name});
    EXPECT_EQ(r.status, RunStatus::kRuntimeError) << name << ": " << describe(r);
    EXPECT_EQ(r.signal, sig) << name;
  }
}

TEST_F(SandboxTest, KillingEverythingFromInsideLeavesTheKeeper) {
  auto r = run("killall");
  EXPECT_NE(r.status, RunStatus::kInternalError) << describe(r);
  EXPECT_FALSE(sandbox_->slot(0).broken());
  EXPECT_NE(r.stdout_data.find("kill 1: EPERM"), std::string::npos) << r.stdout_data;
  auto next = run("hello");
  EXPECT_EQ(next.status, RunStatus::kOk) << describe(next);
}

// A keeper killed from outside (a bug, an OOM kill of the server's helpers): the run in
// progress gets an internal error naming the cause, the slot says it is broken, and a
// rebuilt slot works.
TEST_F(SandboxTest, LostKeeperBreaksTheSlotAndARebuildHeals) {
  ASSERT_EQ(::kill(sandbox_->slot(0).keeperPid(), SIGKILL), 0);
  auto r = run("hello");
  EXPECT_EQ(r.status, RunStatus::kInternalError) << describe(r);
  EXPECT_NE(r.error.find("keeper"), std::string::npos) << r.error;
  EXPECT_TRUE(sandbox_->slot(0).broken());
  ASSERT_TRUE(sandbox_->rebuild(0).ok());
  auto next = run("hello");
  EXPECT_EQ(next.status, RunStatus::kOk) << describe(next);
  EXPECT_TRUE(hostProcessesOfUid(kUidBase).empty());
}

// A job's runs go out as a series: each one is sent the moment the keeper reports the
// end of the one before. Every run must still measure only itself: on cgroup v1 the CPU
// counter is the slot's and is zeroed between two runs, and the memory cgroup is fresh.
TEST_F(SandboxTest, SeriesRunsInOrderAndEachMeasuresOnlyItself) {
  Limits spin_limits = quickLimits();
  spin_limits.cpu_ms = 300;
  spin_limits.wall_ms = static_cast<uint64_t>(5000 * testing::timeSlack());
  std::vector<RunRequest> runs;
  runs.push_back(request("spin", {}, spin_limits));
  runs.push_back(request("memhog", {"40"}));
  runs.push_back(request("echo_stdin", {}, quickLimits(), "third\n"));
  runs.push_back(request("hello"));
  auto out = runSeries(std::move(runs));
  ASSERT_EQ(out.results.size(), 4u);
  const RunResult &spin = out.results[0], &hog = out.results[1], &echo = out.results[2],
                  &hello = out.results[3];
  EXPECT_EQ(spin.status, RunStatus::kTimeLimit) << describe(spin);
  EXPECT_GE(spin.time_ms.value_or(0), 300) << describe(spin);
  EXPECT_EQ(hog.status, RunStatus::kOk) << describe(hog);
  EXPECT_GE(hog.memory_kb.value_or(0), 40u * 1024) << describe(hog);
  EXPECT_EQ(echo.status, RunStatus::kOk) << describe(echo);
  EXPECT_EQ(echo.stdout_data, "third\n");
  // Neither the spinner's 300 ms nor the hog's 40 MiB may show up in a later run.
  EXPECT_LT(echo.time_ms.value_or(1e9), 100 * testing::timeSlack()) << describe(echo);
  EXPECT_LT(echo.memory_kb.value_or(1u << 30), 16u * 1024) << describe(echo);
  EXPECT_LT(hog.time_ms.value_or(1e9), 250 * testing::timeSlack()) << describe(hog);
  EXPECT_EQ(hello.status, RunStatus::kOk) << describe(hello);
  EXPECT_EQ(hello.stdout_data, "hello\n");
  EXPECT_TRUE(hostProcessesOfUid(kUidBase).empty());
}

// Stopping after a run (a judge's stop_on_first_failure): the run already sent after it
// is killed at once and not reported, the one after that never goes out, and the slot
// runs nothing when the series ends.
TEST_F(SandboxTest, StoppingASeriesKillsTheRunAlreadyStarted) {
  Limits spin_limits = quickLimits();
  // Long enough for the next run to be ready and sent at its end, also in the slow guest.
  spin_limits.cpu_ms = static_cast<uint64_t>(100 * testing::timeSlack());
  Limits sleeper_limits = quickLimits();
  sleeper_limits.wall_ms = 20000;
  std::vector<RunRequest> runs;
  runs.push_back(request("spin", {}, spin_limits));
  runs.push_back(request("sleeper", {}, sleeper_limits));
  runs.push_back(request("echo_stdin", {}, quickLimits(), "never\n"));
  std::vector<std::string> box_at_end;
  std::vector<std::string> processes_at_end{"not checked"};
  auto out = runSeries(
      std::move(runs), [](const RunResult&) { return false; },
      [&] {
        // A run's files are copied into /box when it is sent.
        auto files = sandbox_->slot(0).readBoxFiles({"*"}, 64u << 20);
        if (files)
          for (const auto& f : *files) box_at_end.push_back(f.name);
        processes_at_end = hostProcessesOfUid(kUidBase);
      });
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_EQ(out.results[0].status, RunStatus::kTimeLimit) << describe(out.results[0]);
  std::sort(box_at_end.begin(), box_at_end.end());
  EXPECT_EQ(box_at_end, (std::vector<std::string>{"sleeper", "spin"}))
      << "the sleeper must have been sent (and killed), echo_stdin never";
  EXPECT_TRUE(processes_at_end.empty()) << "the series ended while a run was still going";
  EXPECT_LT(out.ms, 5000) << "the series waited for the sleeper's wall limit";
  EXPECT_FALSE(sandbox_->slot(0).broken());
  auto next = run("hello");
  EXPECT_EQ(next.status, RunStatus::kOk) << describe(next);
}

// Each run of a series has its own process limit, however the one before was set. (Both
// RLIMIT_NPROC and the pids cgroup enforce it; that preparing the next run leaves a
// shared v1 pids directory alone is
// CgroupsTest.V1SharedPidsLimitChangesOnlyWhenTheNextRunClaimsIt.)
TEST_F(SandboxTest, SeriesGivesEachRunItsOwnProcessLimit) {
  Limits few = quickLimits();
  few.processes = 4;
  few.cpu_ms = 200;
  Limits many = quickLimits();
  many.processes = 64;
  many.cpu_ms = 200;
  std::vector<RunRequest> runs;
  runs.push_back(request("spin_threads", {"8"}, few));
  runs.push_back(request("spin_threads", {"8"}, many));
  runs.push_back(request("spin_threads", {"8"}, few));
  for (size_t i = 1; i < runs.size(); ++i) runs[i].files.clear();  // in /box since run 0
  auto out = runSeries(std::move(runs));
  ASSERT_EQ(out.results.size(), 3u);
  for (size_t i : {0u, 2u}) {
    EXPECT_NE(out.results[i].stderr_data.find("pthread_create"), std::string::npos)
        << "run " << i
        << ": 8 threads started under a limit of 4 tasks: " << describe(out.results[i]);
  }
  EXPECT_EQ(out.results[1].stderr_data.find("pthread_create"), std::string::npos)
      << "8 threads refused under a limit of 64: " << describe(out.results[1]);
  EXPECT_EQ(out.results[1].status, RunStatus::kTimeLimit) << describe(out.results[1]);
}

// The keeper lost in the middle of a series: the run gets an internal error, the next
// one is never sent, the series ends (nothing hangs), and a rebuild heals.
TEST_F(SandboxTest, LostKeeperInASeriesEndsItCleanly) {
  Limits sleeper_limits = quickLimits();
  sleeper_limits.wall_ms = 20000;
  std::vector<RunRequest> runs;
  runs.push_back(request("sleeper", {}, sleeper_limits));
  runs.push_back(request("hello"));
  runs.push_back(request("echo_stdin", {}, quickLimits(), "never\n"));
  const pid_t keeper = sandbox_->slot(0).keeperPid();
  std::thread killer([keeper] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(keeper, SIGKILL);
  });
  // Goes on after a failure; the run already made is reported as not started, the one
  // after it is never made on a broken slot.
  auto out = runSeries(std::move(runs));
  killer.join();
  ASSERT_EQ(out.results.size(), 2u);
  EXPECT_EQ(out.results[0].status, RunStatus::kInternalError) << describe(out.results[0]);
  EXPECT_NE(out.results[0].error.find("keeper"), std::string::npos) << out.results[0].error;
  EXPECT_EQ(out.results[1].status, RunStatus::kInternalError) << describe(out.results[1]);
  EXPECT_NE(out.results[1].error.find("not started"), std::string::npos) << out.results[1].error;
  EXPECT_LT(out.ms, 10000);
  EXPECT_TRUE(sandbox_->slot(0).broken());
  ASSERT_TRUE(sandbox_->rebuild(0).ok());
  auto next = run("hello");
  EXPECT_EQ(next.status, RunStatus::kOk) << describe(next);
  EXPECT_TRUE(hostProcessesOfUid(kUidBase).empty());
}

TEST_F(SandboxTest, DiskAndFileLimitsHold) {
  auto fill = run("fillfs", {"/box"});
  ASSERT_EQ(fill.status, RunStatus::kOk) << describe(fill);
  EXPECT_NE(fill.stdout_data.find("ENOSPC"), std::string::npos) << fill.stdout_data;
  auto files = run("manyfiles", {"100000"});
  EXPECT_NE(files.stdout_data.find("ENOSPC"), std::string::npos) << files.stdout_data;
  auto open = run("openfiles", {"100000"});
  EXPECT_NE(open.stdout_data.find("EMFILE"), std::string::npos) << open.stdout_data;
}

}  // namespace
}  // namespace codecanvas::sandbox
