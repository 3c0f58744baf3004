// Slot benchmark: what a sandboxed run costs next to an unsandboxed one, measured in
// the same process and the same run, because this machine drifts too much between runs
// for absolute numbers to mean anything.
//
//   (a) bare fork + exec + wait of a static hello world, stdout through a pipe, from a
//       small static parent (bench/bare_spawn.c) that stays alive for the whole benchmark
//       and is asked for a batch of runs at a time: the strict baseline every ratio uses
//   (a-old) the same from a bare_spawn started anew (popen) for every batch, the baseline
//       of earlier versions: its first runs pay the new process's cold start, which made
//       it slower than a steady loop and the ratios look better than they are
//   (a-vfork) the same as (a) with posix_spawn (clone with CLONE_VM | CLONE_VFORK, as the
//       keeper starts a run) instead of fork: no page tables copied, no copy-on-write
//       faults; on a VM whose page tables the host shadows this is much cheaper than
//       fork, and the stricter baseline
//   (a') the same from this (larger, threaded) process, for comparison
//   (b) the same program through a codecanvas slot: the service's code path (Slot,
//       RunOperation, keeper, processor child, fresh cgroup, seccomp), no process
//       start-up of a CLI in between
//   (c) (b) followed by the wipe of /box and /tmp, i.e. one whole one-run job
// then runs per second with 1 and 2 slots in parallel beside 1 and 2 steady bare loops
// (fork and vfork), also interleaved in rounds, and where the CPU time of a run went: the
// event-loop thread (one drives every slot, as in the service's SlotPool), the cgroup
// worker, the keepers with their runs, the rest of the machine.
//
// usage: codecanvas-slot-bench [RUNS]   (default 500 per variant, after a warm-up)
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/text_file.h"
#include "sandbox/sandbox.h"

namespace {

using namespace codecanvas::cgroup;
using namespace codecanvas::sandbox;
using codecanvas::readTextFile;
using Clock = std::chrono::steady_clock;

double usSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

// CPU seconds, from /proc: where a run's CPU time goes, wherever it is spent.
struct Usage {
  double machine = 0;  // every CPU busy, any process or kernel thread (also the unrelated)
  double loop = 0;     // this process's main thread: the event loop that drives the slots
  double threads = 0;  // its other threads: the cgroup worker
  double keepers = 0;  // the slots' keepers with their reaped children (the runs)
  double bare = 0;     // the steady bare_spawn processes with their reaped children

  Usage operator-(const Usage& o) const {
    return {machine - o.machine, loop - o.loop, threads - o.threads, keepers - o.keepers,
            bare - o.bare};
  }
  Usage& operator+=(const Usage& o) {
    machine += o.machine, loop += o.loop, threads += o.threads, keepers += o.keepers;
    bare += o.bare;
    return *this;
  }
};

// utime + stime (+ cutime + cstime with `children`) of /proc/.../stat, in seconds.
double statCpuS(const std::string& path, bool children) {
  std::ifstream f(path);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream in(text.substr(paren + 1));
  std::string skip;
  for (int field = 3; field < 14; ++field) in >> skip;  // state .. cmajflt
  double utime = 0, stime = 0, cutime = 0, cstime = 0;
  in >> utime >> stime >> cutime >> cstime;
  const double ticks = children ? utime + stime + cutime + cstime : utime + stime;
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

Usage usageNow(const std::vector<pid_t>& keepers, const std::vector<pid_t>& bare) {
  Usage u;
  {
    std::ifstream f("/proc/stat");
    std::string cpu;
    double user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
    f >> cpu >> user >> nice >> sys >> idle >> iowait >> irq >> softirq;
    u.machine = (user + nice + sys + irq + softirq) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  const pid_t self = ::getpid();
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    const double s = statCpuS(task.path().string() + "/stat", false);
    (task.path().filename() == std::to_string(self) ? u.loop : u.threads) += s;
  }
  for (pid_t k : keepers) u.keepers += statCpuS("/proc/" + std::to_string(k) + "/stat", true);
  for (pid_t b : bare) u.bare += statCpuS("/proc/" + std::to_string(b) + "/stat", true);
  return u;
}

// (a): one bare_spawn process (--serve) for the whole benchmark, asked for batches of
// runs over a pipe: a count goes in, one duration per run comes back.
class SteadyBare {
 public:
  SteadyBare(const std::string& program, bool vfork) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return;
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(in[0]);
      ::close(in[1]);
      return;
    }
    posix_spawn_file_actions_t fa;
    ::posix_spawn_file_actions_init(&fa);
    ::posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    ::posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<const char*> argv = {BENCH_BARE_SPAWN, "--serve"};
    if (vfork) argv.push_back("--vfork");
    argv.push_back(program.c_str());
    argv.push_back(nullptr);
    char* const envp[] = {nullptr};
    const int e = ::posix_spawn(&pid_, BENCH_BARE_SPAWN, &fa, nullptr,
                                const_cast<char* const*>(argv.data()), envp);
    ::posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    if (e != 0) {
      pid_ = -1;
      ::close(in[1]);
      ::close(out[0]);
      return;
    }
    to_ = ::fdopen(in[1], "w");
    from_ = ::fdopen(out[0], "r");
  }
  ~SteadyBare() {
    if (to_ != nullptr) std::fclose(to_);  // end of file: bare_spawn ends
    if (from_ != nullptr) std::fclose(from_);
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
  }
  SteadyBare(const SteadyBare&) = delete;
  pid_t pid() const { return pid_; }
  SteadyBare& operator=(const SteadyBare&) = delete;

