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

// amqp://USER:PASS@HOST:PORT/VHOST (RabbitMQ's URI form; defaults guest:guest, 5672, "/").
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
};

struct PublishOptions {
  std::string correlation_id;
  std::string reply_to;
  bool persistent = true;          // delivery mode 2: survives a broker restart
  std::optional<uint64_t> ttl_ms;  // the message's expiration
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
  // A queue the broker names, for this connection only and deleted with it: where the
  // results of this connection's requests come back.
  Result<std::string> declareReplyQueue();
  Status publish(const std::string& queue, const std::string& body, const PublishOptions& o);
  // Starts consuming `queue`, at most `prefetch` messages unacknowledged at once.
  Status consume(const std::string& queue, uint16_t prefetch);
  // The next message, or nullopt after `timeout` without one.
  Result<std::optional<Message>> next(std::chrono::milliseconds timeout);
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
};

}  // namespace codecanvas::broker
