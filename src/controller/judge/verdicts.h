// The judge's decisions, all of them, as pure functions: what a test's run earns, and
// what a whole submission earns from its compile step and its tests. The pool calls
// testVerdict as each run ends (JobPlan::verdict); the HTTP API calls submissionVerdict on
// the job's outcome.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "judge/checker.h"
#include "sandbox/run_types.h"

namespace codecanvas::judge {

inline constexpr std::string_view kAccepted = "accepted";
// A test a judge program gave points for (testlib's exit code 7): it passes, like
// "accepted", and its result carries the points.
inline constexpr std::string_view kPoints = "points";
// The judge itself failed (an interactor or checker that said so, crashed, hit its own
// limits or did not compile): never blamed on the user.
inline constexpr std::string_view kJudgeFailed = "internal_error";

bool passes(std::string_view verdict);

// One test: the run's own failing status ("time_limit", "runtime_error", ...) when it did
// not end cleanly, else the checker's word on its whole stdout: "accepted" or
// "wrong_answer".
std::string testVerdict(const Checker& checker, std::string_view expected,
                        const sandbox::RunResult& run);

// What a judge program of the testlib conventions says by its exit code: 0 accepted,
// 1 wrong_answer, 2 presentation_error (testlib's end of input and "dirt" too; 4 and 8 where
// a build keeps them apart), 7 points; 3 (its own failure), any other code, a signal or a
// limit of its own: internal_error.
std::string judgeProgramVerdict(const sandbox::RunResult& program);

// The points of a judge program that exited with 7: the number that follows "points " at
// the start of its stderr (testlib's quitp), or nothing.
std::optional<double> judgeProgramPoints(const sandbox::RunResult& program);

// An interactive test, in this order: a failure of the interactor itself (exit code 3, any
// code testlib does not use, its own limits, a signal other than SIGPIPE) is
// internal_error, whatever the solution did; then the solution's own limits (time, wall
// time, memory, output); then a crash of the solution (runtime_error, syscall_blocked),
// except a SIGPIPE after the interactor exited with 0, which takes the interactor's
// verdict; then an interactor killed by SIGPIPE (the solution ended without reading what
// it was told) is wrong_answer; then the interactor's exit code (judgeProgramVerdict).
std::string interactiveVerdict(const sandbox::RunResult& solution,
                               const sandbox::RunResult& interactor);

// A test judged by a checker program: the run's own failing status when it did not end
// cleanly (the checker did not run then), else the checker's exit code.
std::string checkerProgramVerdict(const sandbox::RunResult& run, const sandbox::RunResult* checker);

// The compile step's status: a compiler that exits non-zero is a "compile_error"; one
// stopped by a limit keeps that limit's name ("time_limit", ...); "ok" otherwise.
std::string compileStatus(const sandbox::RunResult& compile);

struct SubmissionVerdict {
  // The first test's verdict that does not pass; "compile_error" when the compile step
  // failed; "internal_error" when the judge's own program did not compile;
  // "job_limit_exceeded" when every test that ran passed but the job's budget stopped it
  // before the others; "points" when every test passed and one at least with points;
  // "accepted" otherwise.
  std::string verdict;
  // One per planned test: its verdict, or "skipped" for a test that did not run.
  std::vector<std::string> tests;
};

// `verdicts`: one per test that ran, in order (JobOutcome::verdicts); `stopped_by_budget`:
// the job's budget ended it (JobOutcome::stopped).
SubmissionVerdict submissionVerdict(bool compile_failed, size_t planned_tests,
                                    const std::vector<std::string>& verdicts,
                                    bool stopped_by_budget, bool judge_failed = false);

}  // namespace codecanvas::judge
