// The running service behind the API: the language registry, the slot pool and the
// CodeRunner, built from the server's configuration. Implements the API's Backend.
#pragma once

#include <memory>

#include "api.h"
#include "server_config.h"
#include "slot_pool.h"

namespace codecanvas::http {

class Service : public Backend {
 public:
  // Loads the language profiles, probes the toolchains, builds the slots. Progress and
  // every skipped language go to stderr; an error means the service cannot start at all.
  static Result<std::unique_ptr<Service>> create(const ServerConfig& config);

  const controller::LanguageRegistry& languages() const override { return languages_; }
  controller::Limits limitsFor(const controller::RunSpec& spec) const override {
    return runner_->limitsFor(spec);
  }
  controller::JobPlan planRun(const controller::RunSpec& spec) const override {
    return runner_->planRun(spec);
  }
  controller::JobPlan planJudge(const controller::JudgeSpec& spec) const override {
    return runner_->planJudge(spec);
  }
  std::optional<std::future<controller::JobOutcome>> submit(controller::JobPlan plan) override {
    return pool_->submit(std::move(plan));
  }
  HealthInfo health() const override;
  Metrics::Gauges gauges() const override;

  bool stopping() const override { return !pool_->admitting(); }
  // Refuses new jobs from now on (503, "shutting down"); admitted ones go on.
  void stopAdmitting() { pool_->stopAdmitting(); }
  // Stops admitting jobs and waits for the admitted ones, at most `grace`.
  bool drain(std::chrono::milliseconds grace) { return pool_->drain(grace); }

 private:
  Service() = default;

  controller::LanguageRegistry languages_;
  std::unique_ptr<controller::SlotPool> pool_;
  std::unique_ptr<controller::CodeRunner> runner_;
};

}  // namespace codecanvas::http
