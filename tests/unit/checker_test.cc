#include "judge/checker.h"
#include "judge/verdicts.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "jobs/code_runner.h"

namespace codecanvas::judge {
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
  EXPECT_EQ(testVerdict(lines, test.expected_output, r), "accepted");
  r.stdout_data = "4\n";
  EXPECT_EQ(testVerdict(lines, test.expected_output, r), "wrong_answer");
  r.status = RunStatus::kTimeLimit;
  r.stdout_data = "3\n";
  EXPECT_EQ(testVerdict(lines, test.expected_output, r), "time_limit");
}

TEST(JudgeVerdictTest, CompileStatusNamesACompilerThatFailed) {
  RunResult c;
  c.status = RunStatus::kRuntimeError;
  EXPECT_EQ(compileStatus(c), "compile_error");
  c.status = RunStatus::kTimeLimit;
  EXPECT_EQ(compileStatus(c), "time_limit") << "a compiler stopped by a limit keeps its name";
  c.status = RunStatus::kOk;
  EXPECT_EQ(compileStatus(c), "ok");
}

TEST(JudgeVerdictTest, SubmissionTakesTheFirstFailingTest) {
  auto s = submissionVerdict(false, 4, {"accepted", "wrong_answer", "time_limit"}, false);
  EXPECT_EQ(s.verdict, "wrong_answer");
  EXPECT_EQ(s.tests,
            (std::vector<std::string>{"accepted", "wrong_answer", "time_limit", "skipped"}));
  s = submissionVerdict(false, 2, {"accepted", "accepted"}, false);
  EXPECT_EQ(s.verdict, "accepted");
  EXPECT_EQ(s.tests, (std::vector<std::string>{"accepted", "accepted"}));
}

TEST(JudgeVerdictTest, CompileErrorSkipsEveryTest) {
  auto s = submissionVerdict(true, 3, {}, false);
  EXPECT_EQ(s.verdict, "compile_error");
  EXPECT_EQ(s.tests, (std::vector<std::string>{"skipped", "skipped", "skipped"}));
}

TEST(JudgeVerdictTest, ABudgetStopAfterPassingTestsIsJobLimitExceeded) {
  auto s = submissionVerdict(false, 3, {"accepted"}, true);
  EXPECT_EQ(s.verdict, "job_limit_exceeded");
  EXPECT_EQ(s.tests, (std::vector<std::string>{"accepted", "skipped", "skipped"}));
  // A failure before the stop is the verdict: the budget did not decide it.
  s = submissionVerdict(false, 3, {"runtime_error"}, true);
  EXPECT_EQ(s.verdict, "runtime_error");
  // Every test ran and passed: the stop took nothing away.
  s = submissionVerdict(false, 0, {}, true);
  EXPECT_EQ(s.verdict, "job_limit_exceeded");
}

// A finished judge program: exit code `code`, or killed by `signal`.
RunResult program(std::optional<int> code, std::optional<int> signal = std::nullopt,
                  std::string stderr_data = "") {
  RunResult r;
  r.status = code == 0 ? RunStatus::kOk : RunStatus::kRuntimeError;
  r.exit_code = code;
  r.signal = signal;
  r.stderr_data = std::move(stderr_data);
  return r;
}

TEST(JudgeProgramVerdictTest, TestlibExitCodesMapToVerdicts) {
  EXPECT_EQ(judgeProgramVerdict(program(0)), "accepted");
  EXPECT_EQ(judgeProgramVerdict(program(1)), "wrong_answer");
  EXPECT_EQ(judgeProgramVerdict(program(2)), "presentation_error");
  EXPECT_EQ(judgeProgramVerdict(program(4)), "presentation_error") << "testlib's dirt";
  EXPECT_EQ(judgeProgramVerdict(program(8)), "presentation_error") << "unexpected eof";
  EXPECT_EQ(judgeProgramVerdict(program(7)), "points");
  EXPECT_EQ(judgeProgramVerdict(program(3)), "internal_error") << "the judge failed";
  EXPECT_EQ(judgeProgramVerdict(program(42)), "internal_error") << "no testlib code";
  EXPECT_EQ(judgeProgramVerdict(program(std::nullopt, 11)), "internal_error") << "it crashed";
  RunResult slow = program(std::nullopt, 9);
  slow.status = RunStatus::kTimeLimit;
  EXPECT_EQ(judgeProgramVerdict(slow), "internal_error") << "its own limit";
  EXPECT_TRUE(passes("accepted"));
  EXPECT_TRUE(passes("points"));
  EXPECT_FALSE(passes("presentation_error"));
}

