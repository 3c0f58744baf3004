#include "metrics.h"

#include <sstream>

namespace codecanvas::http {

namespace {

// Label values are our own route names, language names and statuses, but escape anyway:
// a label must never break the exposition format.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

const char* phaseName(Metrics::Phase p) {
  switch (p) {
    case Metrics::Phase::kQueue:
      return "queue";
    case Metrics::Phase::kCompile:
      return "compile";
    case Metrics::Phase::kRun:
      return "run";
    case Metrics::Phase::kTotal:
      return "total";
  }
  return "total";
}

}  // namespace

void Metrics::countRequest(const std::string& route, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
}

void Metrics::countKeyRequest(const std::string& key_name, int status) {
  std::lock_guard lock(mu_);
  ++key_requests_[{key_name, status}];
}

void Metrics::countRun(const std::string& language, const std::string& status) {
  std::lock_guard lock(mu_);
  ++runs_[{language, status}];
}

void Metrics::observe(Phase phase, double ms) {
  const double s = ms / 1000.0;
  std::lock_guard lock(mu_);
  Histogram& h = latency_[static_cast<size_t>(phase)];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (s <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += s;
}

std::string Metrics::render(const Gauges& g) const {
  std::ostringstream o;
  std::lock_guard lock(mu_);
  o << "# HELP codecanvas_http_requests_total HTTP requests by route and status code.\n"
    << "# TYPE codecanvas_http_requests_total counter\n";
  for (const auto& [k, n] : requests_)
    o << "codecanvas_http_requests_total{route=\"" << label(k.first) << "\",code=\"" << k.second
      << "\"} " << n << "\n";
  if (!key_requests_.empty()) {
    o << "# HELP codecanvas_api_key_requests_total Requests with a valid API key, by key name "
         "and status code (429: the key's rate was used up).\n"
      << "# TYPE codecanvas_api_key_requests_total counter\n";
    for (const auto& [k, n] : key_requests_)
      o << "codecanvas_api_key_requests_total{key=\"" << label(k.first) << "\",code=\"" << k.second
        << "\"} " << n << "\n";
  }
  o << "# HELP codecanvas_runs_total Finished jobs by language and status (judge: verdict).\n"
    << "# TYPE codecanvas_runs_total counter\n";
  for (const auto& [k, n] : runs_)
    o << "codecanvas_runs_total{language=\"" << label(k.first) << "\",status=\"" << label(k.second)
      << "\"} " << n << "\n";
  o << "# HELP codecanvas_job_seconds Job latency by phase: queue wait, compile, run, total.\n"
    << "# TYPE codecanvas_job_seconds histogram\n";
  for (size_t p = 0; p < latency_.size(); ++p) {
    const Histogram& h = latency_[p];
    const char* name = phaseName(static_cast<Phase>(p));
    for (size_t i = 0; i < kBuckets.size(); ++i)
      o << "codecanvas_job_seconds_bucket{phase=\"" << name << "\",le=\"" << kBuckets[i] << "\"} "
        << h.buckets[i] << "\n";
    o << "codecanvas_job_seconds_bucket{phase=\"" << name << "\",le=\"+Inf\"} " << h.count << "\n"
      << "codecanvas_job_seconds_sum{phase=\"" << name << "\"} " << h.sum << "\n"
      << "codecanvas_job_seconds_count{phase=\"" << name << "\"} " << h.count << "\n";
  }
  auto gauge = [&](const char* name, const char* help, const char* type, uint64_t v) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
      << name << " " << v << "\n";
  };
  gauge("codecanvas_slots_total", "Sandbox slots in the pool.", "gauge", g.slots);
  gauge("codecanvas_slots_busy", "Slots running a job.", "gauge", g.busy);
  gauge("codecanvas_slots_broken", "Slots waiting for a rebuild that failed.", "gauge", g.broken);
  gauge("codecanvas_queue_length", "Jobs waiting for a slot.", "gauge", g.queued);
  gauge("codecanvas_queue_capacity", "Jobs that may wait before requests get 503.", "gauge",
        g.queue_capacity);
  gauge("codecanvas_slot_rebuilds_total", "Slots destroyed and built again after a fault.",
        "counter", g.rebuilds);
  gauge("codecanvas_compile_cache_entries", "Compiled programs in the cache.", "gauge",
        g.cache_entries);
  gauge("codecanvas_compile_cache_bytes", "Bytes held by the compile cache.", "gauge",
        g.cache_bytes);
  gauge("codecanvas_compile_cache_hits_total", "Compiles answered from the cache.", "counter",
        g.cache_hits);
  gauge("codecanvas_compile_cache_misses_total", "Compiles that ran the compiler.", "counter",
        g.cache_misses);
  if (g.file_store) {
    gauge("codecanvas_file_store_files", "Uploads and artifacts kept (POST /v1/files, /v1/runs).",
          "gauge", g.file_store_files);
    gauge("codecanvas_file_store_bytes", "Bytes the file store holds.", "gauge",
          g.file_store_bytes);
  }
  if (g.broker) {
    gauge("codecanvas_broker_up", "1 while the connection to the broker is open.", "gauge",
          g.broker_up ? 1 : 0);
    gauge("codecanvas_broker_queue_depth", "Jobs waiting in the broker's queue for a worker.",
          "gauge", g.broker_queue);
    gauge("codecanvas_broker_workers", "Workers consuming the broker's queue.", "gauge",
          g.broker_workers);
    gauge("codecanvas_broker_jobs_total", "Jobs this server published to the broker.", "counter",
          g.broker_jobs);
    gauge("codecanvas_broker_redeliveries_total",
          "Answers of jobs the broker delivered more than once (a worker died or lost them).",
          "counter", g.broker_redeliveries);
    gauge("codecanvas_broker_lost_total",
          "Jobs whose answer never came back (the broker connection broke, or no worker "
          "answered in time).",
          "counter", g.broker_lost);
  }
  return o.str();
}

}  // namespace codecanvas::http
