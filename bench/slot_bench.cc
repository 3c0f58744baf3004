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
//   (a') the same from this (larger, threaded) process, for comparison
//   (b) the same program through a codecanvas slot: the service's code path (Slot,
//       RunOperation, keeper, processor child, fresh cgroup, seccomp), no process
//       start-up of a CLI in between
//   (c) (b) followed by the wipe of /box and /tmp, i.e. one whole one-run job
// then runs per second with 1 and 2 slots in parallel beside 1 and 2 steady bare loops,
// also interleaved in rounds, with the share of a CPU the controller's event-loop thread
// used (one thread drives every slot, as in the service's SlotPool).
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
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sandbox.h"
#include "text_file.h"

namespace {

using namespace codecanvas::controller;
using Clock = std::chrono::steady_clock;

double usSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

// CPU time the whole machine spent busy so far (all CPUs, every process and the kernel's
// own threads), in seconds: what a run costs in all, wherever it is spent.
double machineBusyS() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  f >> cpu >> user >> nice >> sys >> idle >> iowait >> irq >> softirq >> steal;
  return (user + nice + sys + irq + softirq) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double threadCpuUs() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// (a): one bare_spawn process (--serve) for the whole benchmark, asked for batches of
// runs over a pipe: a count goes in, one duration per run comes back.
class SteadyBare {
 public:
  explicit SteadyBare(const std::string& program) {
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
    const char* argv[] = {BENCH_BARE_SPAWN, "--serve", program.c_str(), nullptr};
    char* const envp[] = {nullptr};
    const int e =
        ::posix_spawn(&pid_, BENCH_BARE_SPAWN, &fa, nullptr, const_cast<char* const*>(argv), envp);
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

  // Keeps every slot busy until `total` runs are done; returns the seconds it took and
  // adds the CPU time of this (the event loop's) thread to `loop_cpu_s` and the machine's
  // busy time to `busy_s`.
  double parallelSlots(size_t slots, size_t total, double& loop_cpu_s, double& busy_s) {
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
    const double cpu0 = threadCpuUs(), busy0 = machineBusyS();
    for (size_t i = 0; i < slots; ++i) next(i);
    auto guard = boost::asio::make_work_guard(io_);
    io_.restart();
    while (finished < total && io_.run_one() > 0) {
    }
    loop_cpu_s += (threadCpuUs() - cpu0) / 1e6;
    busy_s += machineBusyS() - busy0;
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
double parallelBare(std::vector<std::unique_ptr<SteadyBare>>& bare, size_t parallel, size_t each,
                    double& busy_s) {
  auto t0 = Clock::now();
  const double busy0 = machineBusyS();
  std::vector<size_t> got(parallel);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < parallel; ++t)
    pool.emplace_back([&, t] { got[t] = bare[t]->runs(each).size(); });
  for (auto& th : pool) th.join();
  const double s = usSince(t0) / 1e6;
  busy_s += machineBusyS() - busy0;
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

  // Two steady baseline processes: (a) uses the first, the throughput runs both.
  std::vector<std::unique_ptr<SteadyBare>> steady;
  for (int i = 0; i < 2; ++i) steady.push_back(std::make_unique<SteadyBare>(program));
  for (int i = 0; i < 30; ++i)  // warm-up: page cache, cgroup code paths, CPU frequency
    if (!bareRun(program.c_str()) || !bench.slotRun(0, true) || !bench.slotRun(1, true)) return 1;
  for (auto& s : steady)
    if (s->runs(30).size() != 30) {
      std::fprintf(stderr, "slot-bench: %s --serve failed\n", BENCH_BARE_SPAWN);
      return 1;
    }
  // Interleaved in rounds, so drift of the machine hits every variant alike.
  std::vector<double> small, small_old, bare, slot, job;
  // Ten runs a round: the machine's drift is slow next to that, so every variant sees
  // nearly the same conditions.
  const size_t rounds = std::max<size_t>(10, runs / 10);
  const size_t per_round = runs / rounds;
  for (size_t round = 0; round < rounds; ++round) {
    auto batch = steady[0]->runs(per_round);
    auto batch_old = smallParentRuns(program, per_round);
    if (batch.size() != per_round || batch_old.size() != per_round) {
      std::fprintf(stderr, "slot-bench: %s failed\n", BENCH_BARE_SPAWN);
      return 1;
    }
    small.insert(small.end(), batch.begin(), batch.end());
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
  const Stats a = stats(small), a_old = stats(small_old), a2 = stats(bare), b = stats(slot),
              c = stats(job);
  auto row = [](const char* name, const Stats& st) {
    std::printf("%-50s %10.0f %10.0f %10.0f\n", name, st.median, st.p90, 1e6 / st.median);
  };
  std::printf("\n%-50s %10s %10s %10s\n", "latency per run (us)", "median", "p90", "runs/s");
  row("(a) bare fork+exec+wait, steady small parent", a);
  row("(a-old) the same, small parent started per batch", a_old);
  row("(a') bare fork+exec+wait from this process", a2);
  row("(b) codecanvas slot run", b);
  row("(c) slot run + wipe (a whole one-run job)", c);
  std::printf("ratio (b)/(a):      median %.2f, p90 %.2f   (target <= 1.30)\n", b.median / a.median,
              b.p90 / a.p90);
  std::printf("ratio (c)/(a):      median %.2f, p90 %.2f\n", c.median / a.median, c.p90 / a.p90);
  std::printf("ratio (b)/(a-old):  median %.2f, p90 %.2f   (earlier versions' ratio)\n",
              b.median / a_old.median, b.p90 / a_old.p90);
  std::printf("ratio (a-old)/(a):  median %.2f, p90 %.2f\n", a_old.median / a.median,
              a_old.p90 / a.p90);
  std::printf("ratio (b)/(a'):     median %.2f, p90 %.2f\n", b.median / a2.median, b.p90 / a2.p90);

  // Throughput, interleaved in rounds too: seconds summed over the rounds per variant.
  struct Variant {
    double s = 0, busy_s = 0, loop_s = 0;
  };
  Variant bare1, bare2, slot1, slot2;
  const size_t t_rounds = 10, each = std::max<size_t>(2, runs / t_rounds / 2) * 2;
  for (size_t round = 0; round < t_rounds; ++round) {
    const double s1 = parallelBare(steady, 1, each, bare1.busy_s);
    const double s2 = parallelBare(steady, 2, each / 2, bare2.busy_s);
    if (s1 < 0 || s2 < 0) {
      std::fprintf(stderr, "slot-bench: %s failed\n", BENCH_BARE_SPAWN);
      return 1;
    }
    bare1.s += s1;
    bare2.s += s2;
    slot1.s += bench.parallelSlots(1, each, slot1.loop_s, slot1.busy_s);
    slot2.s += bench.parallelSlots(2, each, slot2.loop_s, slot2.busy_s);
  }
  const double total = static_cast<double>(t_rounds * each);
  const std::string title =
      "throughput (runs/s), " + std::to_string(t_rounds * each) + " runs each";
  std::printf("\n%-50s %10s %10s %10s\n", title.c_str(), "1 at once", "2 at once", "2 / 1");
  auto trow = [&](const char* name, const Variant& one, const Variant& two) {
    std::printf("%-50s %10.0f %10.0f %10.2f\n", name, total / one.s, total / two.s, one.s / two.s);
  };
  trow("bare fork+exec+wait (steady small parents)", bare1, bare2);
  trow("codecanvas slots", slot1, slot2);
  std::printf("ratio slots/bare: %.2f with 1, %.2f with 2   (target with 2 >= 0.90)\n",
              bare1.s / slot1.s, bare2.s / slot2.s);
  // Where the CPU went: busy CPUs of the machine (anything else running on it
  // counts too) and the CPU time a run cost in all, processes and kernel threads alike.
  auto cpu = [&](const char* name, const Variant& v) {
    std::printf("%-50s %6.2f CPUs %6.0f us/run\n", name, v.busy_s / v.s, 1e6 * v.busy_s / total);
  };
  std::printf("\nmachine CPU while measuring throughput (of %ld CPUs)\n",
              ::sysconf(_SC_NPROCESSORS_ONLN));
  cpu("1 bare loop", bare1);
  cpu("2 bare loops", bare2);
  cpu("1 slot", slot1);
  cpu("2 slots", slot2);
  std::printf("event-loop thread busy: %.0f%% with 1 slot, %.0f%% with 2 (of one CPU)\n",
              100 * slot1.loop_s / slot1.s, 100 * slot2.loop_s / slot2.s);
  return 0;
}
