#include "worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdio>

#include "broker/job_wire.h"
#include "sandbox/run_types.h"

namespace codecanvas::worker {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void say(const std::string& line) {
  std::fprintf(stderr, "codecanvas-worker: %s\n", line.c_str());
}

// The log's word for an outcome.
std::string summary(const jobs::JobOutcome& o) {
  if (o.fault) return "internal_error";
  if (o.rejected) return "rejected";
  if (jobs::compileFailed(o)) return "compile_error";
  if (!o.verdicts.empty()) {
    for (const auto& v : o.verdicts)
      if (v != "accepted") return v;
    return "accepted";
  }
  return o.runs.empty() ? "no_run" : sandbox::statusName(o.runs.front().status);
}

constexpr milliseconds kMaxBackoff{5000};

}  // namespace

Worker::Worker(http::Service& service, WorkerOptions options)
    : service_(service), options_(std::move(options)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

Worker::~Worker() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Worker::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void Worker::stop() {
  stop_ = true;
  wake();
  cv_.notify_all();
}

void Worker::run(const std::function<void()>& ready) {
  const std::string where =
      options_.url.host + ":" + std::to_string(options_.url.port) + options_.url.vhost;
  milliseconds backoff{100};
  bool said_down = false, said_ready = false;
  while (!stop_) {
    auto client = broker::AmqpClient::connect(options_.url, milliseconds(3000));
    Status s = client ? client.value()->declareQuorum(options_.queue, options_.max_deliveries + 1)
                      : Status(client.error());
    // Prefetch: as many jobs as this worker has slots, so a job waits on the broker (where
    // another worker may take it) rather than here.
    const auto slots = static_cast<uint16_t>(std::min<size_t>(service_.health().slots, 65535));
    if (s) s = client.value()->consume(options_.queue, slots);
    if (!s) {
      if (!said_down)
        say("cannot use the broker at " + where + ": " + s.error().message + "; retrying");
      said_down = true;
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, backoff, [&] { return stop_.load(); });
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = milliseconds(100);
    said_down = false;
    say("connected to " + where + "; consuming " + options_.queue + " with " +
        std::to_string(slots) + " slot(s)");
    if (!said_ready && ready) ready();
    said_ready = true;
    if (serve(*client.value())) break;
  }
}

void Worker::take(const broker::Message& m) {
  ++running_;
  const uint64_t generation = generation_;
  auto answer = [this, generation, tag = m.delivery_tag, id = m.correlation_id,
                 reply_to = m.reply_to,
                 deliveries = m.deliveries](jobs::JobOutcome o, const std::string& what) {
    say("job " + id.substr(0, 64) + " " + what + ": " + summary(o) +
        (deliveries > 1 ? " (delivery " + std::to_string(deliveries) + ")" : "") + " in " +
        std::to_string(static_cast<long long>(o.total_ms)) + " ms");
    Done d{generation, tag, id, reply_to, broker::encodeReply({std::move(o), deliveries})};
    {
      std::lock_guard lock(mu_);
      done_.push_back(std::move(d));
    }
    wake();
  };
  if (m.deliveries > options_.max_deliveries) {
    // Each worker that took it before died or lost its connection while running it: the
    // job itself is the likely cause. It is answered, never run again.
    jobs::JobOutcome o;
    o.fault = "the worker mode: the job was delivered " + std::to_string(m.deliveries) +
              " times and every worker that took it stopped before answering (it may crash "
              "or exhaust its worker); it is not run again";
    answer(std::move(o), "refused");
    return;
  }
  auto job = broker::decodeJob(m.body, service_.languages());
  if (!job) {
    jobs::JobOutcome o;
    o.fault = "the worker mode: " + job.error().message;
    answer(std::move(o), "unreadable");
    return;
  }
  const std::string language = job->spec.run.language->name;
  say("job " + m.correlation_id.substr(0, 64) + " taken (" + language +
      (m.deliveries > 1 ? ", delivery " + std::to_string(m.deliveries) : "") + ")");
  jobs::JobPlan plan = job->judge ? service_.planJudge(job->spec) : service_.planRun(job->spec.run);
  if (plan.companion && service_.health().slots < 2) {
    // Answered, not given back: with every worker of one slot it would circle for ever.
    jobs::JobOutcome o;
    o.rejected = true;
    o.rejected_reason =
        "the worker that took this judge has one sandbox slot, and a judge with an interactor "
        "or a checker program needs two at once (start workers with --slots 2 or more); "
        "nothing was run";
    answer(std::move(o), "refused (one slot)");
    return;
  }
  const bool admitted = service_.submit(std::move(plan), [answer, language](jobs::JobOutcome o) {
    answer(std::move(o), "(" + language + ")");
  });
  if (!admitted) {
    // Stopping, or the pool's queue is full: back to the broker for another worker.
    --running_;
    pending_rejects_.push_back(m.delivery_tag);
  }
}

bool Worker::serve(broker::AmqpClient& client) {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  running_ = 0;
  bool cancelled = false;
  Clock::time_point give_up{};
  std::string broke;
  while (broke.empty()) {
    std::deque<Done> done;
    {
      std::lock_guard lock(mu_);
      done.swap(done_);
    }
    for (Done& d : done) {
      if (d.generation != generation_) continue;  // the broker gave it back already
      --running_;
      if (!d.reply_to.empty()) {
        broker::PublishOptions po;
        po.correlation_id = d.correlation_id;
        po.persistent = false;  // its requester waits now or never
        po.ttl_ms = options_.reply_ttl_ms;
        po.content_type = broker::kJobContentType;
        if (auto s = client.publish(d.reply_to, d.body, po); !s) {
          broke = s.error().message;
          break;
        }
      }
      // Acknowledged only once the answer is out: a worker that dies before this line
      // leaves the job to another worker.
      if (auto s = client.ack(d.delivery_tag); !s) {
        broke = s.error().message;
        break;
      }
    }
    for (uint64_t tag : pending_rejects_)
      if (broke.empty())
        if (auto s = client.reject(tag, /*requeue=*/true); !s) broke = s.error().message;
    pending_rejects_.clear();
    if (!broke.empty()) break;

    if (stop_ && !cancelled) {
      cancelled = true;
      give_up = Clock::now() + options_.grace;
      say("stopping: no new jobs; finishing " + std::to_string(running_) + " running");
      if (auto s = client.cancelConsume(); !s) {
        broke = s.error().message;
        break;
      }
    }
    if (cancelled && (running_ == 0 || Clock::now() >= give_up)) {
      if (running_ > 0)
        say(std::to_string(running_) +
            " job(s) still running after the grace period: the broker gives them to another "
            "worker");
      return true;
    }
    auto message = client.next(milliseconds(1000), wake_fd_);
    uint64_t drained = 0;
    [[maybe_unused]] const ssize_t n = ::read(wake_fd_, &drained, sizeof drained);
    if (!message) {
      broke = message.error().message;
      break;
    }
    if (message.value()) {
      if (cancelled) {
        // Delivered before the cancel took effect: back to the queue.
        if (auto s = client.reject(message.value()->delivery_tag, true); !s)
          broke = s.error().message;
        continue;
      }
      take(*message.value());
    }
  }
  say("lost the broker connection: " + broke + "; " + std::to_string(running_) +
      " running job(s) go back to the queue; reconnecting");
  // Stopping: the jobs still running cannot be acknowledged on another connection; the
  // broker has given them back already.
  return stop_.load();
}

}  // namespace codecanvas::worker
