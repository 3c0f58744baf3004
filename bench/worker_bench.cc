// Worker-mode scaling benchmark: the throughput of CPU-bound jobs through one API node
// (codecanvas-server --broker, no slots) and a real RabbitMQ, first with one
// codecanvas-worker of one slot pinned to CPU 0, then with a second one pinned to CPU 1,
// measured one after the other in the same run with the same jobs and clients. Prints
// jobs/s for each, their ratio (target: at least 1.7), the wall time per job and where the
// workers' processes were allowed to run (their Cpus_allowed_list), and checks every
// answer.
//
// The job is a C program that spins on integer arithmetic (about 200 ms of CPU here) and
// prints its checksum; every job has the same source, so after the first job each worker
// answers its compile from its cache and the run itself is what is measured.
//
// Starts its own rabbitmq-server (free loopback ports, a temporary data directory), API node
// and workers (slot uids from 62300 and 62310). As root, on a machine with 2 CPUs or more:
//   build/bench/codecanvas-worker-bench [JOBS]     (default 40 per phase)
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "rabbitmq_server.h"
#include "server_process.h"

namespace {

using codecanvas::testing::httpCall;
using codecanvas::testing::RabbitMqServer;
using codecanvas::testing::ServerProcess;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kClients = 4;  // more jobs in flight than slots, so no worker ever waits

const char* kSpin = R"c(#include <stdio.h>
int main(void) {
  unsigned long long x = 88172645463325252ULL, sum = 0;
  for (long i = 0; i < 120000000L; ++i) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    sum += x & 0xff;
  }
  printf("%llu\n", sum);
  return 0;
}
)c";

// Starts a worker with its CPU affinity set to `cpu` (the worker and every slot process it
// makes inherit it), then gives this process all CPUs back.
std::unique_ptr<ServerProcess> startPinnedWorker(const std::string& url,
                                                 const std::string& uid_base, int cpu) {
  cpu_set_t all, one;
  sched_getaffinity(0, sizeof all, &all);
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  sched_setaffinity(0, sizeof one, &one);
  auto w = codecanvas::testing::startWorker(WORKER_PATH, url, uid_base);
  sched_setaffinity(0, sizeof all, &all);
  return w;
}

std::string cpusAllowed(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Cpus_allowed_list:", 0) == 0)
      return line.substr(line.find_first_not_of(" \t", 18));
  return "?";
}

bool waitWorkers(int port, int n) {
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    const auto h = httpCall(port, "GET", "/health");
    if (h.body.is_object() && h.body.value("/broker/workers"_json_pointer, 0) == n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

struct Phase {
  double seconds = 0;
  int ok = 0;
  int failed = 0;
  std::vector<double> job_wall_ms;
};

// `jobs` runs of the spinner from kClients clients at once; every answer must be "ok" with
// `expected` on stdout (when `expected` is empty, the first answer sets it).
Phase runPhase(int port, int jobs, std::string& expected) {
  const std::string body = json{{"language", "c"}, {"source", kSpin}}.dump();
  std::atomic<int> next{0};
  std::mutex mu;
  Phase p;
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&] {
      while (next.fetch_add(1) < jobs) {
        const auto a = httpCall(port, "POST", "/api/v1/run", body);
        std::lock_guard lock(mu);
        const bool good = a.status == 200 && a.body.value("status", "") == "ok";
        const std::string out = good ? a.body.value("stdout", "") : "";
        if (good && expected.empty()) expected = out;
        if (good && out == expected) {
          ++p.ok;
          p.job_wall_ms.push_back(a.body.value("wall_ms", 0.0));
        } else {
          ++p.failed;
          std::fprintf(stderr, "worker bench: a job failed: %d %s\n", a.status, a.raw.c_str());
        }
      }
    });
  for (auto& t : clients) t.join();
  p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return p;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::max(2, std::atoi(argv[1])) : 40;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "worker bench: needs root (its workers build sandbox slots)\n");
    return 2;
  }
  if (std::thread::hardware_concurrency() < 2) {
    std::fprintf(stderr,
                 "worker bench: needs 2 CPUs to pin two workers apart; this machine "
                 "has %u\n",
                 std::thread::hardware_concurrency());
    return 2;
  }
  if (!RabbitMqServer::installed()) {
    std::fprintf(stderr,
                 "worker bench: rabbitmq-server is not installed (scripts/setup.sh "
                 "--tests installs it)\n");
    return 2;
  }
  RabbitMqServer broker;
  if (!broker.start()) {
    std::fprintf(stderr, "worker bench: the broker did not start:\n%s\n", broker.log().c_str());
    return 1;
  }
  const std::string url = broker.urlText();
  ServerProcess api(SERVER_PATH, {"--broker", url, "--web-dir", "none", "--store-dir", "none",
                                  "--queue", "64", "--broker-wait-s", "120"});
  if (api.port() == 0) {
    std::fprintf(stderr, "worker bench: the API node did not start:\n%s\n", api.log().c_str());
    return 1;
  }
  int rc = 0;
  std::string expected;
  auto first = startPinnedWorker(url, "62300", 0);
  if (first->port() == 0 || !waitWorkers(api.port(), 1)) {
    std::fprintf(stderr, "worker bench: worker 1 did not start:\n%s\n", first->log().c_str());
    return 1;
  }
  runPhase(api.port(), 2, expected);  // the compile, then a cached one
  const Phase one = runPhase(api.port(), jobs, expected);

  auto second = startPinnedWorker(url, "62310", 1);
  if (second->port() == 0 || !waitWorkers(api.port(), 2)) {
    std::fprintf(stderr, "worker bench: worker 2 did not start:\n%s\n", second->log().c_str());
    return 1;
  }
  // Warm the second worker's compile cache: enough jobs that both take some.
  runPhase(api.port(), 6, expected);
  const Phase two = runPhase(api.port(), jobs, expected);

  std::printf(
      "workers pinned: worker 1 to CPUs %s, worker 2 to CPUs %s (API node and broker "
      "unpinned)\n",
      cpusAllowed(first->pid()).c_str(), cpusAllowed(second->pid()).c_str());
  std::printf("%d CPU-bound C jobs per phase from %d clients, one slot per worker\n", jobs,
              kClients);
  std::printf("%-12s %8s %10s %14s %8s\n", "", "seconds", "jobs/s", "job wall p50", "failed");
  const double r1 = one.ok / one.seconds, r2 = two.ok / two.seconds;
  std::printf("%-12s %8.2f %10.2f %11.0f ms %8d\n", "1 worker", one.seconds, r1,
              median(one.job_wall_ms), one.failed);
  std::printf("%-12s %8.2f %10.2f %11.0f ms %8d\n", "2 workers", two.seconds, r2,
              median(two.job_wall_ms), two.failed);
  std::printf("ratio 2 workers / 1 worker: %.2f (target: at least 1.7)\n", r2 / r1);
  if (one.failed != 0 || two.failed != 0) rc = 1;
  if (second->terminate() != 0 || first->terminate() != 0 || api.terminate() != 0) rc = 1;
  return rc;
}
