// The load generator behind codecanvas-load (bench/load_client.cc) and the load tests
// (tests/load/load_test.cc): a fixed number of clients, each on its own keep-alive
// connection, send small programs of several languages to POST /api/v1/run, each with a
// number no other request uses on stdin, and check every answer:
//
//   200  the program's status is ok and its stdout is exactly "<language> <2n+1>\n" for
//        the n that request sent (so an answer delivered to the wrong request, a lost
//        stdin or a run of the wrong program is caught, not just counted);
//   503  code "busy" with a Retry-After header; the client waits (Retry-After, capped)
//        and sends the next request;
//   anything else, or no answer at all, is recorded as a failure with its text.
//
// It also reads the server's footprint (open fds, RSS, threads) from /proc, which needs
// the server's pid and the same pid namespace. Loopback only: the clients connect to
// 127.0.0.1.
#pragma once

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace codecanvas::load {

using Clock = std::chrono::steady_clock;

// One program of the mix: reads a number n from stdin and prints "<language> <2n+1>".
struct Program {
  std::string language;
  std::string source;
};

inline std::optional<Program> programFor(const std::string& language) {
  if (language == "c")
    return Program{"c",
                   "#include <stdio.h>\nint main(void) { long long n; if (scanf(\"%lld\", &n) != "
                   "1) return 2; printf(\"c %lld\\n\", 2 * n + 1); return 0; }\n"};
  if (language == "c++")
    return Program{"c++",
                   "#include <iostream>\nint main() { long long n; if (!(std::cin >> n)) return "
                   "2; std::cout << \"c++ \" << 2 * n + 1 << '\\n'; }\n"};
  if (language == "python3")
    return Program{"python3", "n = int(input())\nprint(\"python3\", 2 * n + 1)\n"};
  if (language == "bash") return Program{"bash", "read -r n\necho \"bash $((2 * n + 1))\"\n"};
  if (language == "nodejs")
    return Program{"nodejs",
                   "const n = Number(require(\"fs\").readFileSync(0, \"utf8\").trim());\n"
                   "console.log(\"nodejs \" + (2 * n + 1));\n"};
  return std::nullopt;
}

inline std::string expectedStdout(const std::string& language, uint64_t n) {
  return language + " " + std::to_string(2 * n + 1) + "\n";
}

struct MixEntry {
  std::string language;
  unsigned weight = 1;
};

// Mostly compiled programs, which come from the compile cache after their first request;
// the interpreters cost far more per run. CPU per run (server + sandbox + program), 2-core
// VM: c ~5.5 ms, c++ ~8 ms (a 2.2 MB static binary copied into /box), bash ~7 ms,
// python3 ~35 ms, nodejs ~75 ms; this mix averages ~10 ms.
inline std::vector<MixEntry> defaultMix() {
  return {{"c", 60}, {"c++", 20}, {"bash", 10}, {"python3", 8}, {"nodejs", 2}};
}

// "c=45,c++=35,bash=10": an entry without "=weight" weighs 1.
inline std::optional<std::vector<MixEntry>> parseMix(const std::string& text) {
  std::vector<MixEntry> mix;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) continue;
    MixEntry e;
    const size_t eq = item.find('=');
    e.language = item.substr(0, eq);
    if (eq != std::string::npos) {
      try {
        e.weight = static_cast<unsigned>(std::stoul(item.substr(eq + 1)));
      } catch (...) {
        return std::nullopt;
      }
    }
    if (!programFor(e.language) || e.weight == 0) return std::nullopt;
    mix.push_back(e);
  }
  if (mix.empty()) return std::nullopt;
  return mix;
}

struct LoadOptions {
  int port = 0;
  unsigned clients = 8;
  std::vector<MixEntry> mix = defaultMix();
  // Stops once `duration` has passed and at least `min_runs` answers were 200, or when
  // `max_duration` has passed, or when *stop becomes true, whichever comes first.
  std::chrono::milliseconds duration{30000};
  uint64_t min_runs = 0;
  std::chrono::milliseconds max_duration{120000};
  const std::atomic<bool>* stop = nullptr;
  // A 503 is followed by a pause of Retry-After seconds, at most this long. The server
  // says 1 s; waiting that long would leave slots idle with only 4 clients per slot (a
  // bounced client sits out while the others' jobs end), so the load caps it.
  std::chrono::milliseconds retry_after_cap{100};
  // Numbers sent on stdin are first_number + client * 10^7 + sequence: distinct per request.
  uint64_t first_number = 1;
  uint32_t seed = 1;
};

