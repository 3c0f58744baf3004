#include "http_session.h"

#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstdio>
#include <limits>

#include "live_session.h"
#include "server.h"

namespace codecanvas::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

SessionRegistry::Entry SessionRegistry::add(std::weak_ptr<Connection> session) {
  std::lock_guard lock(mu_);
  return sessions_.insert(sessions_.end(), std::move(session));
}

void SessionRegistry::remove(Entry entry) {
  std::lock_guard lock(mu_);
  sessions_.erase(entry);
}

size_t SessionRegistry::size() {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void SessionRegistry::stopAll() {
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(mu_);
    for (auto& w : sessions_)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  // Outside the lock: a session released here unregisters itself.
  for (auto& s : live) s->stop();
}

namespace {

std::string lower(beast::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The path of a request target, without the query string, %XX decoded.
std::string pathOf(beast::string_view target) {
  const auto raw = target.substr(0, target.find('?'));
  return percentDecode(std::string_view(raw.data(), raw.size()));
}

HttpRequest requestOf(const bhttp::request_header<>& h) {
  HttpRequest r;
  r.method = std::string(h.method_string());
  r.path = pathOf(h.target());
  if (const size_t q = h.target().find('?'); q != beast::string_view::npos)
    r.query = std::string(h.target().substr(q + 1));
  for (const auto& field : h) r.headers[lower(field.name_string())] = std::string(field.value());
  return r;
}

bool isHttpError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

HttpSession::HttpSession(tcp::socket socket, SessionContext& ctx, std::string remote)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      ctx_(ctx),
      remote_(std::move(remote)) {}

HttpSession::~HttpSession() {
  if (registered_) ctx_.registry.remove(entry_);
}

void HttpSession::start() {
  entry_ = ctx_.registry.add(weak_from_this());
  registered_ = true;
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->awaitRequest(); });
}

void HttpSession::stop() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    self->stop_requested_ = true;
    // Idle, or still reading a request (its job would be refused now anyway): nothing is
    // lost. A request being handled is answered first, with Connection: close; a
    // connection that is draining is cut short.
    if (self->state_ != State::kHandling && self->state_ != State::kWriting) self->close();
  });
}

// --- reading a request ----------------------------------------------------------------------

void HttpSession::awaitRequest() {
  state_ = State::kWaiting;
  if (closed_) return;
  if (stop_requested_ || ctx_.stopping) return close();
  head_.emplace();
  head_->header_limit(limits::kHeaderBytes);
  // The body's size is checked after precheck(), so that an unauthorized client gets its
  // 401 whatever it declares. (Not boost::none: Beast 1.74 then refuses every
  // Content-Length.)
  head_->body_limit(std::numeric_limits<std::uint64_t>::max());
  body_.reset();
  cancel_.reset();
  client_gone_ = false;
  method_ = path_ = "";
  version_ = 11;
  if (buffer_.size() > 0) return readHeader();  // pipelined: already here
  // The first request may take the full read timeout to start; later ones are idle
  // keep-alive time.
  arm(served_ == 0 ? std::chrono::steady_clock::duration(limits::kRead)
                   : std::chrono::steady_clock::duration(limits::kIdle));
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
    if (ec || self->closed_) return self->close();
    self->readHeader();
  });
}

void HttpSession::readHeader() {
  state_ = State::kHeader;
  started_ = std::chrono::steady_clock::now();
  deadline_ = started_ + limits::kWholeRequest;
  arm(limits::kRead);
  bhttp::async_read_header(
      socket_, buffer_, *head_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->onHeader(ec); });
}

