// codecanvas-load: a bounded load test of a codecanvas-server, loopback only.
//
// Starts its own server (or uses one already running: --port, with --pid for the
// footprint), warms it up (every program of the mix once, so compiles are cached, then a
// few seconds of the same load), reads the server's open fd count and RSS, runs the load
// (4 clients per slot by default, mixed languages, every answer checked; see
// tests/load/load_driver.h), lets the server settle, reads the footprint again and prints:
// requests, statuses, p50/p99 latency, runs/s, fds and RSS before and after.
//
//   build/bench/codecanvas-load                      # 30 s, own server, 2 slots (as root)
//   build/bench/codecanvas-load --min-runs 10000 --max-duration-s 120
//   build/bench/codecanvas-load --port 10100 --pid "$(pidof codecanvas-server)"
//
// Exit status: 0 when every answer was a correct 200 or a well-formed 503, the run count
// reached --min-runs and the footprint stayed within the margins; 1 otherwise; 2 on usage.
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "load_driver.h"
#include "server_process.h"

namespace {

using namespace codecanvas::load;

constexpr const char* kUsage = R"(usage: codecanvas-load [options]
  --server PATH         codecanvas-server to start (default: the one built beside this)
  --port N              use the server already listening on 127.0.0.1:N instead
  --pid PID             its pid, for the fd and RSS figures (with --port)
  --slots N             slots of the server started here (default 2)
  --queue N             its queue (default: the slot count, so overload answers 503)
  --uid-base N          its slot uids (default 61100)
  --clients N           concurrent clients (default 4 x the server's slots)
  --duration-s N        run at least this long (default 30)
  --min-runs N          and until this many 200 answers (default 0)
  --max-duration-s N    but never longer (default 120)
  --warmup-s N          load before the first footprint (default 3)
  --mix LIST            e.g. c=60,c++=20,bash=10,python3=8,nodejs=2 (the default)
  --retry-cap-ms N      longest pause after a 503 (default 100; the server asks 1000)
  --fd-margin N         fds allowed above the warm figure (default 2)
  --rss-margin-kb N     RSS allowed above the warm figure (default 8192)
)";

struct Args {
  std::string server = SERVER_PATH;
  int port = 0;
  pid_t pid = 0;
  unsigned slots = 2, queue = 0, uid_base = 61100, clients = 0;
  unsigned duration_s = 30, max_duration_s = 120, warmup_s = 3;
  uint64_t min_runs = 0;
  std::vector<MixEntry> mix = defaultMix();
  unsigned retry_cap_ms = 100;
  uint64_t fd_margin = 2, rss_margin_kb = 8192;
};

bool parse(int argc, char** argv, Args& a) {
  auto u = [](const std::string& v) { return static_cast<unsigned>(std::stoul(v)); };
  using Setter = std::function<void(const std::string&)>;
  const std::map<std::string, Setter> flags = {
      {"--server", [&](const std::string& v) { a.server = v; }},
      {"--port", [&](const std::string& v) { a.port = std::stoi(v); }},
      {"--pid", [&](const std::string& v) { a.pid = std::stoi(v); }},
      {"--slots", [&](const std::string& v) { a.slots = u(v); }},
      {"--queue", [&](const std::string& v) { a.queue = u(v); }},
      {"--uid-base", [&](const std::string& v) { a.uid_base = u(v); }},
      {"--clients", [&](const std::string& v) { a.clients = u(v); }},
      {"--duration-s", [&](const std::string& v) { a.duration_s = u(v); }},
      {"--min-runs", [&](const std::string& v) { a.min_runs = std::stoull(v); }},
      {"--max-duration-s", [&](const std::string& v) { a.max_duration_s = u(v); }},
      {"--warmup-s", [&](const std::string& v) { a.warmup_s = u(v); }},
      {"--retry-cap-ms", [&](const std::string& v) { a.retry_cap_ms = u(v); }},
      {"--fd-margin", [&](const std::string& v) { a.fd_margin = std::stoull(v); }},
      {"--rss-margin-kb", [&](const std::string& v) { a.rss_margin_kb = std::stoull(v); }},
      {"--mix", [&](const std::string& v) { a.mix = parseMix(v).value(); }},
  };
  for (int i = 1; i < argc; ++i) {
    const auto it = flags.find(argv[i]);
    if (it == flags.end() || i + 1 >= argc) return false;
    try {
      it->second(argv[++i]);
    } catch (...) {  // not a number, or an unknown language in --mix
      return false;
    }
  }
  return true;
}

unsigned slotsOf(int port) {
  httplib::Client cli("127.0.0.1", port);
  auto res = cli.Get("/health");
  if (!res || res->status != 200) return 0;
  const auto j = nlohmann::json::parse(res->body, nullptr, false);
  return j.is_object() ? j["slots"].value("total", 0u) : 0;
}

void printFootprint(const char* when, const Footprint& f) {
  if (!f.ok) {
    std::printf("  %-22s (unknown: no --pid, or /proc not readable)\n", when);
    return;
  }
  std::printf("  %-22s fds %4llu   RSS %8.1f MiB   threads %llu\n", when,
              static_cast<unsigned long long>(f.fds), static_cast<double>(f.rss_kb) / 1024.0,
              static_cast<unsigned long long>(f.threads));
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::unique_ptr<codecanvas::testing::ServerProcess> own;
  if (a.port == 0) {
    if (::geteuid() != 0) {
      std::fprintf(stderr, "codecanvas-load: starting a server needs root (or use --port)\n");
      return 2;
    }
    const unsigned queue = a.queue != 0 ? a.queue : a.slots;
    own = std::make_unique<codecanvas::testing::ServerProcess>(
        a.server,
        std::vector<std::string>{"--slots", std::to_string(a.slots), "--queue",
                                 std::to_string(queue), "--uid-base", std::to_string(a.uid_base)});
    if (own->port() == 0) {
      std::fprintf(stderr, "codecanvas-load: the server did not start:\n%s\n", own->log().c_str());
      return 1;
    }
    a.port = own->port();
    a.pid = own->pid();
  }
  const unsigned slots = slotsOf(a.port);
  if (slots == 0) {
    std::fprintf(stderr, "codecanvas-load: no /health answer on port %d\n", a.port);
    return 1;
  }
  LoadOptions o;
  o.port = a.port;
  o.clients = a.clients != 0 ? a.clients : 4 * slots;
  o.mix = a.mix;
  o.retry_after_cap = std::chrono::milliseconds(a.retry_cap_ms);
  std::string mix_text;
  for (const auto& m : o.mix) mix_text += " " + m.language + "=" + std::to_string(m.weight);
  std::printf("codecanvas load: 127.0.0.1:%d, %u slots, %u clients, mix%s\n", a.port, slots,
              o.clients, mix_text.c_str());

  for (const auto& f : primeMix(a.port, o.mix)) {
    std::fprintf(stderr, "codecanvas-load: %s\n", f.c_str());
    return 1;
  }
  LoadOptions warm = o;
  warm.duration = warm.max_duration = std::chrono::seconds(a.warmup_s);
  warm.first_number = 1ull << 40;  // apart from the measured load's numbers
  const LoadReport warm_report = runLoad(warm);
  const Footprint before = a.pid > 0 ? settledFootprint(a.port, a.pid) : Footprint{};

  o.duration = std::chrono::seconds(a.duration_s);
  o.max_duration = std::chrono::seconds(std::max(a.duration_s, a.max_duration_s));
  o.min_runs = a.min_runs;
  const LoadReport r = runLoad(o);
  const Footprint after = a.pid > 0 ? settledFootprint(a.port, a.pid) : Footprint{};

  std::printf("\nwarm-up: %zu requests in %.1f s (%llu failures)\n", warm_report.samples.size(),
              warm_report.elapsed_s, static_cast<unsigned long long>(warm_report.failure_count));
  std::printf("load:    %zu requests in %.1f s\n", r.samples.size(), r.elapsed_s);
  std::printf("  statuses:");
  for (const auto& [status, n] : r.statuses())
    std::printf(" %s=%llu", status == 0 ? "no-answer" : std::to_string(status).c_str(),
                static_cast<unsigned long long>(n));
  std::printf("\n  runs (200):            %llu, correct %llu, %.1f runs/s\n",
              static_cast<unsigned long long>(r.runs()),
              static_cast<unsigned long long>(r.correctRuns()),
              static_cast<double>(r.runs()) / r.elapsed_s);
  std::printf("  latency 200 ms:        p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
              r.latencyQuantile(0.5), r.latencyQuantile(0.9), r.latencyQuantile(0.99),
              r.latencyQuantile(1.0));
  if (r.count(503) > 0)
    std::printf("  latency 503 ms:        p50 %.1f  p99 %.1f\n", r.latencyQuantile(0.5, 503),
                r.latencyQuantile(0.99, 503));
  std::printf("  per language (200s, p50/p99 ms):\n");
  for (size_t i = 0; i < o.mix.size(); ++i) {
    std::vector<double> v;
    for (const auto& s : r.samples)
      if (s.status == 200 && s.language == i) v.push_back(s.latency_ms);
    std::sort(v.begin(), v.end());
    if (v.empty()) continue;
    std::printf("    %-8s %7zu   %6.1f / %6.1f\n", o.mix[i].language.c_str(), v.size(),
                v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)]);
  }
  std::printf("footprint (server pid %d):\n", a.pid);
  printFootprint("after warm-up:", before);
  printFootprint("after the load:", after);

  bool pass = r.failure_count == 0 && r.runs() >= a.min_runs;
  for (const auto& f : r.failures) std::printf("  FAILURE %s\n", f.c_str());
  if (r.failure_count > r.failures.size())
    std::printf("  ... %llu failures in all\n", static_cast<unsigned long long>(r.failure_count));
  if (r.runs() < a.min_runs)
    std::printf("  FAILURE only %llu runs, fewer than --min-runs %llu\n",
                static_cast<unsigned long long>(r.runs()),
                static_cast<unsigned long long>(a.min_runs));
  if (before.ok && after.ok) {
    const bool fds_ok = after.fds <= before.fds + a.fd_margin;
    const bool rss_ok = after.rss_kb <= before.rss_kb + a.rss_margin_kb;
    std::printf("  fds %+lld (margin +%llu): %s;  RSS %+.1f MiB (margin +%.1f MiB): %s\n",
                static_cast<long long>(after.fds) - static_cast<long long>(before.fds),
                static_cast<unsigned long long>(a.fd_margin), fds_ok ? "ok" : "FAILED",
                (static_cast<double>(after.rss_kb) - static_cast<double>(before.rss_kb)) / 1024.0,
                static_cast<double>(a.rss_margin_kb) / 1024.0, rss_ok ? "ok" : "FAILED");
    pass = pass && fds_ok && rss_ok;
  }
  if (own) {
    const int status = own->terminate();
    if (status != 0) {
      std::printf("  FAILURE the server exited with %d on SIGTERM\n", status);
      pass = false;
    }
  }
  std::printf("%s\n", pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
