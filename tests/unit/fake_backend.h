// A Backend for the API's unit tests: two languages (python3, c) and a canned outcome
// instead of a sandbox, each run judged by the plan as the pool would do it.
#pragma once

#include <future>
#include <optional>
#include <string>

#include "api.h"

namespace codecanvas::http::unit {

using jobs::JobOutcome;
using sandbox::RunResult;
using sandbox::RunStatus;

inline jobs::LanguageProfile profile(const std::string& name, bool compiled) {
  jobs::LanguageProfile p;
  p.name = name;
  p.aliases = {name == "python3" ? "py" : "gcc"};
  p.source_file = name == "python3" ? "main.py" : "main.c";
  p.version_command = {"x"};
  p.run_argv = {"run"};
  p.version = "1.0";
  p.default_limits.cpu_ms = 1000;
  p.max_limits.cpu_ms = 5000;
  if (compiled) p.compile = jobs::CompileSpec{{"cc", "main.c"}, {"main"}, {}};
  return p;
}

class FakeBackend : public Backend {
 public:
  FakeBackend() {
    auto reg =
        jobs::LanguageRegistry::fromProfiles({profile("python3", false), profile("c", true)});
    languages_ = std::move(reg.value());
  }
  const jobs::LanguageRegistry& languages() const override { return languages_; }
  sandbox::Limits limitsFor(const jobs::RunSpec& spec) const override {
    return jobs::resolveLimits(*spec.language, spec.limits, operator_max);
  }
  sandbox::Limits judgeProgramLimits(const jobs::LanguageProfile& language) const override {
    return language.max_limits;
  }
  jobs::JobPlan planRun(const jobs::RunSpec& spec) const override {
    last_run = spec;
    jobs::JobPlan p;
    p.runs.resize(1);
    return p;
  }
  jobs::JobPlan planJudge(const jobs::JudgeSpec& spec) const override {
    last_judge = spec;
    jobs::JobPlan p;
    p.runs.resize(spec.tests.size());
    p.verdict = jobs::judgeVerdicts(spec);
    p.stop_on_failure = spec.stop_on_first_failure;
    return p;
  }
  // The prepared outcome, with each run judged by the plan as the pool would do it.
  std::optional<std::future<JobOutcome>> submit(jobs::JobPlan plan) override {
    ++submitted;
    if (full) return std::nullopt;
    JobOutcome o = outcome;
    if (plan.verdict && o.verdicts.empty()) {
      for (size_t i = 0; i < o.runs.size(); ++i) {
        o.verdicts.push_back(plan.verdict(i, o.runs[i], nullptr));
        if (plan.stop_on_failure && o.verdicts.back() != "accepted") {
          o.runs.resize(i + 1);
          break;
        }
      }
    }
    std::promise<JobOutcome> p;
    p.set_value(std::move(o));
    return p.get_future();
  }
  HealthInfo health() const override {
    HealthInfo h;
    h.slots = 2;
    h.queue_capacity = 8;
    h.cpu = h.memory = h.pids = "v2";
    return h;
  }
  Metrics::Gauges gauges() const override { return {}; }
  bool stopping() const override { return shutting_down; }

  jobs::LanguageRegistry languages_;
  sandbox::Limits operator_max{100000, 100000, 1 << 22, 1 << 16, 1024};
  mutable jobs::RunSpec last_run;
  mutable jobs::JudgeSpec last_judge;
  JobOutcome outcome;
  bool full = false;
  bool shutting_down = false;
  int submitted = 0;
};

inline RunResult okRun(const std::string& out) {
  RunResult r;
  r.status = RunStatus::kOk;
  r.exit_code = 0;
  r.stdout_data = out;
  r.time_ms = 1.5;
  r.wall_ms = 2.0;
  r.memory_kb = 1000;
  return r;
}

}  // namespace codecanvas::http::unit
