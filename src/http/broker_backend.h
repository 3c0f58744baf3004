// The API node of the worker mode (docs/deploy.md): the API's Backend over a RabbitMQ
// broker. Jobs are planned here as everywhere (so a bad request is refused before anything
// is sent), then published, as the request's spec (broker/job_wire.h), to a durable quorum
// queue with a correlation id and this node's reply queue; a codecanvas-worker runs each
// one and publishes its outcome back. With local slots (--local-slots), a job takes a free
// one of them first, and live sessions run only there.
//
// One thread owns the broker connection: it publishes what submit() hands it, takes the
// replies, polls the queue's depth and consumers, and reconnects with back-off. While the
// broker is unreachable, or its queue holds more than the configured depth, submit()
// refuses (503) and refusal() says why; /health says "degraded".
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "api.h"
#include "broker/amqp_client.h"
#include "service.h"

namespace codecanvas::http {

struct BrokerOptions {
  broker::BrokerUrl url;
  std::string queue = "codecanvas.jobs";
  uint64_t max_queue_depth = 256;
  unsigned max_deliveries = 3;
  uint64_t wait_ms = 60000;  // beyond a job's own limits, before its answer is given up
};

class BrokerBackend : public Backend {
 public:
  // Starts the connection thread; the first connection is tried at once, failures are
  // logged and retried (the API serves, refusing jobs, until the broker answers).
  BrokerBackend(Service& local, BrokerOptions options);
  ~BrokerBackend() override;

  const jobs::LanguageRegistry& languages() const override { return local_.languages(); }
  sandbox::Limits limitsFor(const jobs::RunSpec& spec) const override {
    return local_.limitsFor(spec);
  }
  sandbox::Limits judgeProgramLimits(const jobs::LanguageProfile& language) const override {
    return local_.judgeProgramLimits(language);
  }
  jobs::JobPlan planRun(const jobs::RunSpec& spec) const override;
  jobs::JobPlan planJudge(const jobs::JudgeSpec& spec) const override;
  std::optional<std::future<jobs::JobOutcome>> submit(jobs::JobPlan plan) override;
  bool submit(jobs::JobPlan plan, std::function<void(jobs::JobOutcome)> done) override {
    return local_.hasSlots() && local_.submit(std::move(plan), std::move(done));
  }
  HealthInfo health() const override;
  Metrics::Gauges gauges() const override;
  bool stopping() const override { return local_.stopping(); }
  std::string refusal() const override;

  // Blocks until the first connection succeeded, at most `timeout` (start-up logs).
  bool waitConnected(std::chrono::milliseconds timeout);

 private:
  struct Pending {
    std::string id;
    std::string body;
    uint64_t ttl_ms = 0;
    std::chrono::steady_clock::time_point deadline;
    std::promise<jobs::JobOutcome> promise;
  };

  void loop();
  // One connection's life: false when it broke (reconnect), true when stopping.
  bool serve(broker::AmqpClient& client, const std::string& reply_queue);
  void finish(Pending& p, jobs::JobOutcome outcome);
  void lose(Pending& p, const std::string& why);
  void wake();

  Service& local_;
  const BrokerOptions options_;
  const std::string node_;  // this node's prefix of correlation ids

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Pending>> outbox_;
  std::vector<std::string> cancelled_;
  bool connected_ = false;
  std::string last_error_;
  uint64_t depth_ = 0, workers_ = 0;
  uint64_t published_ = 0, redeliveries_ = 0, lost_ = 0;
  uint64_t next_id_ = 0;
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  // The loop thread's: jobs published and not yet answered, by correlation id.
  std::map<std::string, std::unique_ptr<Pending>> in_flight_;
  std::thread thread_;
};

}  // namespace codecanvas::http