TEST(JudgeProgramVerdictTest, PointsComeFromTheStartOfStderr) {
  EXPECT_EQ(judgeProgramPoints(program(7, std::nullopt, "points 0.5 half\n")), 0.5);
  EXPECT_EQ(judgeProgramPoints(program(7, std::nullopt, "points 12")), 12.0);
  EXPECT_FALSE(judgeProgramPoints(program(7, std::nullopt, "half a point")).has_value());
  EXPECT_FALSE(judgeProgramPoints(program(7, std::nullopt, "points nan")).has_value());
  EXPECT_FALSE(judgeProgramPoints(program(0, std::nullopt, "points 3")).has_value())
      << "only exit code 7 gives points";
}

TEST(JudgeProgramVerdictTest, InteractiveOrderJudgeFailureLimitsCrashThenTheInteractor) {
  RunResult ok = program(0);
  RunResult tle = program(std::nullopt, 9);
  tle.status = RunStatus::kTimeLimit;
  RunResult crash = program(std::nullopt, 11);
  RunResult sigpipe = program(std::nullopt, SIGPIPE);
  // The interactor failing is never the user's fault, whatever the solution did.
  EXPECT_EQ(interactiveVerdict(tle, program(3)), "internal_error");
  EXPECT_EQ(interactiveVerdict(crash, program(std::nullopt, 11)), "internal_error");
  // Then the solution's limits, before what the interactor concluded from them.
  EXPECT_EQ(interactiveVerdict(tle, program(2)), "time_limit");
  EXPECT_EQ(interactiveVerdict(tle, program(0)), "time_limit");
  // Then a crash of the solution; SIGPIPE after an accepting interactor is no crash.
  EXPECT_EQ(interactiveVerdict(crash, program(0)), "runtime_error");
  EXPECT_EQ(interactiveVerdict(crash, program(1)), "runtime_error");
  EXPECT_EQ(interactiveVerdict(sigpipe, program(0)), "accepted");
  EXPECT_EQ(interactiveVerdict(sigpipe, program(1)), "runtime_error");
  // An interactor that wrote into a pipe nobody read any more: the solution left early.
  EXPECT_EQ(interactiveVerdict(ok, program(std::nullopt, SIGPIPE)), "wrong_answer");
  EXPECT_EQ(interactiveVerdict(tle, program(std::nullopt, SIGPIPE)), "time_limit");
  // Then the interactor's word.
  EXPECT_EQ(interactiveVerdict(ok, program(0)), "accepted");
  EXPECT_EQ(interactiveVerdict(ok, program(1)), "wrong_answer");
  EXPECT_EQ(interactiveVerdict(ok, program(7, std::nullopt, "points 3")), "points");
}

TEST(JudgeProgramVerdictTest, ACheckerJudgesOnlyARunThatEndedCleanly) {
  RunResult ok = program(0);
  EXPECT_EQ(checkerProgramVerdict(ok, nullptr), "internal_error");
  RunResult checker = program(1);
  EXPECT_EQ(checkerProgramVerdict(ok, &checker), "wrong_answer");
  RunResult mle = program(std::nullopt, 9);
  mle.status = RunStatus::kMemoryLimit;
  EXPECT_EQ(checkerProgramVerdict(mle, nullptr), "memory_limit");
}

