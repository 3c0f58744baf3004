#include "broker/amqp_client.h"

#include <amqp_tcp_socket.h>
#include <poll.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>

#include <cstring>
#include <vector>

namespace codecanvas::broker {

namespace {

constexpr amqp_channel_t kChannel = 1;

timeval toTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::string bytesOf(const amqp_bytes_t& b) {
  return b.len == 0 ? std::string() : std::string(static_cast<const char*>(b.bytes), b.len);
}

amqp_bytes_t bytesView(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

// What a failed RPC says: the library's error, or the broker's close with its text.
std::string replyText(const amqp_rpc_reply_t& r) {
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return "ok";
    case AMQP_RESPONSE_NONE:
      return "no reply from the broker";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        const auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
        return "the broker closed the connection: " + std::to_string(m->reply_code) + " " +
               bytesOf(m->reply_text);
      }
      if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
        return "the broker closed the channel: " + std::to_string(m->reply_code) + " " +
               bytesOf(m->reply_text);
      }
      return "the broker refused (method " + std::to_string(r.reply.id) + ")";
  }
  return "unknown reply";
}

}  // namespace

Result<BrokerUrl> parseBrokerUrl(const std::string& url) {
  // amqp_parse_url writes into its argument and points into it.
  std::vector<char> buffer(url.begin(), url.end());
  buffer.push_back('\0');
  amqp_connection_info info{};
  amqp_default_connection_info(&info);
  if (url.rfind("amqps://", 0) == 0)
    return Error{"amqps:// (TLS) is not supported; use amqp:// on a trusted network", EINVAL};
  if (amqp_parse_url(buffer.data(), &info) != AMQP_STATUS_OK)
    return Error{
        "not a broker URL: '" + url.substr(0, 200) + "' (amqp://USER:PASS@HOST:PORT/VHOST)",
        EINVAL};
  BrokerUrl out;
  out.user = info.user;
  out.password = info.password;
  out.host = info.host;
  out.port = info.port;
  // "amqp://host/" names the vhost "" by the URI's letter; nobody means that, and RabbitMQ
  // has no such vhost: it is the default one, "/", as without a path.
  out.vhost = *info.vhost != '\0' ? info.vhost : "/";
  return out;
}

Result<std::unique_ptr<AmqpClient>> AmqpClient::connect(const BrokerUrl& url,
                                                        std::chrono::milliseconds timeout) {
  amqp_connection_state_t conn = amqp_new_connection();
  if (conn == nullptr) return Error{"amqp_new_connection: out of memory", ENOMEM};
  std::unique_ptr<AmqpClient> client(new AmqpClient(conn));
  client->open_ = false;  // nothing to close on the wire until the login succeeded
  amqp_socket_t* socket = amqp_tcp_socket_new(conn);
  if (socket == nullptr) return Error{"amqp_tcp_socket_new failed", ENOMEM};
  timeval tv = toTimeval(timeout);
  const std::string where = url.host + ":" + std::to_string(url.port);
  if (int rc = amqp_socket_open_noblock(socket, url.host.c_str(), url.port, &tv); rc != 0)
    return Error{"cannot reach the broker at " + where + ": " + amqp_error_string2(rc),
                 ECONNREFUSED};
  // The handshake and the replies to RPCs wait at most `timeout` too: a broker that
  // accepts and then hangs must not hang the caller.
  amqp_set_handshake_timeout(conn, &tv);
  amqp_set_rpc_timeout(conn, &tv);
  const amqp_rpc_reply_t login =
      amqp_login(conn, url.vhost.c_str(), 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, url.user.c_str(),
                 url.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL)
    return Error{
        "login to the broker at " + where + " as " + url.user + " failed: " + replyText(login),
        EACCES};
  client->open_ = true;
  amqp_channel_open(conn, kChannel);
  if (auto s = client->checkReply("channel.open"); !s) return s.error();
  return client;
}