void HttpSession::onHeader(beast::error_code ec) {
  if (closed_) return;
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
    return refuse(
        errorResponse(ApiError{431, "too_large",
                               "the request's header block is larger than " +
                                   std::to_string(limits::kHeaderBytes / 1024) + " KiB"}));
  // Anything else the parser refuses is malformed; a timeout or a client that went away
  // before a whole header block has nobody to answer.
  if (ec && isHttpError(ec) && ec != bhttp::error::end_of_stream &&
      ec != bhttp::error::partial_message)
    return refuse(errorResponse(
        ApiError{400, "bad_request", "the request could not be read: " + ec.message()}));
  if (ec) return close();

  const auto& header = head_->get();
  HttpRequest request = requestOf(header);
  method_ = request.method;
  path_ = request.path;
  version_ = header.version();
  keep_alive_ = header.keep_alive();
  auto checked = ctx_.api.precheck(request);
  if (auto* refusal = std::get_if<HttpResponse>(&checked)) {
    const Api::LogFields fields = Api::lastLogFields();
    // Without a body the connection is still in step and stays open; with one, it closes
    // without reading it.
    if (head_->is_done()) {
      log(refusal->status, fields);
      return respond(*refusal, keep_alive_);
    }
    return refuse(*refusal, fields);
  }
  admission_ = std::get<Admission>(checked);
  if (const std::string route = Api::routeOf(path_);
      (route == "/api/v1/sessions" || route == "/api/v2/connect" ||
       route == "/api/v2/piston/connect") &&
      websocket::is_upgrade(header))
    return upgrade(route == "/api/v1/sessions" ? SessionDialect::kNative : SessionDialect::kPiston);
  if (auto n = head_->content_length(); n && *n > ctx_.max_body_bytes) return tooLarge();
  request_ = std::move(request);
  body_.emplace(std::move(*head_));
  head_.reset();
  // Chunked bodies are counted as they arrive, chunk by chunk.
  body_->body_limit(ctx_.max_body_bytes);
  if (body_->is_done()) return startHandling();
  if (beast::iequals(body_->get()[bhttp::field::expect], "100-continue")) {
    arm(limits::kWrite);
    return net::async_write(socket_, net::buffer(kContinue, sizeof kContinue - 1),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec || self->closed_) return self->close();
                              self->readBody();
                            });
  }
  readBody();
}

void HttpSession::upgrade(SessionDialect dialect) {
  auto busy = [&](const std::string& why) {
    HttpResponse r = errorResponse(ApiError{503, "busy", why});
    r.headers.emplace_back("Retry-After", "1");
    ctx_.api.countSession(503);
    refuse(r);
  };
  if (stop_requested_ || ctx_.stopping) return busy("the server is shutting down");
  // The client waits for the 101 before it sends a frame; bytes before it are not a
  // WebSocket client's.
  if (buffer_.size() > 0)
    return refuse(errorResponse(
        ApiError{400, "bad_request", "data after the upgrade request, before the handshake"}));
  if (ctx_.live_sessions.fetch_add(1) >= ctx_.max_live_sessions) {
    ctx_.live_sessions.fetch_sub(1);
    return busy("all " + std::to_string(ctx_.max_live_sessions) +
                " live sessions are in use; retry later");
  }
  disarm();
  state_ = State::kClosing;
  closed_ = true;  // this object is done; the socket lives on in the session
  auto session = std::make_shared<LiveSession>(std::move(socket_), ctx_, remote_,
                                               std::move(admission_), dialect);
  session->start(head_->release());
  head_.reset();
}

void HttpSession::tooLarge() {
  refuse(errorResponse(ApiError{413, "too_large",
                                "the request body is larger than the server accepts (" +
                                    std::to_string(ctx_.max_body_bytes / 1024) + " KiB)"}));
}

void HttpSession::readBody() {
  state_ = State::kBody;
  // Per read, as the kernel's SO_RCVTIMEO would be: a big body on a slow link is fine, a
  // stalled one is not; and the whole request within kWholeRequest.
  const auto left = deadline_ - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return close();
  arm(std::min<std::chrono::steady_clock::duration>(limits::kRead, left));
  bhttp::async_read_some(
      socket_, buffer_, *body_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->onBody(ec); });
}

void HttpSession::onBody(beast::error_code ec) {
  if (closed_) return;
  if (ec == bhttp::error::body_limit || ec == bhttp::error::buffer_overflow) return tooLarge();
  if (ec && isHttpError(ec) && ec != bhttp::error::partial_message &&
      ec != bhttp::error::end_of_stream)
    return refuse(errorResponse(
        ApiError{400, "bad_request", "the request body could not be read: " + ec.message()}));
  if (ec) return close();
  if (!body_->is_done()) return readBody();
  request_.body = std::move(body_->get().body());
  body_.reset();
  startHandling();
}

// --- handling it ----------------------------------------------------------------------------

void HttpSession::startHandling() {
  state_ = State::kHandling;
  disarm();
  cancel_ = std::make_shared<jobs::JobCancel>();
  request_.cancel = cancel_;
  // The work guard keeps the io_context running while no I/O of this connection is
  // pending (a pipelining client: nothing is watched).
  net::post(
      ctx_.handlers, [self = shared_from_this(), request = std::move(request_),
                      admission = admission_, work = net::make_work_guard(ctx_.io)]() mutable {
        HttpResponse response = self->ctx_.api.handle(request, admission);
        Api::LogFields fields = Api::lastLogFields();
        net::post(self->socket_.get_executor(),
                  [self, response = std::move(response), fields = std::move(fields)]() mutable {
                    self->onHandled(std::move(response), std::move(fields));
                  });
        work.reset();
      });
  request_ = {};
  watchClient();
}