// One request as the client saw it. status 0: no answer (connection failed or closed).
struct Sample {
  double start_ms = 0;  // since the load started
  double latency_ms = 0;
  int status = 0;
  bool correct = false;  // 200: the stdout was the expected one; 503: code busy + Retry-After
  uint8_t language = 0;  // index into LoadOptions::mix
};

struct LoadReport {
  std::vector<Sample> samples;
  std::vector<std::string> failures;  // the first few, in words
  uint64_t failure_count = 0;
  Clock::time_point started;  // Sample::start_ms counts from here
  double elapsed_s = 0;

  uint64_t count(int status) const {
    return static_cast<uint64_t>(std::count_if(
        samples.begin(), samples.end(), [&](const Sample& s) { return s.status == status; }));
  }
  uint64_t runs() const { return count(200); }
  uint64_t correctRuns() const {
    return static_cast<uint64_t>(std::count_if(samples.begin(), samples.end(), [](const Sample& s) {
      return s.status == 200 && s.correct;
    }));
  }
  std::map<int, uint64_t> statuses() const {
    std::map<int, uint64_t> m;
    for (const auto& s : samples) ++m[s.status];
    return m;
  }
  // Latency quantile (0..1) of the answers with `status` (-1: every answer).
  double latencyQuantile(double q, int status = 200) const {
    std::vector<double> v;
    for (const auto& s : samples)
      if (status < 0 ? s.status != 0 : s.status == status) v.push_back(s.latency_ms);
    if (v.empty()) return 0;
    const size_t k =
        std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5));
    std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
    return v[k];
  }
};

namespace detail {

inline std::string describe(const std::string& language, uint64_t n, const httplib::Result& res) {
  std::string s = language + " n=" + std::to_string(n) + ": ";
  if (!res) return s + "no answer (" + httplib::to_string(res.error()) + ")";
  return s + "HTTP " + std::to_string(res->status) + " " + res->body.substr(0, 300);
}

// True when a 200 answer is the exact expected result of this request.
inline bool checkRun(const std::string& language, uint64_t n, const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return false;
  return j.value("status", "") == "ok" && j.value("language", "") == language &&
         j.value("stdout", "") == expectedStdout(language, n) && j["exit_code"] == 0;
}

inline bool checkBusy(const httplib::Result& res) {
  if (res->get_header_value("Retry-After").empty()) return false;
  const auto j = nlohmann::json::parse(res->body, nullptr, false);
  return j.is_object() && j.value("code", "") == "busy";
}

}  // namespace detail

