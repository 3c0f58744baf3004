// codecanvas-run end to end: the real binary, its JSON lines and its exit status.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

struct CliResult {
  int exit_code = -1;
  std::vector<nlohmann::json> lines;
  std::string raw;
};

// Runs codecanvas-run with a shell-quoted argument string; stderr goes to the test log.
CliResult runCli(const std::string& args) {
  CliResult r;
  const std::string cmd = std::string(CLI_PATH) + " --uid-base 60400 " + args;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.raw.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream in(r.raw);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) r.lines.push_back(nlohmann::json::parse(line, nullptr, false));
  return r;
}

std::string hostile(const std::string& name) {
  return std::string(HOSTILE_DIR) + "/" + name;
}

TEST(Cli, RunsAProgramAndPrintsJson) {
  CODECANVAS_REQUIRE_ROOT();
  auto r = runCli("--copy-in " + hostile("hello") + " -- ./hello");
  ASSERT_EQ(r.exit_code, 0) << r.raw;
  ASSERT_EQ(r.lines.size(), 1u) << r.raw;
  const auto& j = r.lines[0];
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["stdout"], "hello\n");
  for (const char* key : {"status", "exit_code", "signal", "time_ms", "wall_ms", "memory_kb",
                          "stdout", "stderr", "stdout_truncated", "stderr_truncated"})
    EXPECT_TRUE(j.contains(key)) << key;
}

// A directory, a device or a FIFO as stdin would hand the program a host object (a
// directory fd leads out of the chroot): refused before anything runs.
TEST(Cli, StdinMustBeARegularFile) {
  CODECANVAS_REQUIRE_ROOT();
  for (const char* path : {"/", "/dev/zero", "/proc/self"}) {
    auto r = runCli(std::string("--stdin ") + path + " --copy-in " + hostile("echo_stdin") +
                    " -- ./echo_stdin");
    EXPECT_EQ(r.exit_code, 2) << path << ": " << r.raw;
    EXPECT_TRUE(r.lines.empty()) << path << ": nothing may run: " << r.raw;
  }
}

TEST(Cli, RepeatReusesTheSlot) {
  CODECANVAS_REQUIRE_ROOT();
  auto r = runCli("--repeat 3 --copy-in " + hostile("boxfiles") + " -- ./boxfiles");
  ASSERT_EQ(r.exit_code, 0) << r.raw;
  ASSERT_EQ(r.lines.size(), 3u) << r.raw;
  for (const auto& j : r.lines) {
    EXPECT_EQ(j["status"], "ok");
    // Every run sees a fresh /box: only the copied program, never the last run's marker.
    EXPECT_NE(j["stdout"].get<std::string>().find("count 1\n"), std::string::npos) << j.dump();
  }
}

TEST(Cli, StdinFileAndLimits) {
  CODECANVAS_REQUIRE_ROOT();
  const std::string input = "/tmp/codecanvas-cli-stdin-" + std::to_string(::getpid());
  std::ofstream(input) << "line one\nline two\n";
  auto echo =
      runCli("--stdin " + input + " --copy-in " + hostile("echo_stdin") + " -- ./echo_stdin");
  std::remove(input.c_str());
  ASSERT_EQ(echo.lines.size(), 1u) << echo.raw;
  EXPECT_EQ(echo.lines[0]["stdout"], "line one\nline two\n");
  auto spin = runCli("--cpu-ms 200 --copy-in " + hostile("spin") + " -- ./spin");
  ASSERT_EQ(spin.exit_code, 0) << "a program hitting a limit is not a sandbox failure";
  ASSERT_EQ(spin.lines.size(), 1u) << spin.raw;
  EXPECT_EQ(spin.lines[0]["status"], "time_limit");
  EXPECT_EQ(spin.lines[0]["limits"]["cpu_ms"], 200);
}

TEST(Cli, MissingProgramIsReportedNotFatal) {
  CODECANVAS_REQUIRE_ROOT();
  auto r = runCli("-- /box/nothing-here");
  EXPECT_EQ(r.exit_code, 0) << r.raw;
  ASSERT_EQ(r.lines.size(), 1u) << r.raw;
  EXPECT_EQ(r.lines[0]["status"], "internal_error");
  EXPECT_EQ(r.lines[0]["failed_step"], "execve");
  EXPECT_EQ(r.lines[0]["errno"], ENOENT);
}

// Two instances on the same slot uids would share the per-uid process limit: the second
// one is refused while the first one's program runs.
TEST(Cli, SecondInstanceOnTheSameUidsIsRefused) {
  CODECANVAS_REQUIRE_ROOT();
  const std::string first = std::string(CLI_PATH) + " --uid-base 60400 --wall-ms 1500 --copy-in " +
                            hostile("sleeper") + " -- ./sleeper >/dev/null 2>&1";
  FILE* running = ::popen(first.c_str(), "r");
  ASSERT_NE(running, nullptr);
  CliResult second;
  for (int i = 0; i < 50; ++i) {  // until the first one's program runs
    ::usleep(50000);
    second = runCli("-- /bin/true 2>/dev/null");
    if (second.exit_code == 2) break;
  }
  ::pclose(running);
  EXPECT_EQ(second.exit_code, 2) << second.raw;
  EXPECT_TRUE(second.lines.empty()) << second.raw;
}

TEST(Cli, BadUsageExitsTwoWithAReason) {
  // No root needed: usage errors come before the sandbox.
  for (const char* args : {"--cpu-ms -5 -- /bin/true", "--cpu-ms abc -- /bin/true",
                           "--bogus 1 -- x", "--memory-kb 1", "", "--copy-in /nonexistent -- x"}) {
    auto r = runCli(std::string(args) + " 2>/dev/null");
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_TRUE(r.lines.empty()) << args;
  }
}

}  // namespace
