// HTTP benchmark: what the service adds on top of running the same thing by hand, all
// measured in one run on this machine (it drifts too much between runs for absolute
// figures to carry over).
//
//   1. POST /api/v1/run of a python3 hello world, p50/p90, beside a bare
//      `python3 -c 'print(1)'` fork+exec+wait from a small static parent; the difference.
//   2. POST /api/v1/judge of a C++ A+B with 100 tests, beside a bare g++ of the same
//      source plus 100 bare runs of the binary; then the identical request again, whose
//      compile comes from the cache.
//   3. Requests per second with 2 slots (4 clients, python3 and a cached C program).
//
// Starts its own codecanvas-server (2 slots, uids from 60700) on a free port. As root:
//   build/bench/codecanvas-http-bench [RUNS]     (default 100 per latency figure)
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server_process.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// Durations in ms of `count` bare runs (bench/bare_spawn); empty when it failed.
std::vector<double> bareRuns(size_t count, const std::string& args) {
  std::vector<double> ms;
  const std::string cmd = std::string(BENCH_BARE_SPAWN) + " " + std::to_string(count) + " " + args;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return ms;
  double us;
  while (std::fscanf(p, "%lf", &us) == 1) ms.push_back(us / 1000.0);
  if (::pclose(p) != 0) ms.clear();
  return ms;
}

json post(httplib::Client& cli, const std::string& path, const json& body, double* ms = nullptr) {
  const auto t0 = Clock::now();
  auto res = cli.Post(path.c_str(), body.dump(), "application/json");
  if (ms != nullptr) *ms = msSince(t0);
  if (!res || res->status != 200) {
    std::fprintf(stderr, "http-bench: %s answered %d: %s\n", path.c_str(), res ? res->status : 0,
                 res ? res->body.substr(0, 300).c_str() : "no answer");
    return nullptr;
  }
  return json::parse(res->body);
}

const char* kAplusB =
    "#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << '\\n'; "
    "}\n";

}  // namespace