AmqpClient::~AmqpClient() {
  if (open_) {
    amqp_channel_close(conn_, kChannel, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(conn_);
}

Status AmqpClient::fail(const std::string& why) {
  // After an error the channel (or the connection) is gone: this client is done.
  open_ = false;
  return Error{why, EIO};
}

Status AmqpClient::checkReply(const char* call) {
  const amqp_rpc_reply_t r = amqp_get_rpc_reply(conn_);
  if (r.reply_type == AMQP_RESPONSE_NORMAL) return {};
  return fail(std::string(call) + ": " + replyText(r));
}

Status AmqpClient::declareDurable(const std::string& queue) {
  if (!open_) return Error{"the broker connection is closed", EPIPE};
  amqp_queue_declare(conn_, kChannel, bytesView(queue), 0, /*durable=*/1, 0, 0, amqp_empty_table);
  return checkReply(("queue.declare " + queue).c_str());
}

Status AmqpClient::declareQuorum(const std::string& queue, unsigned delivery_limit) {
  if (!open_) return Error{"the broker connection is closed", EPIPE};
  amqp_table_entry_t entries[2];
  entries[0].key = amqp_cstring_bytes("x-queue-type");
  entries[0].value.kind = AMQP_FIELD_KIND_UTF8;
  entries[0].value.value.bytes = amqp_cstring_bytes("quorum");
  entries[1].key = amqp_cstring_bytes("x-delivery-limit");
  entries[1].value.kind = AMQP_FIELD_KIND_I64;
  entries[1].value.value.i64 = delivery_limit;
  const amqp_table_t args{2, entries};
  amqp_queue_declare(conn_, kChannel, bytesView(queue), 0, /*durable=*/1, 0, 0, args);
  return checkReply(("queue.declare " + queue + " (quorum, x-delivery-limit " +
                     std::to_string(delivery_limit) + ")")
                        .c_str());
}

Result<QueueStatus> AmqpClient::status(const std::string& queue) {
  if (!open_) return Error{"the broker connection is closed", EPIPE};
  amqp_queue_declare_ok_t* ok = amqp_queue_declare(conn_, kChannel, bytesView(queue),
                                                   /*passive=*/1, 0, 0, 0, amqp_empty_table);
  if (auto s = checkReply(("queue.declare " + queue + " (passive)").c_str()); !s)
    return s.error();
  return QueueStatus{ok->message_count, ok->consumer_count};
}

Result<std::string> AmqpClient::declareReplyQueue() {
  if (!open_) return Error{"the broker connection is closed", EPIPE};
  amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(conn_, kChannel, amqp_empty_bytes, 0, 0,
                         /*exclusive=*/1, /*auto_delete=*/1, amqp_empty_table);
  if (auto s = checkReply("queue.declare (reply queue)"); !s) return s.error();
  return bytesOf(ok->queue);
}

Status AmqpClient::publish(const std::string& queue, const std::string& body,
                           const PublishOptions& o) {
  if (!open_) return Error{"the broker connection is closed", EPIPE};
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.content_type = bytesView(o.content_type);
  props.delivery_mode = o.persistent ? 2 : 1;
  if (!o.correlation_id.empty()) {
    props._flags |= AMQP_BASIC_CORRELATION_ID_FLAG;
    props.correlation_id = bytesView(o.correlation_id);
  }
  if (!o.reply_to.empty()) {
    props._flags |= AMQP_BASIC_REPLY_TO_FLAG;
    props.reply_to = bytesView(o.reply_to);
  }
  const std::string ttl = o.ttl_ms ? std::to_string(*o.ttl_ms) : "";
  if (o.ttl_ms) {
    props._flags |= AMQP_BASIC_EXPIRATION_FLAG;
    props.expiration = bytesView(ttl);
  }
  const int rc = amqp_basic_publish(conn_, kChannel, amqp_empty_bytes, bytesView(queue), 0, 0,
                                    &props, bytesView(body));
  if (rc != AMQP_STATUS_OK)
    return fail("basic.publish to " + queue + ": " + amqp_error_string2(rc));
  return {};
}

Status AmqpClient::consume(const std::string& queue, uint16_t prefetch) {
  if (!open_) return Error{"the broker connection is closed", EPIPE};
  amqp_basic_qos(conn_, kChannel, 0, prefetch, 0);
  if (auto s = checkReply("basic.qos"); !s) return s;
  amqp_basic_consume_ok_t* ok = amqp_basic_consume(
      conn_, kChannel, bytesView(queue), amqp_empty_bytes, 0, /*no_ack=*/0, 0, amqp_empty_table);
  if (auto s = checkReply(("basic.consume " + queue).c_str()); !s) return s;
  consumer_tag_ = bytesOf(ok->consumer_tag);
  return {};
}

Status AmqpClient::cancelConsume() {
  if (!open_) return Error{"the broker connection is closed", EPIPE};
  if (consumer_tag_.empty()) return {};
  amqp_basic_cancel(conn_, kChannel, bytesView(consumer_tag_));
  consumer_tag_.clear();
  return checkReply("basic.cancel");
}

Result<std::optional<Message>> AmqpClient::next(std::chrono::milliseconds timeout,
                                                int wake_fd) {
  if (!open_) return Error{"the broker connection is closed", EPIPE};
  amqp_maybe_release_buffers(conn_);
  // Wait on the socket and the wake-up descriptor together, unless the library already
  // holds what was read.
  if (!amqp_frames_enqueued(conn_) && !amqp_data_in_buffer(conn_)) {
    pollfd fds[2] = {{amqp_get_sockfd(conn_), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int n = ::poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
    if (n < 0 && errno != EINTR) {
      const Status s = fail(std::string("poll on the broker connection: ") + std::strerror(errno));
      return s.error();
    }
    if (n <= 0 || fds[0].revents == 0) return std::optional<Message>();
    // The rest of a frame that began to arrive follows at once; a broker that stops
    // mid-frame is given a while.
    timeout = std::chrono::milliseconds(2000);
  }
  amqp_envelope_t envelope{};
  timeval tv = toTimeval(timeout);
  const amqp_rpc_reply_t r = amqp_consume_message(conn_, &envelope, &tv, 0);
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT)
    return std::optional<Message>();
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    const Status s = fail("waiting for a message: " + replyText(r));
    return s.error();
  }
  Message m;
  m.body = bytesOf(envelope.message.body);
  const auto& p = envelope.message.properties;
  if (p._flags & AMQP_BASIC_CORRELATION_ID_FLAG) m.correlation_id = bytesOf(p.correlation_id);
  if (p._flags & AMQP_BASIC_REPLY_TO_FLAG) m.reply_to = bytesOf(p.reply_to);
  m.delivery_tag = envelope.delivery_tag;
  m.redelivered = envelope.redelivered != 0;
  if (p._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int i = 0; i < p.headers.num_entries; ++i) {
      const amqp_table_entry_t& e = p.headers.entries[i];
      if (bytesOf(e.key) != "x-delivery-count") continue;
      int64_t earlier = 0;
      switch (e.value.kind) {
        case AMQP_FIELD_KIND_I8: earlier = e.value.value.i8; break;
        case AMQP_FIELD_KIND_U8: earlier = e.value.value.u8; break;
        case AMQP_FIELD_KIND_I16: earlier = e.value.value.i16; break;
        case AMQP_FIELD_KIND_U16: earlier = e.value.value.u16; break;
        case AMQP_FIELD_KIND_I32: earlier = e.value.value.i32; break;
        case AMQP_FIELD_KIND_U32: earlier = e.value.value.u32; break;
        case AMQP_FIELD_KIND_I64: earlier = e.value.value.i64; break;
        case AMQP_FIELD_KIND_U64: earlier = static_cast<int64_t>(e.value.value.u64); break;
        default: break;
      }
      if (earlier > 0) m.deliveries = static_cast<unsigned>(std::min<int64_t>(earlier, 1000000)) + 1;
    }
  }
  amqp_destroy_envelope(&envelope);
  return std::optional<Message>(std::move(m));
}

Status AmqpClient::ack(uint64_t delivery_tag) {
  if (!open_) return Error{"the broker connection is closed", EPIPE};
  if (int rc = amqp_basic_ack(conn_, kChannel, delivery_tag, 0); rc != AMQP_STATUS_OK)
    return fail(std::string("basic.ack: ") + amqp_error_string2(rc));
  return {};
}

Status AmqpClient::reject(uint64_t delivery_tag, bool requeue) {
  if (!open_) return Error{"the broker connection is closed", EPIPE};
  if (int rc = amqp_basic_nack(conn_, kChannel, delivery_tag, 0, requeue ? 1 : 0);
      rc != AMQP_STATUS_OK)
    return fail(std::string("basic.nack: ") + amqp_error_string2(rc));
  return {};
}

}  // namespace codecanvas::broker
