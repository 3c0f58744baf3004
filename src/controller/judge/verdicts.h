// The judge's decisions, all of them, as pure functions: what a test's run earns, and
// what a whole submission earns from its compile step and its tests. The pool calls
// testVerdict as each run ends (JobPlan::verdict); the HTTP API calls submissionVerdict on
// the job's outcome.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "judge/checker.h"
#include "sandbox/run_types.h"

namespace codecanvas::judge {

inline constexpr std::string_view kAccepted = "accepted";

// One test: the run's own failing status ("time_limit", "runtime_error", ...) when it did
// not end cleanly, else the checker's word on its whole stdout: "accepted" or
// "wrong_answer".
std::string testVerdict(const Checker& checker, std::string_view expected,
                        const sandbox::RunResult& run);

// The compile step's status: a compiler that exits non-zero is a "compile_error"; one
// stopped by a limit keeps that limit's name ("time_limit", ...); "ok" otherwise.
std::string compileStatus(const sandbox::RunResult& compile);

struct SubmissionVerdict {
  // The first test's verdict that is not accepted; "compile_error" when the compile step
  // failed; "job_limit_exceeded" when every test that ran passed but the job's budget
  // stopped it before the others; "accepted" otherwise.
  std::string verdict;
  // One per planned test: its verdict, or "skipped" for a test that did not run.
  std::vector<std::string> tests;
};

// `verdicts`: one per test that ran, in order (JobOutcome::verdicts); `stopped_by_budget`:
// the job's budget ended it (JobOutcome::stopped).
SubmissionVerdict submissionVerdict(bool compile_failed, size_t planned_tests,
                                    const std::vector<std::string>& verdicts,
                                    bool stopped_by_budget);

}  // namespace codecanvas::judge