TEST(JudgeVerdictTest, PointsPassAndAJudgeThatDidNotCompileFailsTheSubmission) {
  auto s = submissionVerdict(false, 2, {"points", "accepted"}, false);
  EXPECT_EQ(s.verdict, "points");
  s = submissionVerdict(false, 2, {"points", "wrong_answer"}, false);
  EXPECT_EQ(s.verdict, "wrong_answer");
  s = submissionVerdict(false, 2, {}, false, /*judge_failed=*/true);
  EXPECT_EQ(s.verdict, "internal_error");
  EXPECT_EQ(s.tests, (std::vector<std::string>{"skipped", "skipped"}));
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

// A compiled language as a profile file would describe it.
LanguageProfile compiledC() {
  LanguageProfile lang;
  lang.name = "c";
  lang.version = "12";
  lang.source_file = "main.c";
  lang.run_argv = {"./main"};
  lang.compile = CompileSpec{{"cc", "main.c"}, {"main"}, {}};
  return lang;
}

TEST(CodeRunnerTest, ExtraFilesGoToBoxAndIntoTheCompileCacheKey) {
  LanguageProfile lang = compiledC();
  CodeRunner runner(Limits{});
  RunSpec spec;
  spec.language = &lang;
  spec.source = "#include \"a.h\"";
  const std::string plain_key = runner.planRun(spec).compile->cache_key;
  spec.files = {BoxFile{"a.h", "int x;", "", 0644}};
  const JobPlan plan = runner.planRun(spec);
  ASSERT_EQ(plan.files.size(), 2u);
  EXPECT_EQ(plan.files[0].name, "main.c");
  EXPECT_EQ(plan.files[1].name, "a.h");
  EXPECT_EQ(plan.files[1].content, "int x;");
  const std::string key = plan.compile->cache_key;
  EXPECT_NE(key, plain_key) << "a header changes the build";
  EXPECT_EQ(runner.planRun(spec).compile->cache_key, key) << "the same files, the same key";
  spec.files[0].content = "int y;";
  EXPECT_NE(runner.planRun(spec).compile->cache_key, key) << "another header, another key";
  spec.files[0] = BoxFile{"a.hint x;", "", "", 0644};
  EXPECT_NE(runner.planRun(spec).compile->cache_key, key) << "name and content cannot blur";
}

TEST(CodeRunnerTest, AnInteractorRunsBesideEachTestWithTheTestsFilesAndTheOperatorsLimits) {
  LanguageProfile lang = compiledC();
  lang.max_limits.wall_ms = 30000;
  Limits op;
  op.wall_ms = 20000;
  CodeRunner runner(op);
  JudgeSpec spec;
  spec.run.language = &lang;
  spec.run.source = "int main(){}";
  spec.tests = {{"5\n", "5\n"}, {"7\n", "7\n"}};
  JudgeProgram prog;
  prog.run.language = &lang;
  prog.run.source = "#include \"testlib.h\"";
  prog.run.files = {BoxFile{"testlib.h", "//", "", 0644}};
  spec.program = prog;
  const JobPlan plan = runner.planJudge(spec);
  ASSERT_TRUE(plan.companion.has_value());
  EXPECT_EQ(plan.companion->mode, CompanionPlan::Mode::kInteractor);
  ASSERT_EQ(plan.companion->files.size(), 2u);
  EXPECT_EQ(plan.companion->files[1].name, "testlib.h");
  ASSERT_TRUE(plan.companion->compile.has_value());
  EXPECT_EQ(plan.runs.at(1).stdin_data, "") << "the solution reads the interactor, not the test";
  const RunRequest second = plan.companion->request(1, nullptr);
  EXPECT_EQ(second.argv,
            (std::vector<std::string>{"./main", "test-2.in", "/tmp/tout", "test-2.ans"}));
  ASSERT_EQ(second.files.size(), 2u);
  EXPECT_EQ(second.files[0].content, "7\n");
  EXPECT_EQ(second.limits.wall_ms, 20000u) << "the operator's, not the user's";

  spec.program->role = JudgeProgram::Role::kChecker;
  const JobPlan checked = runner.planJudge(spec);
  EXPECT_EQ(checked.runs.at(1).stdin_data, "7\n");
  RunResult run;
  run.stdout_data = "8\n";
  const RunRequest check = checked.companion->request(1, &run);
  EXPECT_EQ(check.argv,
            (std::vector<std::string>{"./main", "test-2.in", "test-2.out", "test-2.ans"}));
  ASSERT_EQ(check.files.size(), 3u);
  EXPECT_EQ(check.files[2].content, "8\n") << "what the solution wrote";
}

}  // namespace
}  // namespace codecanvas::judge
