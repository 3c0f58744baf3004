#include "broker_backend.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "broker/job_wire.h"
#include "object_store.h"

namespace codecanvas::http {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void say(const std::string& line) {
  std::fprintf(stderr, "codecanvas: broker: %s\n", line.c_str());
}

// How long a job may take by its own limits: its compiles, then its runs (a judge's within
// the job's wall budget), each with the judge's own program beside it (an interactor) or
// after it (a checker).
uint64_t planWallMs(const jobs::JobPlan& plan) {
  const auto& companion = plan.companion;
  const bool beside = companion && companion->mode == jobs::CompanionPlan::Mode::kInteractor;
  uint64_t runs = 0;
  for (const auto& r : plan.runs) {
    const uint64_t judge = companion ? companion->limits.wall_ms : 0;
    runs += beside ? std::max(r.limits.wall_ms, judge) : r.limits.wall_ms + judge;
  }
  if (plan.budget.wall_ms != 0) runs = std::min(runs, plan.budget.wall_ms);
  uint64_t compiles = plan.compile ? plan.compile->request.limits.wall_ms : 0;
  if (companion && companion->compile) compiles += companion->compile->request.limits.wall_ms;
  return runs + compiles;
}

constexpr milliseconds kStatusEvery{250};
constexpr milliseconds kMaxBackoff{5000};

}  // namespace

BrokerBackend::BrokerBackend(Service& local, BrokerOptions options)
    : local_(local), options_(std::move(options)), node_(randomId("n").substr(0, 13)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { loop(); });
}

BrokerBackend::~BrokerBackend() {
  stop_ = true;
  wake();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // What is still out gets an answer: nobody may wait forever on a promise.
  for (auto& [id, p] : in_flight_) lose(*p, "the server stopped before the job's answer came");
  for (auto& p : outbox_) lose(*p, "the server stopped before the job was sent");
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void BrokerBackend::wake() {
  const uint64_t one = 1;
  if (wake_fd_ < 0) return;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

jobs::JobPlan BrokerBackend::planRun(const jobs::RunSpec& spec) const {
  jobs::JobPlan plan = local_.planRun(spec);
  plan.wire = broker::encodeRunJob(spec);
  return plan;
}

jobs::JobPlan BrokerBackend::planJudge(const jobs::JudgeSpec& spec) const {
  jobs::JobPlan plan = local_.planJudge(spec);
  plan.wire = broker::encodeJudgeJob(spec);
  return plan;
}

std::optional<std::future<jobs::JobOutcome>> BrokerBackend::submit(jobs::JobPlan plan) {
  if (local_.stopping()) return std::nullopt;
  // The node's own slots first: no broker round trip while one is free.
  if (local_.hasSlots() && local_.idleSlots() > 0) {
    if (auto f = local_.submit(plan)) return f;
  }
  if (plan.wire.empty()) return std::nullopt;  // a plan the broker cannot carry
  auto p = std::make_unique<Pending>();
  const uint64_t ttl = planWallMs(plan) + options_.wait_ms;
  p->body = std::move(plan.wire);
  p->ttl_ms = ttl;
  p->deadline = Clock::now() + milliseconds(ttl);
  std::future<jobs::JobOutcome> future = p->promise.get_future();
  std::string id;
  {
    std::lock_guard lock(mu_);
    if (!connected_ || depth_ > options_.max_queue_depth) return std::nullopt;
    id = p->id = node_ + "-" + std::to_string(++next_id_);
    outbox_.push_back(std::move(p));
  }
  wake();
  if (plan.cancel) {
    // The worker runs the job to its limits; the requester stops waiting at once. Outside
    // the lock: a cancel requested already runs this at once, and it takes the lock.
    plan.cancel->onRequest([this, id] {
      {
        std::lock_guard lock(mu_);
        cancelled_.push_back(id);
      }
      wake();
    });
  }
  return future;
}

std::string BrokerBackend::refusal() const {
  std::lock_guard lock(mu_);
  if (!connected_)
    return "the job broker is unreachable (" + last_error_ + "); nothing was run, retry later";
  if (depth_ > options_.max_queue_depth)
    return "the job queue holds " + std::to_string(depth_) + " jobs (at most " +
           std::to_string(options_.max_queue_depth) + " may wait); nothing was run, retry later";
  return "";
}

bool BrokerBackend::waitConnected(milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return connected_; });
}

HealthInfo BrokerBackend::health() const {
  HealthInfo h = local_.health();
  std::lock_guard lock(mu_);
  h.broker = connected_ ? "connected" : "unreachable";
  h.broker_queue = depth_;
  h.workers = workers_;
  if (!connected_)
    h.warnings.push_back("the job broker is unreachable: " + last_error_);
  else if (workers_ == 0)
    h.warnings.push_back("no worker consumes the job queue " + options_.queue +
                         ": jobs wait until one does");
  return h;
}

Metrics::Gauges BrokerBackend::gauges() const {
  Metrics::Gauges g = local_.gauges();
  std::lock_guard lock(mu_);
  g.broker = true;
  g.broker_up = connected_;
  g.broker_queue = depth_;
  g.broker_workers = workers_;
  g.broker_jobs = published_;
  g.broker_redeliveries = redeliveries_;
  g.broker_lost = lost_;
  return g;
}

void BrokerBackend::finish(Pending& p, jobs::JobOutcome outcome) {
  p.promise.set_value(std::move(outcome));
}

void BrokerBackend::lose(Pending& p, const std::string& why) {
  jobs::JobOutcome o;
  o.rejected = true;
  o.rejected_reason = why;
  {
    std::lock_guard lock(mu_);
    ++lost_;
  }
  finish(p, std::move(o));
}

