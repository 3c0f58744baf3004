// A blocking AMQP 0-9-1 client over rabbitmq-c (Debian's librabbitmq), the transport of the
// worker mode: the API node publishes jobs to a durable queue, workers consume them with a
// prefetch and acknowledge each only after its result went to the request's reply queue
// (docs/deploy.md). One connection, one channel, one thread at a time; every failure is a
// sentence naming the broker call, and after one the connection is closed (reconnect by
// making a new client).
#pragma once

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "result.h"

namespace codecanvas::broker {

// amqp://USER:PASS@HOST:PORT/VHOST (RabbitMQ's URI form; defaults guest:guest, 5672, "/";
// an empty path, "amqp://host/", is the vhost "/" too; another vhost "/x" is written %2Fx).
struct BrokerUrl {
  std::string user = "guest", password = "guest", host = "localhost", vhost = "/";
  int port = 5672;
};
Result<BrokerUrl> parseBrokerUrl(const std::string& url);

struct Message {
  std::string body;
  std::string correlation_id;
  std::string reply_to;
  uint64_t delivery_tag = 0;
  bool redelivered = false;
  // How often the broker has delivered this message, this time included: a quorum queue
  // counts them (its x-delivery-count header holds the earlier attempts).
  unsigned deliveries = 1;
};

// A queue as the broker sees it now.
struct QueueStatus {
  uint32_t messages = 0;   // ready, not yet delivered to a consumer
  uint32_t consumers = 0;  // workers consuming it
};

struct PublishOptions {
  std::string correlation_id;
  std::string reply_to;
  bool persistent = true;          // delivery mode 2: survives a broker restart
  std::optional<uint64_t> ttl_ms;  // the message's expiration
  std::string content_type = "application/json";
};

class AmqpClient {
 public:
  static Result<std::unique_ptr<AmqpClient>> connect(const BrokerUrl& url,
                                                     std::chrono::milliseconds timeout);
  ~AmqpClient();
  AmqpClient(const AmqpClient&) = delete;
  AmqpClient& operator=(const AmqpClient&) = delete;

  // A durable queue of that name (idempotent).
  Status declareDurable(const std::string& queue);
  // A durable quorum queue (replicated in a cluster; it counts deliveries) that drops a
  // message delivered more than `delivery_limit` times. Declaring an existing queue with
  // other arguments fails with the broker's reason.
  Status declareQuorum(const std::string& queue, unsigned delivery_limit);
  // How many messages wait in `queue` and how many consumers it has (a passive declare).
  Result<QueueStatus> status(const std::string& queue);
  // A queue the broker names, for this connection only and deleted with it: where the
  // results of this connection's requests come back.
  Result<std::string> declareReplyQueue();
  Status publish(const std::string& queue, const std::string& body, const PublishOptions& o);
  // Starts consuming `queue`, at most `prefetch` messages unacknowledged at once.
  Status consume(const std::string& queue, uint16_t prefetch);
  // Stops the consume() of this connection: no more messages come (those delivered and
  // not acknowledged stay this client's to ack).
  Status cancelConsume();
  // The next message, or nullopt after `timeout` without one, or as soon as `wake_fd`
  // (when not -1) is readable: another thread has work for the one that owns the client.
  Result<std::optional<Message>> next(std::chrono::milliseconds timeout, int wake_fd = -1);
  Status ack(uint64_t delivery_tag);
  // Back to the queue (requeue) or dropped.
  Status reject(uint64_t delivery_tag, bool requeue);
  bool open() const { return open_; }

 private:
  explicit AmqpClient(amqp_connection_state_t conn) : conn_(conn) {}
  Status checkReply(const char* call);
  Status fail(const std::string& why);

  amqp_connection_state_t conn_;
  bool open_ = true;
  std::string consumer_tag_;
};

}  // namespace codecanvas::broker
