#include "judge/checker.h"

#include <gtest/gtest.h>

#include "jobs/code_runner.h"

namespace codecanvas::judge {
using namespace codecanvas::cgroup;
using namespace codecanvas::sandbox;
using namespace codecanvas::jobs;
namespace {

bool match(CheckerType t, const char* expected, const char* actual, double eps = 1e-6) {
  return outputMatches(Checker{t, eps}, expected, actual);
}

TEST(CheckerTest, ExactComparesBytes) {
  EXPECT_TRUE(match(CheckerType::kExact, "3\n", "3\n"));
  EXPECT_FALSE(match(CheckerType::kExact, "3\n", "3"));
  EXPECT_FALSE(match(CheckerType::kExact, "3\n", "3 \n"));
}

TEST(CheckerTest, LinesIgnoresTrailingSpaceAndTrailingBlankLines) {
  EXPECT_TRUE(match(CheckerType::kLines, "1 2\n3\n", "1 2  \n3\n\n\n"));
  EXPECT_TRUE(match(CheckerType::kLines, "a\n", "a"));
  EXPECT_TRUE(match(CheckerType::kLines, "a\r\nb\r\n", "a\nb\n"));
  EXPECT_FALSE(match(CheckerType::kLines, "1 2\n", "1  2\n"));     // inner spacing counts
  EXPECT_FALSE(match(CheckerType::kLines, "a\nb\n", "a\n\nb\n"));  // inner blank lines count
  EXPECT_FALSE(match(CheckerType::kLines, " a\n", "a\n"));         // leading space counts
  EXPECT_TRUE(match(CheckerType::kLines, "", "\n\n"));
}

TEST(CheckerTest, TokensIgnoresAllWhitespace) {
  EXPECT_TRUE(match(CheckerType::kTokens, "1 2 3", "1\n2\t\t3\n"));
  EXPECT_FALSE(match(CheckerType::kTokens, "1 2 3", "1 2"));
  EXPECT_FALSE(match(CheckerType::kTokens, "1 2", "12"));
  EXPECT_TRUE(match(CheckerType::kTokens, "", "  \n"));
}

TEST(CheckerTest, FloatAcceptsNumbersWithinEpsilon) {
  EXPECT_TRUE(match(CheckerType::kFloat, "3.14159", "3.1416", 1e-4));
  EXPECT_FALSE(match(CheckerType::kFloat, "3.14159", "3.15", 1e-4));
  // Relative: a large expected value tolerates a proportionally larger difference.
  EXPECT_TRUE(match(CheckerType::kFloat, "1000000", "1000000.5", 1e-6));
  EXPECT_FALSE(match(CheckerType::kFloat, "1", "1.5", 1e-6));
  EXPECT_TRUE(match(CheckerType::kFloat, "1e3 abc", "1000.0000001 abc", 1e-6));
  EXPECT_FALSE(match(CheckerType::kFloat, "1 abc", "1 abd"));
  EXPECT_FALSE(match(CheckerType::kFloat, "1 2", "1"));
  EXPECT_FALSE(match(CheckerType::kFloat, "nan", "nan0"));
  EXPECT_FALSE(match(CheckerType::kFloat, "1", "nan"));
  EXPECT_TRUE(match(CheckerType::kFloat, "inf", "inf"));
  EXPECT_FALSE(match(CheckerType::kFloat, "1", "inf"));
}

TEST(CheckerTest, NamesRoundTrip) {
  for (auto t :
       {CheckerType::kExact, CheckerType::kLines, CheckerType::kTokens, CheckerType::kFloat})
    EXPECT_EQ(checkerFromName(checkerName(t)), t);
  EXPECT_FALSE(checkerFromName("diff"));
}

TEST(CheckerTest, TestVerdictPrefersTheRunsFailure) {
  const Checker lines{};
  const JudgeTest test{"1 2\n", "3\n"};
  RunResult r;
  r.status = RunStatus::kOk;
  r.stdout_data = "3\n";
  EXPECT_EQ(testVerdict(lines, test, r), "accepted");
  r.stdout_data = "4\n";
  EXPECT_EQ(testVerdict(lines, test, r), "wrong_answer");
  r.status = RunStatus::kTimeLimit;
  r.stdout_data = "3\n";
  EXPECT_EQ(testVerdict(lines, test, r), "time_limit");
}

TEST(ResolveLimitsTest, DefaultsThenTheLowerOfTheTwoMaximums) {
  LanguageProfile lang;
  lang.default_limits.cpu_ms = 1000;
  lang.max_limits.cpu_ms = 5000;
  lang.max_limits.memory_kb = 1 << 20;
  lang.default_limits.memory_kb = 1 << 18;
  Limits op;
  op.cpu_ms = 3000;
  op.memory_kb = 1 << 22;
  RequestedLimits req;
  EXPECT_EQ(resolveLimits(lang, req, op).cpu_ms, 1000u);
  req.cpu_ms = 2000;
  EXPECT_EQ(resolveLimits(lang, req, op).cpu_ms, 2000u);
  req.cpu_ms = 1000000;
  EXPECT_EQ(resolveLimits(lang, req, op).cpu_ms, 3000u);  // the operator's ceiling
  req.memory_kb = 1ULL << 30;
  EXPECT_EQ(resolveLimits(lang, req, op).memory_kb, 1u << 20);  // the language's ceiling
}

}  // namespace
}  // namespace codecanvas::judge