void HttpSession::watchClient() {
  // Bytes of a next request already read: the client is there (pipelining).
  if (buffer_.size() > 0) return;
  watching_ = true;
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this()](beast::error_code ec) { self->onWatch(ec); });
}

void HttpSession::onWatch(beast::error_code ec) {
  watching_ = false;
  if (ec || closed_ || state_ != State::kHandling) return;
  char byte = 0;
  const ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  // The next request (pipelining): it stays in the socket for the next read.
  if (n > 0) return;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return watchClient();
  // End of file or a reset: nobody will read the answer, so the job stops where it is.
  client_gone_ = true;
  cancel_->request();
}

void HttpSession::onHandled(HttpResponse response, Api::LogFields fields) {
  if (closed_) return;
  if (watching_) {
    beast::error_code ignored;
    socket_.cancel(ignored);  // the watch; its handler sees operation_aborted
  }
  log(response.status, fields);
  if (client_gone_) return close();
  respond(response, keep_alive_);
}

// --- answering ------------------------------------------------------------------------------

void HttpSession::respond(const HttpResponse& response, bool keep_alive) {
  state_ = State::kWriting;
  ++served_;
  keep_alive =
      keep_alive && !stop_requested_ && !ctx_.stopping && served_ < limits::kRequestsPerConnection;
  auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
  res->version(version_);
  res->result(static_cast<unsigned>(response.status));
  res->set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) res->insert(name, value);
  const bool no_body = response.status == 204 || response.status == 304;
  if (method_ == "HEAD") {
    // The length of what a GET would get, and no body.
    if (!no_body) res->content_length(response.body.size());
  } else if (!no_body) {
    res->body() = response.body;
    res->prepare_payload();
  }
  res->keep_alive(keep_alive);
  arm(limits::kWrite);
  bhttp::async_write(socket_, *res,
                     [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                       self->onWritten(ec, keep_alive);
                     });
}

void HttpSession::onWritten(beast::error_code ec, bool keep_alive) {
  if (closed_) return;
  if (ec) return close();
  if (!keep_alive) return drainAndClose();
  awaitRequest();
}

void HttpSession::refuse(const HttpResponse& response, const Api::LogFields& fields) {
  log(response.status, fields);
  respond(response, false);
}

void HttpSession::drainAndClose() {
  state_ = State::kClosing;
  if (stop_requested_) return close();
  beast::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return close();
  // Closing a socket that still holds unread bytes makes the kernel answer with a reset,
  // which can reach the client before it has read our answer: read the rest, within
  // bounds, and throw it away.
  drained_ = 0;
  arm(limits::kDrain);
  socket_.async_read_some(
      net::buffer(scratch_),
      [self = shared_from_this()](beast::error_code ec, size_t n) { self->onDrained(ec, n); });
}

void HttpSession::onDrained(beast::error_code ec, size_t n) {
  if (closed_) return;
  drained_ += n;
  if (ec || drained_ >= limits::kDrainBytes) return close();
  socket_.async_read_some(
      net::buffer(scratch_),
      [self = shared_from_this()](beast::error_code ec, size_t n) { self->onDrained(ec, n); });
}

// --- deadlines and the end ------------------------------------------------------------------

void HttpSession::arm(std::chrono::steady_clock::duration timeout) {
  timer_.expires_after(timeout);  // cancels the previous deadline
  timer_.async_wait(
      [self = shared_from_this(), generation = ++timer_generation_](beast::error_code ec) {
        if (ec || generation != self->timer_generation_) return;
        self->close();
      });
}

void HttpSession::disarm() {
  ++timer_generation_;
  timer_.cancel();
}

void HttpSession::close() {
  if (closed_) return;
  closed_ = true;
  state_ = State::kClosing;
  disarm();
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void HttpSession::log(int status, const Api::LogFields& fields) {
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
          .count();
  std::fputs((requestLogLine(method_, Api::routeOf(path_), status, fields.language, fields.status,
                             ms, remote_, fields.key) +
              "\n")
                 .c_str(),
             stderr);
}

}  // namespace codecanvas::http
