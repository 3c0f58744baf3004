// The running service behind the API: the language registry, the slot pool and the
// CodeRunner, built from the server's configuration. Implements the API's Backend.
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "api.h"
#include "jobs/slot_pool.h"
#include "server_config.h"

namespace codecanvas::http {

class Service : public Backend {
 public:
  // Loads the language profiles, probes the toolchains, builds the slots (`slots`, else
  // the configuration's count). Progress and every skipped language go to stderr; an
  // error means the service cannot start at all. With 0 slots the service only plans jobs
  // (the worker mode's API node): submit() refuses and health() reports no slots.
  static Result<std::unique_ptr<Service>> create(const ServerConfig& config,
                                                 std::optional<unsigned> slots = std::nullopt);

  const jobs::LanguageRegistry& languages() const override { return languages_; }
  sandbox::Limits limitsFor(const jobs::RunSpec& spec) const override {
    return runner_->limitsFor(spec);
  }
  sandbox::Limits judgeProgramLimits(const jobs::LanguageProfile& language) const override {
    return runner_->judgeProgramLimits(language);
  }
  jobs::JobPlan planRun(const jobs::RunSpec& spec) const override { return runner_->planRun(spec); }
  jobs::JobPlan planJudge(const jobs::JudgeSpec& spec) const override {
    return runner_->planJudge(spec);
  }
  std::optional<std::future<jobs::JobOutcome>> submit(jobs::JobPlan plan) override {
    if (!pool_) return std::nullopt;
    return pool_->submit(std::move(plan));
  }
  bool submit(jobs::JobPlan plan, std::function<void(jobs::JobOutcome)> done) override {
    return pool_ && pool_->submit(std::move(plan), std::move(done));
  }
  HealthInfo health() const override;
  Metrics::Gauges gauges() const override;

  bool stopping() const override { return stopping_ || (pool_ && !pool_->admitting()); }
  // Refuses new jobs from now on (503, "shutting down"); admitted ones go on.
  void stopAdmitting() {
    stopping_ = true;
    if (pool_) pool_->stopAdmitting();
  }
  // Stops admitting jobs and waits for the admitted ones, at most `grace`.
  bool drain(std::chrono::milliseconds grace) {
    stopping_ = true;
    return !pool_ || pool_->drain(grace);
  }
  // Slots that take no job now: neither running one nor spoken for by a queued one.
  size_t idleSlots() const;
  bool hasSlots() const { return pool_ != nullptr; }

 private:
  Service() = default;

  jobs::LanguageRegistry languages_;
  std::unique_ptr<jobs::SlotPool> pool_;
  std::unique_ptr<jobs::CodeRunner> runner_;
  std::atomic<bool> stopping_{false};
};

}  // namespace codecanvas::http
