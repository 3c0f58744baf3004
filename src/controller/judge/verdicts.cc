#include "judge/verdicts.h"

namespace codecanvas::judge {

using sandbox::RunStatus;

std::string testVerdict(const Checker& checker, std::string_view expected,
                        const sandbox::RunResult& run) {
  if (run.status != RunStatus::kOk) return sandbox::statusName(run.status);
  return outputMatches(checker, expected, run.stdout_data) ? std::string(kAccepted)
                                                           : "wrong_answer";
}

std::string compileStatus(const sandbox::RunResult& compile) {
  return compile.status == RunStatus::kRuntimeError ? "compile_error"
                                                    : sandbox::statusName(compile.status);
}

SubmissionVerdict submissionVerdict(bool compile_failed, size_t planned_tests,
                                    const std::vector<std::string>& verdicts,
                                    bool stopped_by_budget) {
  SubmissionVerdict s;
  s.verdict = kAccepted;
  for (size_t i = 0; i < planned_tests; ++i) {
    const bool ran = !compile_failed && i < verdicts.size();
    s.tests.push_back(ran ? verdicts[i] : "skipped");
    if (ran && verdicts[i] != kAccepted && s.verdict == kAccepted) s.verdict = verdicts[i];
  }
  if (compile_failed) s.verdict = "compile_error";
  if (s.verdict == kAccepted && stopped_by_budget) s.verdict = "job_limit_exceeded";
  return s;
}

}  // namespace codecanvas::judge
