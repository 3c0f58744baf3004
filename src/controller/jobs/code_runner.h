// The CodeRunner turns what an API request asks (a language, a source, inputs, limits)
// into a job for the slot pool, using the language's profile: the source goes to /box
// under the profile's file name, the compile step (the pre-run hook) runs in the same
// locked slot with the profile's compile limits and the compile cache, then the runs.
// Server side; planning is pure (the caller submits the plan to the SlotPool).
#pragma once

#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobs/compile_cache.h"
#include "jobs/job.h"
#include "jobs/language_profile.h"
#include "judge/checker.h"

namespace codecanvas::jobs {

// Limits as a request gives them; absent ones take the language's defaults.
struct RequestedLimits {
  std::optional<uint64_t> cpu_ms, wall_ms, memory_kb, output_kb, processes;
};

// The limits a step runs with: the request's value or the language's default, clamped to
// the language's maximum and to the operator's maximum.
sandbox::Limits resolveLimits(const LanguageProfile& language, const RequestedLimits& requested,
                              const sandbox::Limits& operator_max);

struct RunSpec {
  const LanguageProfile* language = nullptr;
  std::string source;
  std::string stdin_data;
  std::vector<std::string> args;
  // More files for /box beside the source (plain names, not the source's), e.g. headers
  // or data a program of several files needs; they are part of the compile cache key.
  std::vector<sandbox::BoxFile> files;
  RequestedLimits limits;
  // Who may share compiled artifacts with this request (the API key's name; "" without
  // keys): requests of different keys never see each other's compile cache entries.
  std::string cache_scope;
  // Set: the files the program writes under /box/<dir>/ come back (JobPlan::outputs).
  std::optional<OutputCollection> outputs;
};

struct JudgeTest {
  std::string stdin_data;
  std::string expected_output;
};

// The judge's own program, in the conventions of testlib (docs/api.md): run in a second
// slot, compiled and cached like the solution, with the operator's limits. For test N the
// test's input and expected output are the files test-N.in and test-N.ans in its /box.
//   interactor  `program test-N.in /tmp/tout test-N.ans`, beside the solution, its stdout
//               the solution's stdin and the other way round;
//   checker     `program test-N.in test-N.out test-N.ans` after the solution's run ended
//               cleanly, test-N.out what the solution wrote.
struct JudgeProgram {
  enum class Role { kInteractor, kChecker };
  Role role = Role::kInteractor;
  RunSpec run;  // language, source and cache_scope; its limits are the operator's
};

struct JudgeSpec {
  RunSpec run;  // run.stdin_data is unused: every test brings its own
  std::vector<JudgeTest> tests;
  judge::Checker checker;  // unused with a program
  std::optional<JudgeProgram> program;
  bool stop_on_first_failure = true;
  JobBudget budget;  // what the request asks for; 0: the operator's maximum
};

// JobPlan::verdict for a judge: judge::testVerdict on the spec's tests. Pure; the plan
// owns copies of the checker and the expected outputs.
std::function<std::string(size_t, const sandbox::RunResult&, const sandbox::RunResult*)>
judgeVerdicts(const JudgeSpec& spec);

// The budget a job runs with: each asked figure (0: none asked) clamped to the operator's
// maximum (0: none).
JobBudget resolveBudget(const JobBudget& asked, const JobBudget& operator_max);

class CodeRunner {
 public:
  CodeRunner(sandbox::Limits operator_max, JobBudget job_max = {})
      : operator_max_(operator_max), job_max_(job_max) {}

  JobPlan planRun(const RunSpec& spec) const;
  JobPlan planJudge(const JudgeSpec& spec) const;

  sandbox::Limits limitsFor(const RunSpec& spec) const {
    return resolveLimits(*spec.language, spec.limits, operator_max_);
  }
  // A judge program's limits: the operator's maxima, within its language's.
  sandbox::Limits judgeProgramLimits(const LanguageProfile& language) const;

 private:
  sandbox::RunRequest runStep(const RunSpec& spec, const sandbox::Limits& limits) const;
  std::optional<CompileStep> compileStep(const RunSpec& spec) const;
  CompanionPlan judgeCompanion(const JudgeSpec& spec) const;

  sandbox::Limits operator_max_;
  JobBudget job_max_;
};

}  // namespace codecanvas::jobs
