#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "unique_fd.h"

namespace codecanvas::http {

namespace {

// Only SO_REUSEADDR: httplib's default also sets SO_REUSEPORT, which would let a second
// server bind the same port and silently take half of the connections.
void socketOptions(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

}  // namespace

// Binds a throwaway socket: httplib reports a failed bind as just "false", and the
// operator needs to know whether the port is taken or the address is wrong.
Status probeBind(const std::string& address, int port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (auto* in4 = reinterpret_cast<sockaddr_in*>(&ss);
      ::inet_pton(AF_INET, address.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in);
  } else if (auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
             ::inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    family = AF_INET6;
    len = sizeof(sockaddr_in6);
  } else {
    return Error{
        "--bind '" + address + "' is not an IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::)",
        EINVAL};
  }
  UniqueFd s(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return sysError("socket");
  int yes = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const int err = errno;
    if (err == EADDRINUSE)
      return Error{"port " + std::to_string(port) + " on " + address +
                       " is already in use (another codecanvas-server?); stop it or choose --port",
                   err};
    return sysError("bind(" + address + ":" + std::to_string(port) + ")", err);
  }
  return {};
}

namespace {

std::string nowIso() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

std::string requestLogLine(const std::string& method, const std::string& route, int status,
                           const std::string& language, const std::string& result,
                           double duration_ms, const std::string& remote,
                           const std::string& key_name) {
  nlohmann::json j = {{"ts", nowIso()},
                      {"method", method},
                      {"route", route},
                      {"status", status},
                      {"duration_ms", std::round(duration_ms * 1000.0) / 1000.0},
                      {"remote", remote}};
  if (!language.empty()) j["language"] = language;
  if (!result.empty()) j["result"] = result;
  if (!key_name.empty()) j["key"] = key_name;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpServer::HttpServer(Api& api, const ServerConfig& config, unsigned threads)
    : api_(api), config_(config) {
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // The callback sees the listening socket before httplib binds it: remember it, so that
  // bind() can raise its backlog.
  server_.set_socket_options([this](socket_t sock) {
    socketOptions(sock);
    listen_fd_ = sock;
  });
  // Answers are small and written in pieces (headers, body): without TCP_NODELAY, Nagle's
  // algorithm and the client's delayed ACK add tens of milliseconds to every request.
  server_.set_tcp_nodelay(true);
  server_.set_payload_max_length(config.input.max_body_bytes);
  // Bounded reads and writes: a client that stops sending cannot hold a thread forever.
  server_.set_read_timeout(10, 0);
  server_.set_write_timeout(30, 0);
  server_.set_keep_alive_timeout(5);
  server_.set_keep_alive_max_count(1000);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); };
  for (auto* route : {".*"}) {
    server_.Get(route, handler);
    server_.Post(route, handler);
    server_.Put(route, handler);
    server_.Patch(route, handler);
    server_.Delete(route, handler);
    server_.Options(route, handler);
  }
  // Answers httplib makes on its own (body too large, malformed request line, ...) get
  // the contract's error shape too.
  server_.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        ApiError e;
        e.status = res.status;
        switch (res.status) {
          case 413:
            e.code = "too_large";
            e.message = "the request body is larger than the server accepts";
            break;
          case 404:
            e.code = "not_found";
            e.message = "no such route";
            break;
          default:
            e.code = res.status >= 500 ? "internal" : "bad_request";
            e.message = "the request could not be read (HTTP " + std::to_string(res.status) + ")";
        }
        const HttpResponse r = errorResponse(e);
        res.set_content(r.body, r.content_type.c_str());
        std::fputs((requestLogLine(req.method, Api::routeOf(req.path), res.status, "", "", 0,
                                   req.remote_addr) +
                    "\n")
                       .c_str(),
                   stderr);
        return httplib::Server::HandlerResponse::Handled;
      }));
}

Result<int> HttpServer::bind() {
  int port = config_.port;
  if (port != 0) {
    if (auto s = probeBind(config_.bind, port); !s) return s.error();
    if (!server_.bind_to_port(config_.bind, port))
      return Error{"cannot listen on " + config_.bind + ":" + std::to_string(port), EADDRINUSE};
  } else {
    if (auto s = probeBind(config_.bind, 0); !s) return s.error();
    port = server_.bind_to_any_port(config_.bind);
    if (port <= 0) return Error{"cannot listen on " + config_.bind + " (any port)", EADDRNOTAVAIL};
  }
  // httplib (0.11, a shared library, so its CPPHTTPLIB_LISTEN_BACKLOG cannot be changed
  // from here) listens with a backlog of 5. A burst of more new connections than that, e.g.
  // 8 clients connecting at once, overflows the accept queue: the kernel drops their SYNs
  // and each such client is answered a second late, after its SYN retransmission. listen()
  // on a socket that already listens only sets a new backlog.
  int listening = 0;
  socklen_t len = sizeof listening;
  if (listen_fd_ < 0 ||
      ::getsockopt(listen_fd_, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening ||
      ::listen(listen_fd_, SOMAXCONN) != 0)
    std::fprintf(stderr,
                 "codecanvas: warning: could not raise the listen backlog above httplib's 5; "
                 "bursts of new connections may wait a second for a SYN retransmission\n");
  return port;
}

bool HttpServer::run() {
  return server_.listen_after_bind();
}

void HttpServer::serve(const httplib::Request& req, httplib::Response& res) {
  const auto t0 = std::chrono::steady_clock::now();
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  r.body = req.body;
  for (const auto& [k, v] : req.headers) {
    std::string key = k;
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[key] = v;
  }
  const HttpResponse out = api_.handle(r);
  res.status = out.status;
  for (const auto& [k, v] : out.headers) res.set_header(k.c_str(), v);
  res.set_content(out.body, out.content_type.c_str());
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const auto& fields = Api::lastLogFields();
  std::fputs((requestLogLine(req.method, Api::routeOf(req.path), out.status, fields.language,
                             fields.status, ms, req.remote_addr, fields.key) +
              "\n")
                 .c_str(),
             stderr);
}

}  // namespace codecanvas::http
