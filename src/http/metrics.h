// Counters and latency histograms of the service, rendered in the Prometheus text format
// for GET /metrics. Thread-safe; every update is a short critical section.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace codecanvas::http {

class Metrics {
 public:
  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 14> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,    1,     2.5,  5,     10,   30};
  enum class Phase { kQueue, kCompile, kRun, kTotal };

  void countRequest(const std::string& route, int status);
  // A request that presented a valid API key (`key_name` is the configured name: the set of
  // labels is bounded by the configuration).
  void countKeyRequest(const std::string& key_name, int status);
  void countRun(const std::string& language, const std::string& status);
  void observe(Phase phase, double ms);

  // Gauges come from the pool when the page is rendered.
  struct Gauges {
    size_t slots = 0, busy = 0, broken = 0, queued = 0, queue_capacity = 0;
    uint64_t rebuilds = 0, cache_entries = 0, cache_bytes = 0, cache_hits = 0, cache_misses = 0;
    // The code-executor adapter's file store (uploads and artifacts), when it has one.
    bool file_store = false;
    uint64_t file_store_files = 0, file_store_bytes = 0;
    // The worker mode's broker (broker_backend.h), when the server has one.
    bool broker = false;
    bool broker_up = false;
    uint64_t broker_queue = 0, broker_workers = 0, broker_jobs = 0, broker_redeliveries = 0,
             broker_lost = 0;
  };
  std::string render(const Gauges& g) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, int>, uint64_t> key_requests_;
  std::map<std::pair<std::string, std::string>, uint64_t> runs_;
  std::array<Histogram, 4> latency_;
};

}  // namespace codecanvas::http