  // Each run's duration (us); fewer than `count` when a run failed.
  std::vector<double> runs(size_t count) {
    std::vector<double> us;
    if (to_ == nullptr || from_ == nullptr) return us;
    std::fprintf(to_, "%zu\n", count);
    std::fflush(to_);
    double v;
    while (us.size() < count && std::fscanf(from_, "%lf", &v) == 1) us.push_back(v);
    return us;
  }

 private:
  pid_t pid_ = -1;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
};

// (a-old): runs `count` bare fork+exec+wait in a bare_spawn process started for them;
// returns each run's duration (empty on failure).
std::vector<double> smallParentRuns(const std::string& program, size_t count) {
  std::vector<double> us;
  const std::string cmd =
      std::string(BENCH_BARE_SPAWN) + " " + std::to_string(count) + " " + program;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return us;
  double v;
  while (std::fscanf(p, "%lf", &v) == 1) us.push_back(v);
  if (::pclose(p) != 0) us.clear();
  return us;
}

// (a'): the same from this process.
bool bareRun(const char* program) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return false;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(p[1], 1);
    char* const argv[] = {const_cast<char*>(program), nullptr};
    char* const envp[] = {nullptr};
    ::execve(program, argv, envp);
    ::_exit(127);
  }
  ::close(p[1]);
  char buf[256];
  while (::read(p[0], buf, sizeof buf) > 0) {
  }
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct Stats {
  double median = 0, p90 = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[v.size() * 9 / 10]};
}

class Bench {
 public:
  Bench(boost::asio::io_context& io, Sandbox& sb, std::string program)
      : io_(io), sb_(sb), program_(std::move(program)) {}

  // One step in slot i, optionally followed by the wipe; returns false on a failed run.
  bool slotRun(size_t i, bool wipe) {
    bool ok = false, done = false;
    sb_.slot(i).asyncRun(request(), [&](RunResult r) {
      ok = r.status == RunStatus::kOk && r.stdout_data == "hello\n";
      if (!ok) std::fprintf(stderr, "run failed: %s %s\n", statusName(r.status), r.error.c_str());
      if (!wipe) {
        done = true;
        return;
      }
      sb_.slot(i).asyncWipe([&](codecanvas::Status s) {
        ok = ok && s.ok();
        done = true;
      });
    });
    auto guard = boost::asio::make_work_guard(io_);
    io_.restart();
    while (!done && io_.run_one() > 0) {
    }
    return ok;
  }

  // Keeps every slot busy until `total` runs are done; returns the seconds it took.
  double parallelSlots(size_t slots, size_t total) {
    size_t started = 0, finished = 0;
    std::function<void(size_t)> next = [&](size_t i) {
      if (started == total) return;
      ++started;
      sb_.slot(i).asyncRun(request(), [&, i](RunResult) {
        ++finished;
        next(i);
      });
    };
    auto t0 = Clock::now();
    for (size_t i = 0; i < slots; ++i) next(i);
    auto guard = boost::asio::make_work_guard(io_);
    io_.restart();
    while (finished < total && io_.run_one() > 0) {
    }
    return usSince(t0) / 1e6;
  }

 private:
  RunRequest request() const {
    RunRequest r;
    r.argv = {program_};
    return r;
  }
  boost::asio::io_context& io_;
  Sandbox& sb_;
  std::string program_;
};