// Runs the load with its own client threads; returns when it stops.
inline LoadReport runLoad(const LoadOptions& o) {
  std::vector<Program> programs;
  std::vector<unsigned> weights;
  for (const auto& m : o.mix) {
    programs.push_back(*programFor(m.language));
    weights.push_back(m.weight);
  }
  std::vector<std::string> requests;  // the JSON around the stdin, split for speed
  for (const auto& p : programs) {
    const std::string head = nlohmann::json{{"language", p.language}, {"source", p.source}}.dump();
    requests.push_back(head.substr(0, head.size() - 1) + ",\"stdin\":\"");
  }

  std::mutex mu;
  LoadReport report;
  std::atomic<uint64_t> runs{0};
  std::atomic<bool> done{false};
  const auto t0 = Clock::now();
  report.started = t0;
  auto since = [&](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(t - t0).count();
  };

  auto client = [&](unsigned id) {
    httplib::Client cli("127.0.0.1", o.port);
    cli.set_keep_alive(true);
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(5, 0);
    cli.set_read_timeout(120, 0);
    std::mt19937 rng(o.seed * 7919u + id);
    std::discrete_distribution<unsigned> pick(weights.begin(), weights.end());
    std::vector<Sample> mine;
    std::vector<std::string> my_failures;
    uint64_t my_failure_count = 0;
    for (uint64_t seq = 0; !done; ++seq) {
      const unsigned lang = pick(rng);
      const uint64_t n = o.first_number + id * 10000000ull + seq;
      const std::string body = requests[lang] + std::to_string(n) + "\\n\"}";
      const auto start = Clock::now();
      auto res = cli.Post("/api/v1/run", body, "application/json");
      Sample s;
      s.start_ms = since(start);
      s.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      s.language = static_cast<uint8_t>(lang);
      s.status = res ? res->status : 0;
      if (s.status == 200) s.correct = detail::checkRun(programs[lang].language, n, res->body);
      if (s.status == 503) s.correct = detail::checkBusy(res);
      if (!s.correct) {
        ++my_failure_count;
        if (my_failures.size() < 5)
          my_failures.push_back(detail::describe(programs[lang].language, n, res));
      }
      mine.push_back(s);
      if (s.status == 200) ++runs;
      if (s.status == 503) {
        int seconds = 1;
        try {
          seconds = std::stoi(res->get_header_value("Retry-After"));
        } catch (...) {
        }
        std::this_thread::sleep_for(
            std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), o.retry_after_cap));
      } else if (s.status == 0) {
        // The server is gone or refusing; do not spin.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    std::lock_guard lock(mu);
    report.samples.insert(report.samples.end(), mine.begin(), mine.end());
    report.failure_count += my_failure_count;
    for (auto& f : my_failures)
      if (report.failures.size() < 20) report.failures.push_back(std::move(f));
  };

  std::vector<std::thread> threads;
  for (unsigned i = 0; i < o.clients; ++i) threads.emplace_back(client, i);
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto elapsed = Clock::now() - t0;
    if ((o.stop != nullptr && *o.stop) || elapsed >= o.max_duration ||
        (elapsed >= o.duration && runs >= o.min_runs))
      break;
  }
  done = true;
  for (auto& t : threads) t.join();
  report.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::sort(report.samples.begin(), report.samples.end(),
            [](const Sample& a, const Sample& b) { return a.start_ms < b.start_ms; });
  return report;
}

// --- the server's footprint ------------------------------------------------------------------

struct Footprint {
  uint64_t fds = 0;
  uint64_t rss_kb = 0;
  uint64_t threads = 0;
  bool ok = false;  // false: the process could not be read
};

inline Footprint footprintOf(pid_t pid) {
  Footprint f;
  const std::string base = "/proc/" + std::to_string(pid);
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(base + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++f.fds;
  if (ec) return f;
  std::ifstream status(base + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") status >> f.rss_kb;
    if (key == "Threads:") status >> f.threads;
    status.ignore(1 << 20, '\n');
  }
  f.ok = f.rss_kb > 0;
  return f;
}

// After a load: waits (at most `timeout`) until the server reports no busy slot and an
// empty queue and its fd count has stopped moving (connections the clients closed are
// closed on the server's side too), then reads the footprint.
inline Footprint settledFootprint(int port, pid_t pid,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = Clock::now() + timeout;
  httplib::Client cli("127.0.0.1", port);
  cli.set_keep_alive(false);
  while (Clock::now() < deadline) {
    auto res = cli.Get("/health");
    if (res && res->status == 200) {
      const auto j = nlohmann::json::parse(res->body, nullptr, false);
      if (j.is_object() && j["slots"]["busy"] == 0 && j["queue"]["length"] == 0) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Footprint last = footprintOf(pid);
  int stable = 0;
  while (Clock::now() < deadline && stable < 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Footprint now = footprintOf(pid);
    stable = now.fds == last.fds ? stable + 1 : 0;
    last = now;
  }
  return last;
}

// One request per program of the mix, one after the other: the compiled ones are compiled
// (and cached) here rather than inside the measured load. Returns the failures, in words.
inline std::vector<std::string> primeMix(int port, const std::vector<MixEntry>& mix) {
  std::vector<std::string> failures;
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(120, 0);
  for (const auto& m : mix) {
    const Program p = *programFor(m.language);
    const uint64_t n = 42;
    const nlohmann::json req = {
        {"language", p.language}, {"source", p.source}, {"stdin", std::to_string(n) + "\n"}};
    auto res = cli.Post("/api/v1/run", req.dump(), "application/json");
    if (!res || res->status != 200 || !detail::checkRun(p.language, n, res->body))
      failures.push_back("priming " + detail::describe(p.language, n, res));
  }
  return failures;
}

}  // namespace codecanvas::load
