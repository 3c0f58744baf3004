#include "jobs/code_runner.h"

#include <algorithm>

#include "judge/verdicts.h"

namespace codecanvas::jobs {

sandbox::Limits resolveLimits(const LanguageProfile& language, const RequestedLimits& requested,
                              const sandbox::Limits& operator_max) {
  sandbox::Limits l = language.default_limits;
  const sandbox::Limits& lang_max = language.max_limits;
  auto pick = [](std::optional<uint64_t> asked, uint64_t def, uint64_t max1, uint64_t max2) {
    return std::min({asked.value_or(def), max1, max2});
  };
  l.cpu_ms = pick(requested.cpu_ms, l.cpu_ms, lang_max.cpu_ms, operator_max.cpu_ms);
  l.wall_ms = pick(requested.wall_ms, l.wall_ms, lang_max.wall_ms, operator_max.wall_ms);
  l.memory_kb = pick(requested.memory_kb, l.memory_kb, lang_max.memory_kb, operator_max.memory_kb);
  l.output_kb = pick(requested.output_kb, l.output_kb, lang_max.output_kb, operator_max.output_kb);
  l.processes = pick(requested.processes, l.processes, lang_max.processes, operator_max.processes);
  return l;
}

std::function<std::string(size_t, const sandbox::RunResult&, const sandbox::RunResult*)>
judgeVerdicts(const JudgeSpec& spec) {
  using Role = JudgeProgram::Role;
  if (spec.program && spec.program->role == Role::kInteractor) {
    return [](size_t, const sandbox::RunResult& r, const sandbox::RunResult* interactor) {
      return interactor ? judge::interactiveVerdict(r, *interactor)
                        : std::string(judge::kJudgeFailed);
    };
  }
  if (spec.program) {
    return [](size_t, const sandbox::RunResult& r, const sandbox::RunResult* checker) {
      return judge::checkerProgramVerdict(r, checker);
    };
  }
  return [checker = spec.checker, tests = spec.tests](size_t i, const sandbox::RunResult& r,
                                                      const sandbox::RunResult*) {
    return judge::testVerdict(checker, tests.at(i).expected_output, r);
  };
}

JobBudget resolveBudget(const JobBudget& asked, const JobBudget& operator_max) {
  auto pick = [](uint64_t want, uint64_t max) {
    if (want == 0) return max;
    return max == 0 ? want : std::min(want, max);
  };
  return {pick(asked.wall_ms, operator_max.wall_ms), pick(asked.cpu_ms, operator_max.cpu_ms),
          pick(asked.output_bytes, operator_max.output_bytes)};
}

sandbox::RunRequest CodeRunner::runStep(const RunSpec& spec, const sandbox::Limits& limits) const {
  const LanguageProfile& lang = *spec.language;
  sandbox::RunRequest r;
  r.argv = lang.run_argv;
  r.argv.insert(r.argv.end(), spec.args.begin(), spec.args.end());
  r.env = lang.env;
  r.limits = limits;
  r.seccomp_policy = lang.seccomp;
  return r;
}

std::optional<CompileStep> CodeRunner::compileStep(const RunSpec& spec) const {
  const LanguageProfile& lang = *spec.language;
  if (!lang.compile) return std::nullopt;
  CompileStep step;
  step.request.argv = lang.compile->argv;
  step.request.env = lang.env;
  step.request.limits = lang.compile->limits;
  step.request.seal_box = false;  // its output is what the runs must find in /box
  step.request.seccomp_policy = lang.seccomp;
  step.artifacts = lang.compile->artifacts;
  // The environment shapes the build as much as the command line does.
  std::vector<std::string> command = step.request.argv;
  command.insert(command.end(), lang.env.begin(), lang.env.end());
  // The other files shape the build as much as the source does (a header, a module).
  // Every part length-prefixed, so no two different sets of files give the same string.
  std::string inputs = std::to_string(spec.files.size()) + ":" +
                       std::to_string(spec.source.size()) + ":" + spec.source;
  for (const auto& f : spec.files)
    inputs += std::to_string(f.name.size()) + ":" + f.name + std::to_string(f.content.size()) +
              ":" + f.content;
  step.cache_key =
      CompileCache::makeKey(spec.cache_scope, lang.name, lang.version, command, inputs);
  return step;
}

JobPlan CodeRunner::planRun(const RunSpec& spec) const {
  JobPlan plan;
  plan.files.push_back(sandbox::BoxFile{spec.language->source_file, spec.source, "", 0644});
  plan.files.insert(plan.files.end(), spec.files.begin(), spec.files.end());
  plan.compile = compileStep(spec);
  sandbox::RunRequest run = runStep(spec, limitsFor(spec));
  run.stdin_data = spec.stdin_data;
  plan.runs.push_back(std::move(run));
  plan.outputs = spec.outputs;
  if (spec.outputs) plan.runs.back().output_dir = spec.outputs->dir;
  // One run is bounded by its own limits; a job wall or CPU budget below them would kill
  // it with no verdict to give. Its output still counts against the budget.
  plan.budget.output_bytes = job_max_.output_bytes;
  return plan;
}

sandbox::Limits CodeRunner::judgeProgramLimits(const LanguageProfile& language) const {
  RequestedLimits most;
  most.cpu_ms = operator_max_.cpu_ms;
  most.wall_ms = operator_max_.wall_ms;
  most.memory_kb = operator_max_.memory_kb;
  most.output_kb = operator_max_.output_kb;
  most.processes = operator_max_.processes;
  return resolveLimits(language, most, operator_max_);
}

CompanionPlan CodeRunner::judgeCompanion(const JudgeSpec& spec) const {
  const JudgeProgram& program = *spec.program;
  CompanionPlan c;
  const bool interactor = program.role == JudgeProgram::Role::kInteractor;
  c.mode = interactor ? CompanionPlan::Mode::kInteractor : CompanionPlan::Mode::kChecker;
  c.files.push_back(
      sandbox::BoxFile{program.run.language->source_file, program.run.source, "", 0644});
  c.files.insert(c.files.end(), program.run.files.begin(), program.run.files.end());
  c.compile = compileStep(program.run);
  // Shared, not copied per test: a judge may carry 500 tests of 8 MiB.
  auto tests = std::make_shared<const std::vector<JudgeTest>>(spec.tests);
  c.limits = judgeProgramLimits(*program.run.language);
  c.request = [base = runStep(program.run, c.limits), tests, interactor](
                  size_t i, const sandbox::RunResult* run) {
    sandbox::RunRequest r = base;
    // Names no earlier test used: what a run adds to /box before it stays there (sealed)
    // until the job's wipe.
    const std::string name = "test-" + std::to_string(i + 1);
    r.files.push_back(sandbox::BoxFile{name + ".in", tests->at(i).stdin_data, "", 0644});
    r.files.push_back(sandbox::BoxFile{name + ".ans", tests->at(i).expected_output, "", 0644});
    if (interactor) {
      r.argv.insert(r.argv.end(), {name + ".in", "/tmp/tout", name + ".ans"});
    } else {
      r.files.push_back(sandbox::BoxFile{name + ".out", run ? run->stdout_data : "", "", 0644});
      r.argv.insert(r.argv.end(), {name + ".in", name + ".out", name + ".ans"});
    }
    return r;
  };
  return c;
}

JobPlan CodeRunner::planJudge(const JudgeSpec& spec) const {
  JobPlan plan;
  plan.files.push_back(sandbox::BoxFile{spec.run.language->source_file, spec.run.source, "", 0644});
  plan.compile = compileStep(spec.run);
  const sandbox::RunRequest base = runStep(spec.run, limitsFor(spec.run));
  const bool interactive = spec.program && spec.program->role == JudgeProgram::Role::kInteractor;
  for (const auto& test : spec.tests) {
    sandbox::RunRequest run = base;
    // An interactive solution's input is what the interactor writes; the test's input
    // is the interactor's file.
    if (!interactive) run.stdin_data = test.stdin_data;
    plan.runs.push_back(std::move(run));
  }
  plan.verdict = judgeVerdicts(spec);
  if (spec.program) plan.companion = judgeCompanion(spec);
  plan.stop_on_failure = spec.stop_on_first_failure;
  plan.budget = resolveBudget(spec.budget, job_max_);
  return plan;
}

}  // namespace codecanvas::jobs
