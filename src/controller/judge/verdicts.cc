#include "judge/verdicts.h"

#include <signal.h>

#include <cmath>
#include <cstdlib>

namespace codecanvas::judge {

using sandbox::RunStatus;

bool passes(std::string_view verdict) {
  return verdict == kAccepted || verdict == kPoints;
}

std::string judgeProgramVerdict(const sandbox::RunResult& program) {
  if (program.status != RunStatus::kOk && program.status != RunStatus::kRuntimeError)
    return std::string(kJudgeFailed);  // its own limit, a blocked call, killed
  if (!program.exit_code) return std::string(kJudgeFailed);  // a signal
  switch (*program.exit_code) {
    case 0:
      return std::string(kAccepted);
    case 1:
      return "wrong_answer";
    case 2:
    case 4:
    case 8:
      return "presentation_error";
    case 7:
      return std::string(kPoints);
    default:
      return std::string(kJudgeFailed);
  }
}

std::optional<double> judgeProgramPoints(const sandbox::RunResult& program) {
  if (program.exit_code != 7) return std::nullopt;
  constexpr std::string_view kPrefix = "points ";
  const std::string& e = program.stderr_data;
  if (e.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  const std::string number = e.substr(kPrefix.size(), 64);
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (end == number.c_str() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string interactiveVerdict(const sandbox::RunResult& solution,
                               const sandbox::RunResult& interactor) {
  // An interactor killed by SIGPIPE wrote to a solution that had stopped reading (ended,
  // or was killed by a limit): the solution's doing, not a failure of the judge.
  const bool interactor_sigpipe = interactor.signal == SIGPIPE;
  if (judgeProgramVerdict(interactor) == kJudgeFailed && !interactor_sigpipe)
    return std::string(kJudgeFailed);
  switch (solution.status) {
    case RunStatus::kTimeLimit:
    case RunStatus::kWallTimeLimit:
    case RunStatus::kMemoryLimit:
    case RunStatus::kOutputLimit:
      return sandbox::statusName(solution.status);
    case RunStatus::kRuntimeError:
    case RunStatus::kSyscallBlocked:
    case RunStatus::kKilled:
    case RunStatus::kInternalError: {
      // Writing on after the interactor had its answer and left is no fault.
      const bool sigpipe = solution.signal == SIGPIPE;
      if (sigpipe && interactor.status == RunStatus::kOk && interactor.exit_code == 0)
        return judgeProgramVerdict(interactor);
      return sandbox::statusName(solution.status);
    }
    case RunStatus::kOk:
      break;
  }
  if (interactor_sigpipe) return "wrong_answer";  // it ended without reading its answer
  return judgeProgramVerdict(interactor);
}

std::string checkerProgramVerdict(const sandbox::RunResult& run,
                                  const sandbox::RunResult* checker) {
  if (run.status != RunStatus::kOk) return sandbox::statusName(run.status);
  if (checker == nullptr) return std::string(kJudgeFailed);
  return judgeProgramVerdict(*checker);
}

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
                                    bool stopped_by_budget, bool judge_failed) {
  SubmissionVerdict s;
  s.verdict = kAccepted;
  bool points = false;
  for (size_t i = 0; i < planned_tests; ++i) {
    const bool ran = !compile_failed && !judge_failed && i < verdicts.size();
    s.tests.push_back(ran ? verdicts[i] : "skipped");
    if (ran && !passes(verdicts[i]) && s.verdict == kAccepted) s.verdict = verdicts[i];
    points = points || (ran && verdicts[i] == kPoints);
  }
  if (compile_failed) {
    s.verdict = "compile_error";
  } else if (judge_failed) {
    s.verdict = kJudgeFailed;
  } else if (s.verdict == kAccepted && stopped_by_budget) {
    s.verdict = "job_limit_exceeded";
  } else if (s.verdict == kAccepted && points) {
    s.verdict = kPoints;
  }
  return s;
}

}  // namespace codecanvas::judge
