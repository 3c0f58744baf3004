// Slot benchmark: what a sandboxed run costs next to an unsandboxed one, measured in
// the same process and the same run, because this machine drifts too much between runs
// for absolute numbers to mean anything.
//
//   (a) bare fork + exec + wait of a static hello world, stdout through a pipe, from a
//       small static parent (bench/bare_spawn.c): the strict baseline every ratio uses
//   (a') the same from this (larger, threaded) process, for comparison
//   (b) the same program through a codecanvas slot: the service's code path (Slot,
//       RunOperation, keeper, processor child, fresh cgroup, seccomp), no process
//       start-up of a CLI in between
//   (c) (b) followed by the wipe of /box and /tmp, i.e. one whole one-run job
// then runs per second with 1 and 2 slots in parallel beside 1 and 2 bare loops.
//
// usage: codecanvas-slot-bench [RUNS]   (default 500 per variant, after a warm-up)
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
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

// (a): runs `count` bare fork+exec+wait in the small bare_spawn process; returns each
// run's duration (empty on failure).
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

  // Keeps every slot busy until `total` runs are done; returns runs per second.
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
    return static_cast<double>(total) / (usSince(t0) / 1e6);
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

// `parallel` small bare_spawn processes at once, `total` runs in all; runs per second.
double parallelBare(const std::string& program, size_t parallel, size_t total) {
  auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (size_t t = 0; t < parallel; ++t)
    pool.emplace_back([&] { smallParentRuns(program, total / parallel); });
  for (auto& th : pool) th.join();
  return static_cast<double>(total / parallel * parallel) / (usSince(t0) / 1e6);
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

  for (int i = 0; i < 30; ++i)  // warm-up: page cache, cgroup code paths, CPU frequency
    if (!bareRun(program.c_str()) || !bench.slotRun(0, true)) return 1;
  // Interleaved in rounds, so drift of the machine hits every variant alike.
  std::vector<double> small, bare, slot, job;
  // Ten runs a round: the machine's drift is slow next to that, so every variant sees
  // nearly the same conditions.
  const size_t rounds = std::max<size_t>(10, runs / 10);
  for (size_t round = 0; round < rounds; ++round) {
    auto batch = smallParentRuns(program, runs / rounds);
    if (batch.size() != runs / rounds) {
      std::fprintf(stderr, "slot-bench: %s failed\n", BENCH_BARE_SPAWN);
      return 1;
    }
    small.insert(small.end(), batch.begin(), batch.end());
    for (size_t i = 0; i < runs / rounds; ++i) {
      auto t0 = Clock::now();
      if (!bareRun(program.c_str())) return 1;
      bare.push_back(usSince(t0));
    }
    for (size_t i = 0; i < runs / rounds; ++i) {
      auto t0 = Clock::now();
      if (!bench.slotRun(0, false)) return 1;
      slot.push_back(usSince(t0));
    }
    for (size_t i = 0; i < runs / rounds; ++i) {
      auto t0 = Clock::now();
      if (!bench.slotRun(0, true)) return 1;
      job.push_back(usSince(t0));
    }
  }
  const Stats a = stats(small), a2 = stats(bare), b = stats(slot), c = stats(job);
  auto row = [](const char* name, const Stats& st) {
    std::printf("%-48s %10.0f %10.0f %10.0f\n", name, st.median, st.p90, 1e6 / st.median);
  };
  std::printf("\n%-48s %10s %10s %10s\n", "latency per run (us)", "median", "p90", "runs/s");
  row("(a) bare fork+exec+wait, small static parent", a);
  row("(a') bare fork+exec+wait from this process", a2);
  row("(b) codecanvas slot run", b);
  row("(c) slot run + wipe (a whole one-run job)", c);
  std::printf("ratio (b)/(a):  median %.2f, p90 %.2f   (target <= 1.30)\n", b.median / a.median,
              b.p90 / a.p90);
  std::printf("ratio (c)/(a):  median %.2f, p90 %.2f\n", c.median / a.median, c.p90 / a.p90);
  std::printf("ratio (b)/(a'): median %.2f, p90 %.2f\n", b.median / a2.median, b.p90 / a2.p90);

  const double bare1 = parallelBare(program, 1, runs), bare2 = parallelBare(program, 2, runs);
  const double slot1 = bench.parallelSlots(1, runs), slot2 = bench.parallelSlots(2, runs);
  std::printf("\n%-48s %10s %10s\n", "throughput (runs/s)", "1 at once", "2 at once");
  std::printf("%-48s %10.0f %10.0f\n", "bare fork+exec+wait (small parents)", bare1, bare2);
  std::printf("%-48s %10.0f %10.0f\n", "codecanvas slots", slot1, slot2);
  std::printf("ratio slots/bare: %.2f with 1, %.2f with 2\n", slot1 / bare1, slot2 / bare2);
  return 0;
}