int main(int argc, char** argv) {
  const size_t runs = argc > 1 ? std::stoul(argv[1]) : 100;
  codecanvas::testing::ServerProcess server(
      SERVER_PATH, {"--slots", "2", "--queue", "64", "--uid-base", "60700"});
  if (server.port() == 0) {
    std::fprintf(stderr, "http-bench: the server did not start:\n%s\n", server.log().c_str());
    return 1;
  }
  httplib::Client cli("127.0.0.1", server.port());
  cli.set_read_timeout(300, 0);
  cli.set_keep_alive(true);
  cli.set_tcp_nodelay(true);
  std::printf("codecanvas HTTP benchmark, %zu runs per latency figure, server on port %d\n\n", runs,
              server.port());

  // 1. python3 hello: service vs bare, interleaved in blocks so drift hits both alike.
  const json hello = {{"language", "python3"}, {"source", "print(1)"}};
  for (int i = 0; i < 5; ++i) post(cli, "/api/v1/run", hello);  // warm-up
  std::vector<double> api_ms, bare_ms;
  for (size_t done = 0; done < runs; done += 10) {
    for (int i = 0; i < 10; ++i) {
      double ms = 0;
      json j = post(cli, "/api/v1/run", hello, &ms);
      if (j.is_null() || j["stdout"] != "1\n") return 1;
      api_ms.push_back(ms);
    }
    auto bare = bareRuns(10, "/usr/bin/python3 -c 'print(1)'");
    if (bare.empty()) return 1;
    bare_ms.insert(bare_ms.end(), bare.begin(), bare.end());
  }
  const double api50 = quantile(api_ms, 0.5), bare50 = quantile(bare_ms, 0.5);
  std::printf("1. python3 hello world                       p50 ms    p90 ms\n");
  std::printf("   POST /api/v1/run (client to answer)     %8.2f  %8.2f\n", api50,
              quantile(api_ms, 0.9));
  std::printf("   bare python3 -c 'print(1)'              %8.2f  %8.2f\n", bare50,
              quantile(bare_ms, 0.9));
  std::printf("   difference                              %+8.2f ms  (target: <= +2 ms)\n\n",
              api50 - bare50);

  // 2. The judge: 100 A+B tests against g++ + 100 bare runs.
  char dir[] = "/tmp/codecanvas-bench-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return 1;
  const std::string d = dir;
  const std::string source = std::string(kAplusB) + "// " + std::to_string(::getpid()) + "\n";
  std::ofstream(d + "/main.cpp") << source;
  std::ofstream(d + "/in.txt") << "20 22\n";
  const auto tc = Clock::now();
  const int compiled = std::system(
      ("g++ -O2 -std=gnu++17 -pipe -static -o " + d + "/main " + d + "/main.cpp").c_str());
  const double compile_ms = msSince(tc);
  auto bare_tests = bareRuns(100, "--stdin " + d + "/in.txt " + d + "/main");
  std::error_code ec;
  std::filesystem::remove_all(d, ec);
  if (compiled != 0 || bare_tests.empty()) return 1;
  double bare_tests_ms = 0;
  for (double v : bare_tests) bare_tests_ms += v;
  json tests = json::array();
  for (int i = 0; i < 100; ++i)
    tests.push_back({{"stdin", std::to_string(i) + " " + std::to_string(2 * i) + "\n"},
                     {"expected_output", std::to_string(3 * i) + "\n"}});
  const json judge = {
      {"language", "c++"}, {"source", source}, {"tests", tests}, {"checker", {{"type", "tokens"}}}};
  double judge_ms = 0, cached_ms = 0;
  json first = post(cli, "/api/v1/judge", judge, &judge_ms);
  json second = post(cli, "/api/v1/judge", judge, &cached_ms);
  if (first.is_null() || second.is_null() || first["verdict"] != "accepted") return 1;
  const double service_compile = first["compile"]["wall_ms"].get<double>();
  std::printf("2. C++ A+B, 100 tests                                    ms\n");
  std::printf("   bare g++ (host)                                 %8.1f\n", compile_ms);
  std::printf("   100 bare runs (sum)                             %8.1f\n", bare_tests_ms);
  std::printf("   bare total                                      %8.1f\n",
              compile_ms + bare_tests_ms);
  std::printf(
      "   POST /api/v1/judge, first                       %8.1f  (compile in the slot %.1f)\n",
      judge_ms, service_compile);
  std::printf("   target: compile + 100 x 1 ms                    %8.1f\n", service_compile + 100);
  std::printf("   judge minus its compile, per test               %8.2f\n",
              (judge_ms - service_compile) / 100);
  std::printf("   POST /api/v1/judge, identical again             %8.1f  (compile cached: %s)\n\n",
              cached_ms, second["compile"]["cached"].get<bool>() ? "yes" : "NO");

  // 3. Throughput with 2 slots: 4 clients for a few seconds each.
  auto throughput = [&](const json& request, const char* name) {
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> ok{0}, failed{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&] {
        httplib::Client own("127.0.0.1", server.port());
        own.set_read_timeout(60, 0);
        own.set_keep_alive(true);
        own.set_tcp_nodelay(true);
        while (!stop) {
          auto res = own.Post("/api/v1/run", request.dump(), "application/json");
          (res && res->status == 200 ? ok : failed)++;
        }
      });
    }
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    stop = true;
    for (auto& t : clients) t.join();
    const double s = msSince(t0) / 1000.0;
    std::printf("   %-38s %8.1f req/s  (%llu ok, %llu failed)\n", name, static_cast<double>(ok) / s,
                static_cast<unsigned long long>(ok.load()),
                static_cast<unsigned long long>(failed.load()));
  };
  std::printf("3. throughput, 2 slots, 4 clients, 3 s each\n");
  const json c_hello = {{"language", "c"},
                        {"source", "#include <stdio.h>\nint main(void) { puts(\"hi\"); }"}};
  post(cli, "/api/v1/run", c_hello);  // compile once; the rest come from the cache
  throughput(hello, "python3 print(1)");
  throughput(c_hello, "C hello world (compile cached)");

  std::printf("\n");
  return server.terminate() == 0 ? 0 : 1;
}