// The first `parallel` steady bare_spawn processes at once, `each` runs each; returns
// the seconds it took (negative when a run failed).
double parallelBare(std::vector<std::unique_ptr<SteadyBare>>& bare, size_t parallel, size_t each) {
  auto t0 = Clock::now();
  std::vector<size_t> got(parallel);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < parallel; ++t)
    pool.emplace_back([&, t] { got[t] = bare[t]->runs(each).size(); });
  for (auto& th : pool) th.join();
  const double s = usSince(t0) / 1e6;
  for (size_t n : got)
    if (n != each) return -1;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t runs = argc > 1 ? std::max(20, std::atoi(argv[1])) : 500;
  const std::string program = BENCH_HELLO;
  const std::string program_dir = program.substr(0, program.rfind('/'));

  // The slot sees the program's build directory read-only at the same path, so every
  // variant execs the very same file and no copy sits in the measured path.
  auto manifest = readTextFile(defaultDataDir() + "/rootfs/default.manifest");
  if (!manifest) {
    std::fprintf(stderr, "slot-bench: %s\n", manifest.error().message.c_str());
    return 2;
  }
  const std::string manifest_path =
      "/tmp/codecanvas-bench-" + std::to_string(::getpid()) + ".manifest";
  std::ofstream(manifest_path) << *manifest << "\n" << program_dir << "\n";
  boost::asio::io_context io;
  SandboxOptions o;
  o.slots = 2;
  o.uid_base = 60500;
  o.manifest_path = manifest_path;
  auto sb = Sandbox::create(io, o);
  std::remove(manifest_path.c_str());
  if (!sb) {
    std::fprintf(stderr, "slot-bench: cannot set up the sandbox: %s\n", sb.error().message.c_str());
    return 2;
  }
  Bench bench(io, *sb.value(), program);
  std::printf("codecanvas slot benchmark: %zu runs per variant of %s\n", runs, program.c_str());
  std::printf("cgroups: %s; %ld CPUs\n", sb.value()->cgroupLayout().describe().c_str(),
              ::sysconf(_SC_NPROCESSORS_ONLN));

  // Two steady baseline processes each with fork and with vfork: (a) and (a-vfork) use the
  // first of each, the throughput runs both.
  std::vector<std::unique_ptr<SteadyBare>> steady, steady_vfork;
  for (int i = 0; i < 2; ++i) {
    steady.push_back(std::make_unique<SteadyBare>(program, false));
    steady_vfork.push_back(std::make_unique<SteadyBare>(program, true));
  }
  for (int i = 0; i < 30; ++i)  // warm-up: page cache, cgroup code paths, CPU frequency
    if (!bareRun(program.c_str()) || !bench.slotRun(0, true) || !bench.slotRun(1, true)) return 1;
  for (auto* set : {&steady, &steady_vfork})
    for (auto& s : *set)
      if (s->runs(30).size() != 30) {
        std::fprintf(stderr, "slot-bench: %s --serve failed\n", BENCH_BARE_SPAWN);
        return 1;
      }
  // Interleaved in rounds, so drift of the machine hits every variant alike.
  std::vector<double> small, small_vfork, small_old, bare, slot, job;
  // Ten runs a round: the machine's drift is slow next to that, so every variant sees
  // nearly the same conditions.
  const size_t rounds = std::max<size_t>(10, runs / 10);
  const size_t per_round = runs / rounds;
  for (size_t round = 0; round < rounds; ++round) {
    auto batch = steady[0]->runs(per_round);
    auto batch_vfork = steady_vfork[0]->runs(per_round);
    auto batch_old = smallParentRuns(program, per_round);
    if (batch.size() != per_round || batch_vfork.size() != per_round ||
        batch_old.size() != per_round) {
      std::fprintf(stderr, "slot-bench: %s failed\n", BENCH_BARE_SPAWN);
      return 1;
    }
    small.insert(small.end(), batch.begin(), batch.end());
    small_vfork.insert(small_vfork.end(), batch_vfork.begin(), batch_vfork.end());
    small_old.insert(small_old.end(), batch_old.begin(), batch_old.end());
    for (size_t i = 0; i < per_round; ++i) {
      auto t0 = Clock::now();
      if (!bareRun(program.c_str())) return 1;
      bare.push_back(usSince(t0));
    }
    for (size_t i = 0; i < per_round; ++i) {
      auto t0 = Clock::now();
      if (!bench.slotRun(0, false)) return 1;
      slot.push_back(usSince(t0));
    }
    for (size_t i = 0; i < per_round; ++i) {
      auto t0 = Clock::now();
      if (!bench.slotRun(0, true)) return 1;
      job.push_back(usSince(t0));
    }
  }
  const Stats a = stats(small), av = stats(small_vfork), a_old = stats(small_old), a2 = stats(bare),
              b = stats(slot), c = stats(job);
  auto row = [](const char* name, const Stats& st) {
    std::printf("%-50s %10.0f %10.0f %10.0f\n", name, st.median, st.p90, 1e6 / st.median);
  };
  std::printf("\n%-50s %10s %10s %10s\n", "latency per run (us)", "median", "p90", "runs/s");
  row("(a) bare fork+exec+wait, steady small parent", a);
  row("(a-vfork) the same with vfork (posix_spawn)", av);
  row("(a-old) as (a), small parent started per batch", a_old);
  row("(a') bare fork+exec+wait from this process", a2);
  row("(b) codecanvas slot run", b);
  row("(c) slot run + wipe (a whole one-run job)", c);
  auto ratio = [](const char* name, const Stats& x, const Stats& y, const char* note) {
    std::printf("ratio %-15s median %.2f, p90 %.2f%s\n", name, x.median / y.median, x.p90 / y.p90,
                note);
  };
  ratio("(b)/(a):", b, a, "   (target <= 1.30)");
  ratio("(c)/(a):", c, a, "");
  ratio("(b)/(a-vfork):", b, av, "   (against the stricter baseline)");
  ratio("(b)/(a-old):", b, a_old, "   (the ratio of earlier versions)");
  ratio("(a-old)/(a):", a_old, a, "");
  ratio("(b)/(a'):", b, a2, "");

  // Throughput, interleaved in rounds too: seconds summed over the rounds per variant.
  struct Variant {
    double s = 0;
    Usage cpu;
  };
  Variant bare1, bare2, vfork1, vfork2, slot1, slot2;
  const std::vector<pid_t> keepers = {sb.value()->slot(0).keeperPid(),
                                      sb.value()->slot(1).keeperPid()};
  const std::vector<pid_t> bare_pids = {steady[0]->pid(), steady[1]->pid(), steady_vfork[0]->pid(),
                                        steady_vfork[1]->pid()};
  auto measure = [&](Variant& v, auto&& body) {
    const Usage u0 = usageNow(keepers, bare_pids);
    const double s = body();
    v.cpu += usageNow(keepers, bare_pids) - u0;
    v.s += s;
    return s >= 0;
  };
  const size_t t_rounds = 10, each = std::max<size_t>(2, runs / t_rounds / 2) * 2;
  for (size_t round = 0; round < t_rounds; ++round) {
    if (!measure(bare1, [&] { return parallelBare(steady, 1, each); }) ||
        !measure(bare2, [&] { return parallelBare(steady, 2, each / 2); }) ||
        !measure(vfork1, [&] { return parallelBare(steady_vfork, 1, each); }) ||
        !measure(vfork2, [&] { return parallelBare(steady_vfork, 2, each / 2); })) {
      std::fprintf(stderr, "slot-bench: %s failed\n", BENCH_BARE_SPAWN);
      return 1;
    }
    measure(slot1, [&] { return bench.parallelSlots(1, each); });
    measure(slot2, [&] { return bench.parallelSlots(2, each); });
  }
  const double total = static_cast<double>(t_rounds * each);
  const std::string title =
      "throughput (runs/s), " + std::to_string(t_rounds * each) + " runs each";
  std::printf("\n%-50s %10s %10s %10s\n", title.c_str(), "1 at once", "2 at once", "2 / 1");
  auto trow = [&](const char* name, const Variant& one, const Variant& two) {
    std::printf("%-50s %10.0f %10.0f %10.2f\n", name, total / one.s, total / two.s, one.s / two.s);
  };
  trow("bare fork+exec+wait (steady small parents)", bare1, bare2);
  trow("bare vfork+exec+wait (steady small parents)", vfork1, vfork2);
  trow("codecanvas slots", slot1, slot2);
  std::printf("ratio slots/bare fork:  %.2f with 1, %.2f with 2   (target with 2 >= 0.90)\n",
              bare1.s / slot1.s, bare2.s / slot2.s);
  std::printf("ratio slots/bare vfork: %.2f with 1, %.2f with 2\n", vfork1.s / slot1.s,
              vfork2.s / slot2.s);

  // Where the CPU went, per run. "ours" is what the processes above used (the event loop,
  // the cgroup worker, the keepers or bare parents with their programs); "machine" is every
  // busy CPU, so it also holds the kernel's threads (cgroup and namespace teardown, freeing
  // seccomp filters) and anything else running on the machine meanwhile.
  std::printf("\n%-22s %8s %8s %8s %8s %8s %8s %10s\n", "CPU us per run", "loop", "worker",
              "keepers", "bare", "ours", "machine", "busy CPUs");
  auto crow = [&](const char* name, const Variant& v) {
    const Usage& u = v.cpu;
    const double k = 1e6 / total;
    std::printf("%-22s %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f %10.2f\n", name, k * u.loop,
                k * u.threads, k * u.keepers, k * u.bare,
                k * (u.loop + u.threads + u.keepers + u.bare), k * u.machine, u.machine / v.s);
  };
  crow("1 bare fork loop", bare1);
  crow("2 bare fork loops", bare2);
  crow("1 bare vfork loop", vfork1);
  crow("2 bare vfork loops", vfork2);
  crow("1 slot", slot1);
  crow("2 slots", slot2);
  return 0;
}
