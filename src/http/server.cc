#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "http_session.h"
#include "unique_fd.h"

namespace codecanvas::http {

namespace {

struct SocketAddress {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
};

Result<SocketAddress> socketAddress(const std::string& address, int port) {
  SocketAddress a;
  if (auto* in4 = reinterpret_cast<sockaddr_in*>(&a.ss);
      ::inet_pton(AF_INET, address.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof(sockaddr_in);
  } else if (auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
             ::inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    a.family = AF_INET6;
    a.len = sizeof(sockaddr_in6);
  } else {
    return Error{
        "--bind '" + address + "' is not an IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::)",
        EINVAL};
  }
  return a;
}

// A socket bound to `address`:`port` (0: any), close-on-exec and non-blocking, listening
// when `listen`. Only SO_REUSEADDR: SO_REUSEPORT would let a second server bind the same
// port and silently take half of the connections.
Result<UniqueFd> boundSocket(const std::string& address, int port, bool listen) {
  auto a = socketAddress(address, port);
  if (!a) return a.error();
  UniqueFd s(::socket(a->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s) return sysError("socket");
  int yes = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a->ss), a->len) != 0) {
    const int err = errno;
    if (err == EADDRINUSE)
      return Error{"port " + std::to_string(port) + " on " + address +
                       " is already in use (another codecanvas-server?); stop it or choose --port",
                   err};
    return sysError("bind(" + address + ":" + std::to_string(port) + ")", err);
  }
  // The longest accept queue the kernel allows: a burst of new connections (8 clients
  // connecting at once) must not overflow it, or the kernel drops their SYNs and each
  // such client waits a second for its retransmission.
  if (listen && ::listen(s.get(), SOMAXCONN) != 0)
    return sysError("listen(" + address + ":" + std::to_string(port) + ", SOMAXCONN)");
  return s;
}

}  // namespace

// A throwaway socket: the operator needs to know whether the port is taken or the
// address is wrong before the slots are built.
Status probeBind(const std::string& address, int port) {
  auto s = boundSocket(address, port, false);
  if (!s) return s.error();
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

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpServer::Impl {
  Impl(Api& api, const ServerConfig& config, unsigned threads)
      : config(config),
        handlers(threads),
        ctx{api,
            config.input.max_body_bytes,
            io,
            handlers,
            registry,
            stopping,
            config.max_sessions,
            std::chrono::seconds(config.session_idle_seconds),
            live_sessions} {}

  void accept();
  void onAcceptable();
  void shutdown();

  const ServerConfig& config;
  // Declared before io: a connection that io's destructor releases unregisters itself.
  SessionRegistry registry;
  std::atomic<bool> stopping{false};
  std::atomic<bool> failed{false};
  std::atomic<size_t> live_sessions{0};
  net::io_context io;
  // The acceptor and its retry timer live in a strand of their own: accept() and
  // shutdown() may otherwise run at once on the two I/O threads.
  net::strand<net::io_context::executor_type> strand = net::make_strand(io);
  tcp::acceptor acceptor{strand};
  net::steady_timer retry{strand};  // after EMFILE and the like
  net::thread_pool handlers;
  SessionContext ctx;
};

void HttpServer::Impl::accept() {
  acceptor.async_wait(tcp::acceptor::wait_read, [this](boost::system::error_code ec) {
    if (stopping) return;
    if (ec) {
      std::fprintf(stderr, "codecanvas: the listening socket failed: %s\n", ec.message().c_str());
      failed = true;
      return shutdown();
    }
    onAcceptable();
  });
}

// accept4 rather than asio's accept: the connection's fd is close-on-exec from the start,
// so no slot keeper forked meanwhile inherits it.
void HttpServer::Impl::onAcceptable() {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(acceptor.native_handle(), reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) break;
      if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        // Out of fds or memory: the connections waiting stay in the accept queue until
        // some close.
        std::fprintf(stderr, "codecanvas: accept: %s; retrying in 100 ms\n", std::strerror(err));
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](boost::system::error_code e) {
          if (!e && !stopping) accept();
        });
        return;
      }
      std::fprintf(stderr, "codecanvas: accept: %s\n", std::strerror(err));
      failed = true;
      return shutdown();
    }
    UniqueFd conn(fd);
    if (registry.size() >= limits::kMaxConnections) {
      std::fprintf(stderr, "codecanvas: %zu connections open; closing a new one\n",
                   limits::kMaxConnections);
      continue;
    }
    // Answers are small and written in pieces: without TCP_NODELAY, Nagle's algorithm and
    // the client's delayed ACK add tens of milliseconds to every request.
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    char host[INET6_ADDRSTRLEN] = "";
    const tcp protocol = ss.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
    if (ss.ss_family == AF_INET6)
      ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, host, sizeof host);
    else
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, host, sizeof host);
    tcp::socket socket(net::make_strand(io));
    boost::system::error_code ec;
    socket.assign(protocol, conn.get(), ec);
    if (ec) continue;
    conn.release();
    std::make_shared<HttpSession>(std::move(socket), ctx, host)->start();
  }
  accept();
}

// In the acceptor's strand: no new connections; the live ones finish what they do and close.
void HttpServer::Impl::shutdown() {
  stopping = true;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  retry.cancel();
  registry.stopAll();
}

HttpServer::HttpServer(Api& api, const ServerConfig& config, unsigned threads)
    : impl_(std::make_unique<Impl>(api, config, std::max(1u, threads))) {}

HttpServer::~HttpServer() {
  impl_->handlers.join();
}

Result<int> HttpServer::bind() {
  auto fd = boundSocket(impl_->config.bind, impl_->config.port, true);
  if (!fd) return fd.error();
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd->get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return sysError("getsockname");
  const bool v6 = ss.ss_family == AF_INET6;
  const int port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                            : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  boost::system::error_code ec;
  impl_->acceptor.assign(v6 ? tcp::v6() : tcp::v4(), fd->get(), ec);
  if (ec) return Error{"cannot listen on " + impl_->config.bind + ": " + ec.message(), EINVAL};
  fd->release();
  return port;
}

bool HttpServer::run() {
  if (!impl_->acceptor.is_open()) return false;
  net::post(impl_->acceptor.get_executor(), [this] {
    if (!impl_->stopping) impl_->accept();
  });
  // Parsing and writing are cheap next to a job; two threads keep one slow client's
  // writes from holding up the others' reads.
  auto loop = [this] {
    for (;;) {
      try {
        impl_->io.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "codecanvas: error in the HTTP front: %s\n", e.what());
      }
    }
  };
  std::thread second(loop);
  loop();
  second.join();
  // Every handler ran to its end: each held work on io until its answer was back.
  impl_->handlers.join();
  return !impl_->failed;
}

void HttpServer::stop() {
  impl_->stopping = true;
  net::post(impl_->acceptor.get_executor(), [this] { impl_->shutdown(); });
}

}  // namespace codecanvas::http