void BrokerBackend::loop() {
  const std::string where =
      options_.url.host + ":" + std::to_string(options_.url.port) + options_.url.vhost;
  milliseconds backoff{100};
  bool said_down = false;
  while (!stop_) {
    auto connected = broker::AmqpClient::connect(options_.url, milliseconds(3000));
    Result<std::string> reply_queue = Error{"", 0};
    Status ready;
    if (connected) {
      ready = connected.value()->declareQuorum(options_.queue, options_.max_deliveries + 1);
      if (ready) reply_queue = connected.value()->declareReplyQueue();
      if (ready && !reply_queue) ready = reply_queue.error();
      if (ready) ready = connected.value()->consume(reply_queue.value(), 0);
    }
    if (!connected || !ready) {
      const std::string why = !connected ? connected.error().message : ready.error().message;
      {
        std::lock_guard lock(mu_);
        last_error_ = why;
      }
      if (!said_down) say("cannot use the broker at " + where + ": " + why + "; retrying");
      said_down = true;
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, backoff, [&] { return stop_.load(); });
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = milliseconds(100);
    said_down = false;
    say("connected to " + where + "; jobs go to the queue " + options_.queue);
    if (serve(*connected.value(), reply_queue.value())) break;
  }
}

bool BrokerBackend::serve(broker::AmqpClient& client, const std::string& reply_queue) {
  auto status = client.status(options_.queue);
  {
    std::lock_guard lock(mu_);
    if (status) {
      connected_ = true;
      depth_ = status->messages;
      workers_ = status->consumers;
    }
  }
  cv_.notify_all();
  Clock::time_point next_status = Clock::now() + kStatusEvery;
  std::string broke = status ? "" : status.error().message;
  while (broke.empty() && !stop_) {
    // What the request threads handed over: jobs to publish and jobs nobody waits for.
    std::deque<std::unique_ptr<Pending>> outbox;
    std::vector<std::string> cancelled;
    {
      std::lock_guard lock(mu_);
      outbox.swap(outbox_);
      cancelled.swap(cancelled_);
    }
    while (!outbox.empty() && broke.empty()) {
      std::unique_ptr<Pending> p = std::move(outbox.front());
      outbox.pop_front();
      broker::PublishOptions po;
      po.correlation_id = p->id;
      po.reply_to = reply_queue;
      po.ttl_ms = p->ttl_ms;  // a job nobody waits for any more is not run
      po.content_type = broker::kJobContentType;
      if (auto s = client.publish(options_.queue, p->body, po); !s) {
        broke = s.error().message;
        lose(*p, "the job could not be sent to the broker (" + broke +
                     "); nothing was run, retry later");
        break;
      }
      {
        std::lock_guard lock(mu_);
        ++published_;
      }
      p->body.clear();
      in_flight_.emplace(p->id, std::move(p));
    }
    for (auto& p : outbox)
      lose(*p, "the connection to the broker broke; nothing was run, retry later");
    if (!broke.empty()) break;
    // After the publishing: a job cancelled before it was sent is in flight by now.
    for (const std::string& id : cancelled) {
      auto it = in_flight_.find(id);
      if (it == in_flight_.end()) continue;
      jobs::JobOutcome o;
      o.cancelled = true;
      finish(*it->second, std::move(o));
      in_flight_.erase(it);
    }

    const Clock::time_point now = Clock::now();
    if (now >= next_status) {
      next_status = now + kStatusEvery;
      auto st = client.status(options_.queue);
      if (!st) {
        broke = st.error().message;
        break;
      }
      std::lock_guard lock(mu_);
      depth_ = st->messages;
      workers_ = st->consumers;
    }
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      if (it->second->deadline > now) {
        ++it;
        continue;
      }
      lose(*it->second, "no worker answered within " + std::to_string(it->second->ttl_ms / 1000) +
                            " s (the job's limits and the wait for a worker); it may still "
                            "run, retry later");
      it = in_flight_.erase(it);
    }

    auto message = client.next(
        std::chrono::duration_cast<milliseconds>(next_status - Clock::now()) + milliseconds(1),
        wake_fd_);
    uint64_t drained = 0;
    [[maybe_unused]] auto n = ::read(wake_fd_, &drained, sizeof drained);
    if (!message) {
      broke = message.error().message;
      break;
    }
    if (!message.value()) continue;
    const broker::Message& m = *message.value();
    if (auto s = client.ack(m.delivery_tag); !s) broke = s.error().message;
    auto it = in_flight_.find(m.correlation_id);
    if (it == in_flight_.end()) continue;  // its requester stopped waiting
    auto reply = broker::decodeReply(m.body);
    if (!reply) {
      jobs::JobOutcome o;
      o.fault = "the worker's answer: " + reply.error().message;
      finish(*it->second, std::move(o));
    } else {
      if (reply->deliveries > 1) {
        std::lock_guard lock(mu_);
        ++redeliveries_;
      }
      finish(*it->second, std::move(reply->outcome));
    }
    in_flight_.erase(it);
  }
  if (stop_) return true;
  {
    std::lock_guard lock(mu_);
    connected_ = false;
    last_error_ = broke;
  }
  say("lost the broker connection: " + broke + "; reconnecting");
  // The answers of the jobs out would come to this connection's reply queue, which the
  // broker deletes with it: they cannot arrive any more.
  for (auto& [id, p] : in_flight_)
    lose(*p, "the connection to the broker broke while the job was out (" + broke +
                 "); it may have run, retry later");
  in_flight_.clear();
  return false;
}

}  // namespace codecanvas::http
