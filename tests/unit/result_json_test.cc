#include "jobs/result_json.h"

#include <gtest/gtest.h>

namespace codecanvas::jobs {
using namespace codecanvas::sandbox;
namespace {

TEST(ResultJson, HasTheApiFields) {
  RunResult r;
  r.status = RunStatus::kOk;
  r.exit_code = 0;
  r.time_ms = 1.23456;
  r.wall_ms = 2.5;
  r.memory_kb = 1500;
  r.stdout_data = "hello\n";
  r.cpu_source = Source::kCgroupV1;
  auto j = resultToJson(r);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_TRUE(j["signal"].is_null());
  EXPECT_DOUBLE_EQ(j["time_ms"].get<double>(), 1.235);
  EXPECT_EQ(j["memory_kb"], 1500);
  EXPECT_EQ(j["stdout"], "hello\n");
  EXPECT_EQ(j["stderr"], "");
  EXPECT_FALSE(j["stdout_truncated"].get<bool>());
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_EQ(j["measured"]["cpu"], "cgroup v1");
  EXPECT_EQ(j["limits"]["cpu_ms"], 2000);
  EXPECT_FALSE(j.contains("failed_step"));
}

TEST(ResultJson, AShellStatusIsTheSignalPlus128ElseTheExitCode) {
  RunResult r;
  EXPECT_EQ(shellStatus(r, 1), 1) << "neither: the caller's default";
  r.exit_code = 3;
  EXPECT_EQ(shellStatus(r, 1), 3);
  r.exit_code.reset();
  r.signal = 9;
  EXPECT_EQ(shellStatus(r, 0), 137);
  JobOutcome o;
  EXPECT_FALSE(compileFailed(o)) << "nothing to compile";
  o.compile = RunResult{};
  o.compile->status = RunStatus::kRuntimeError;
  EXPECT_TRUE(compileFailed(o));
  o.compile->status = RunStatus::kOk;
  EXPECT_FALSE(compileFailed(o));
}

TEST(ResultJson, UnmeasuredFiguresAreNull) {
  RunResult r;
  r.error = "could not start the program: execve: ENOENT (No such file or directory)";
  r.failed_step = "execve";
  r.failed_errno = 2;
  auto j = resultToJson(r);
  EXPECT_EQ(j["status"], "internal_error");
  EXPECT_TRUE(j["time_ms"].is_null());
  EXPECT_TRUE(j["memory_kb"].is_null());
  EXPECT_TRUE(j["exit_code"].is_null());
  EXPECT_EQ(j["failed_step"], "execve");
  EXPECT_EQ(j["errno"], 2);
}

TEST(ResultJson, AChunkEndsBeforeACharacterThePipeCutInTwo) {
  const std::string euro = "\xE2\x82\xAC";      // 3 bytes
  const std::string grin = "\xF0\x9F\x98\x80";  // 4 bytes
  EXPECT_EQ(completeUtf8Prefix(""), 0u);
  EXPECT_EQ(completeUtf8Prefix("abc"), 3u);
  EXPECT_EQ(completeUtf8Prefix("a" + euro), 4u);
  EXPECT_EQ(completeUtf8Prefix("a" + euro.substr(0, 1)), 1u);
  EXPECT_EQ(completeUtf8Prefix("a" + euro.substr(0, 2)), 1u);
  EXPECT_EQ(completeUtf8Prefix("ab" + grin.substr(0, 3)), 2u);
  EXPECT_EQ(completeUtf8Prefix(grin), 4u);
  EXPECT_EQ(completeUtf8Prefix("\xC3"), 0u);
  // Invalid bytes do not wait: a stray continuation byte or 0xFF goes out (as U+FFFD).
  EXPECT_EQ(completeUtf8Prefix("a\x80"), 2u);
  EXPECT_EQ(completeUtf8Prefix("a\xFF"), 2u);
  EXPECT_EQ(completeUtf8Prefix("\x80\x80\x80\x80"), 4u);
}

TEST(ResultJson, InvalidUtf8IsReplacedNotRejected) {
  RunResult r;
  r.stdout_data = std::string("ok\xff\xfe", 4) + std::string("\0z", 2);
  auto text = resultToJson(r).dump();  // must not throw
  auto back = nlohmann::json::parse(text);
  EXPECT_EQ(back["stdout"], std::string("ok\xEF\xBF\xBD\xEF\xBF\xBD") + std::string("\0z", 2));
}

}  // namespace
}  // namespace codecanvas::jobs
