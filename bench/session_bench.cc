// Live-session benchmark: how long a line takes from the client to a program in a slot and
// back (client → WebSocket → stdin pipe → program → stdout pipe → WebSocket → client),
// beside the same echo program run bare on the host with two pipes (fork + exec, no
// sandbox, no network) in the same run. Prints the round trip's median, p90 and p99 for
// both and their ratio. The program flushes each line, so the figures bound how long
// output takes to reach a session's client after the program wrote it (issue: within
// 20 ms).
//
// Starts its own codecanvas-server (1 slot, uids from 60730). As root:
//   build/bench/codecanvas-session-bench [ROUNDS]     (default 300)
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http_client.h"
#include "server_process.h"
#include "ws_client.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* kEcho = R"c(#include <stdio.h>
int main(void) {
  char line[4096];
  puts("ready");
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    fputs(line, stdout);
    fflush(stdout);
  }
  return 0;
}
)c";

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

void print(const char* what, const std::vector<double>& v) {
  std::printf("  %-34s p50 %7.3f ms   p90 %7.3f ms   p99 %7.3f ms   max %7.3f ms\n", what,
              quantile(v, 0.5), quantile(v, 0.9), quantile(v, 0.99), quantile(v, 1.0));
}

// The baseline: the echo program compiled on the host, run with two pipes.
std::vector<double> bare(int rounds) {
  const std::string dir = "/tmp/codecanvas-session-bench-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/echo.c") << kEcho;
  const std::string exe = dir + "/echo";
  if (std::system(("cc -O2 -o " + exe + " " + dir + "/echo.c").c_str()) != 0) return {};
  int in[2], out[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::close(in[1]);
    ::close(out[0]);
    ::execl(exe.c_str(), exe.c_str(), nullptr);
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  auto readLine = [&] {
    std::string line;
    char c = 0;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    return line;
  };
  readLine();  // "ready"
  std::vector<double> times;
  for (int i = 0; i < rounds; ++i) {
    const std::string line = "ping " + std::to_string(i) + "\n";
    const auto t0 = Clock::now();
    if (::write(in[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) break;
    if (readLine() + "\n" != line) break;
    times.push_back(ms(Clock::now() - t0));
  }
  ::close(in[1]);
  ::waitpid(pid, nullptr, 0);
  ::close(out[0]);
  std::filesystem::remove_all(dir);
  return times;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(10, std::atoi(argv[1])) : 300;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "codecanvas-session-bench: needs root (it starts a server)\n");
    return 1;
  }
  codecanvas::testing::ServerProcess server(
      SERVER_PATH, {"--slots", "1", "--uid-base", "60730", "--session-idle-s", "120"});
  if (server.port() == 0) {
    std::fprintf(stderr, "codecanvas-session-bench: the server did not start:\n%s\n",
                 server.log().c_str());
    return 1;
  }
  const std::vector<double> baseline = bare(rounds);
  if (baseline.size() != static_cast<size_t>(rounds)) {
    std::fprintf(stderr, "codecanvas-session-bench: the bare echo failed\n");
    return 1;
  }

  codecanvas::testing::WsClient c;
  if (!c.connect(server.port())) {
    std::fprintf(stderr, "codecanvas-session-bench: no session: %d %s\n", c.refused,
                 c.refusal_body.c_str());
    return 1;
  }
  const auto t_start = Clock::now();
  c.send({{"language", "c"}, {"source", kEcho}, {"limits", {{"wall_ms", 120000}}}});
  if (!c.awaitStdout("ready\n")) {
    std::fprintf(stderr, "codecanvas-session-bench: the program did not start:\n%s\n",
                 c.dump().c_str());
    return 1;
  }
  const double start_ms = ms(Clock::now() - t_start);
  std::vector<double> times;
  for (int i = 0; i < rounds; ++i) {
    const std::string line = "ping " + std::to_string(i) + "\n";
    const std::string want = c.output["stdout"] + line;
    const auto t0 = Clock::now();
    c.stdin(line);
    if (!c.awaitStdout(want)) {
      std::fprintf(stderr, "codecanvas-session-bench: round %d got no echo\n", i);
      return 1;
    }
    times.push_back(ms(Clock::now() - t0));
  }
  c.send({{"type", "eof"}});
  auto end = c.awaitEnd();
  const bool ok = end && (*end)["type"] == "result" && (*end)["result"]["status"] == "ok";

  std::printf("live session round trip, %d lines of a C echo program (1 slot):\n", rounds);
  print("bare pipes on the host (baseline)", baseline);
  print("session (WebSocket + slot)", times);
  std::printf("  ratio session/bare p50 %.1fx, p99 %.1fx\n",
              quantile(times, 0.5) / quantile(baseline, 0.5),
              quantile(times, 0.99) / quantile(baseline, 0.99));
  std::printf("  first message to the program's first line (compile + start): %.0f ms\n", start_ms);
  std::printf("  result: %s\n", ok ? "ok" : "MISSING OR NOT OK");
  return ok ? 0 : 1;
}
