// One client connection of the HTTP front (Boost.Beast on a plain TCP socket), from the
// first byte to the close. Server side; the I/O runs on the server's io_context, inside
// the connection's strand; Api::handle runs on the server's handler pool, never here.
//
// A request goes through these steps, each bounded:
//   wait for its first byte   (keep-alive idle: 5 s; then the connection closes quietly)
//   read the header block     (10 s, at most 16 KiB: else 431 and close)
//   Api::precheck             (Host, Origin, route, method, key, rate, Content-Encoding:
//                              a refusal is answered before one byte of body is read)
//   read the body             (10 s a read; Content-Length or chunked, at most
//                              max_body_bytes: else 413 and close)
//   Api::handle on the pool   (meanwhile the socket is watched: end of file or a reset
//                              cancels the job; the first pipelined byte ends the watch)
//   write the answer          (30 s)
// then the next request on the same connection (keep-alive, at most 1000), in order.
// After an answer that leaves part of a request unread, the connection is closed: first
// our side (FIN after the answer), then a bounded read-and-discard of what the client still
// sends, so that it gets to read the answer instead of a reset.
//
// A WebSocket upgrade (GET /api/v1/sessions) is taken at the end of the header step, after
// precheck: the socket moves into a LiveSession (live_session.h), and this one ends.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api.h"

namespace codecanvas::http {

// A client connection as the server sees it: an HTTP session or a live session.
class Connection {
 public:
  virtual ~Connection() = default;
  // Any thread: the server stops; the connection ends as soon as it can.
  virtual void stop() = 0;
};

// The connections alive, so that stop() can reach the idle ones. Thread-safe.
class SessionRegistry {
 public:
  using Entry = std::list<std::weak_ptr<Connection>>::iterator;
  Entry add(std::weak_ptr<Connection> session);
  void remove(Entry entry);
  // Asks every live connection to stop (Connection::stop).
  void stopAll();
  size_t size();

 private:
  std::mutex mu_;
  std::list<std::weak_ptr<Connection>> sessions_;
};

// What every connection shares; owned by the HttpServer, which outlives its connections.
struct SessionContext {
  Api& api;
  uint64_t max_body_bytes;
  boost::asio::io_context& io;
  boost::asio::thread_pool& handlers;
  SessionRegistry& registry;
  std::atomic<bool>& stopping;
  // Live sessions (live_session.h): how many may be open at once (more get 503), and how
  // long one may go without a client message or a write reaching its client.
  size_t max_live_sessions;
  std::chrono::seconds live_idle;
  std::atomic<size_t>& live_sessions;
};

// Limits of the HTTP front (docs/api.md, "Limits").
namespace limits {
constexpr uint32_t kHeaderBytes = 16 * 1024;  // request line and every header field
// The read buffer: the header block plus what one read brings beyond it (a chunk-size line
// is bounded by this too).
constexpr size_t kBufferBytes = 32 * 1024;
constexpr auto kIdle = std::chrono::seconds(5);   // between two requests of a connection
constexpr auto kRead = std::chrono::seconds(10);  // per read
// A whole request (header block and body) however it trickles in: without it a client
// sending a byte every 9 s would hold its connection and a growing body forever.
constexpr auto kWholeRequest = std::chrono::seconds(60);
// Open connections at once; more are accepted and closed at once. With the body limit
// this bounds what request bodies can hold in memory (connections x max body).
constexpr size_t kMaxConnections = 512;
constexpr auto kWrite = std::chrono::seconds(30);
constexpr unsigned kRequestsPerConnection = 1000;
// After an answer that leaves a request partly unread: how much more is read and thrown
// away, and for how long, before the connection closes.
constexpr uint64_t kDrainBytes = 64ULL << 20;
constexpr auto kDrain = std::chrono::seconds(3);
}  // namespace limits

class HttpSession : public Connection, public std::enable_shared_from_this<HttpSession> {
 public:
  // `socket`'s executor must be a strand of ctx.io: every step of the connection runs in
  // it.
  HttpSession(boost::asio::ip::tcp::socket socket, SessionContext& ctx, std::string remote);
  ~HttpSession() override;
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Any thread.
  void start();
  // Any thread: closes the connection now when it waits for a request; a request in
  // progress is answered first (with Connection: close).
  void stop() override;

 private:
  enum class State { kWaiting, kHeader, kBody, kHandling, kWriting, kClosing };
  using HeadParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;
  using BodyParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  void awaitRequest();
  void readHeader();
  void onHeader(boost::beast::error_code ec);
  void tooLarge();
  // GET /api/v1/sessions (or Piston's /api/v2/connect) with Upgrade: websocket, admitted
  // by precheck: the socket moves into a LiveSession (or 503 when the live sessions are at
  // their cap).
  void upgrade(SessionDialect dialect);
  void readBody();
  void onBody(boost::beast::error_code ec);
  void startHandling();
  void watchClient();
  void onWatch(boost::beast::error_code ec);
  void onHandled(HttpResponse response, Api::LogFields fields);
  // Writes `response`; `keep_alive` false closes the connection after it.
  void respond(const HttpResponse& response, bool keep_alive);
  void onWritten(boost::beast::error_code ec, bool keep_alive);
  // An answer of the server's own (431, 413, 400) or a precheck refusal: written with
  // Connection: close, then drainAndClose().
  void refuse(const HttpResponse& response, const Api::LogFields& fields = {});
  void drainAndClose();
  void onDrained(boost::beast::error_code ec, size_t n);
  // The deadline of the step in progress; when it passes, the socket is closed, which
  // ends the step with an error.
  void arm(std::chrono::steady_clock::duration timeout);
  void disarm();
  // Closes the socket at once (any step in progress ends with an error); idempotent.
  void close();
  void log(int status, const Api::LogFields& fields);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  SessionContext& ctx_;
  SessionRegistry::Entry entry_;
  bool registered_ = false;
  const std::string remote_;
  boost::beast::flat_buffer buffer_{limits::kBufferBytes};
  std::optional<HeadParser> head_;
  std::optional<BodyParser> body_;
  State state_ = State::kWaiting;
  bool closed_ = false;
  bool stop_requested_ = false;
  unsigned served_ = 0;
  uint64_t timer_generation_ = 0;
  // The request in progress: what the log line and the answer need of it.
  HttpRequest request_;  // until it moves to the handler pool
  Admission admission_;
  std::string method_, path_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point deadline_;  // started_ + kWholeRequest
  std::shared_ptr<jobs::JobCancel> cancel_;
  bool watching_ = false;
  bool client_gone_ = false;
  uint64_t drained_ = 0;
  std::array<char, 16 * 1024> scratch_{};
};

}  // namespace codecanvas::http
