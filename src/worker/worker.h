// codecanvas-worker's job loop (docs/deploy.md): consumes the broker's job queue with a
// prefetch of its slot count, plans each job from the request's spec with its own profiles,
// limits and compile cache (the same code as a single server), runs it on its slots and
// publishes the outcome to the job's reply queue with its correlation id, and only then
// acknowledges the job. A worker that dies mid-job leaves the job unacknowledged: the broker
// gives it to another worker. A job delivered more than `max_deliveries` times is answered
// with an error naming the cause instead of being run again.
//
// One thread (run()) owns the broker connection; the slot pool's thread hands finished
// jobs over through a queue and an eventfd. A lost connection is re-made with back-off;
// the jobs that were running then are not answered on the new one (the broker has already
// given them back to the queue).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <vector>
#include <mutex>
#include <string>

#include "broker/amqp_client.h"
#include "service.h"

namespace codecanvas::worker {

struct WorkerOptions {
  broker::BrokerUrl url;
  std::string queue = "codecanvas.jobs";
  unsigned max_deliveries = 3;
  uint64_t reply_ttl_ms = 60000;  // an answer nobody takes is dropped after this
  std::chrono::milliseconds grace{120000};  // on stop(): how long running jobs may take
};

class Worker {
 public:
  Worker(http::Service& service, WorkerOptions options);
  ~Worker();

  // Serves until stop(); then takes no more jobs, answers the ones running (within the
  // grace period) and returns. `ready` is called once, when the first connection consumes.
  void run(const std::function<void()>& ready = {});
  // Any thread, also a signal-handling one.
  void stop();

 private:
  struct Done {
    uint64_t generation = 0;
    uint64_t delivery_tag = 0;
    std::string correlation_id, reply_to, body;
  };
  // One connection: false when it broke, true when the worker stopped.
  bool serve(broker::AmqpClient& client);
  void take(const broker::Message& m);
  void wake();

  http::Service& service_;
  const WorkerOptions options_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Done> done_;
  uint64_t generation_ = 0;  // the connection's number: a job belongs to the one it came on
  size_t running_ = 0;       // jobs of this connection not yet answered (run() thread's)
  std::vector<uint64_t> pending_rejects_;  // jobs the pool refused: back to the queue
};

}  // namespace codecanvas::worker
