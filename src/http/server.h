// The HTTP front: Boost.Beast on the configured address. Connections are read and written
// on a few I/O threads (http_session.h says what each step of a request may take); every
// request that needs an answer of the API goes to Api::handle on a pool of handler
// threads, which may block until its job ends. One JSON log line per request on stderr.
// Shutdown: stop() makes run() return after the requests in progress are answered.
#pragma once

#include <memory>
#include <string>

#include "api.h"
#include "result.h"
#include "server_config.h"

namespace codecanvas::http {

class HttpServer {
 public:
  // `threads`: the handler pool, i.e. how many requests Api::handle works on at once.
  HttpServer(Api& api, const ServerConfig& config, unsigned threads);
  ~HttpServer();

  // Binds the address; a port in use or a bad address is an error an operator can act on.
  // Returns the bound port (useful with port 0).
  Result<int> bind();
  // Serves until stop(); false when the listening socket failed.
  bool run();
  // Any thread, also before run(): no new connections; idle ones close; the requests in
  // progress are answered (with Connection: close), then run() returns.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Binds and releases `address`:`port`; an error that says whether the port is taken or the
// address is wrong. The server checks this before building its slots, so a second
// instance on the same port fails at once.
Status probeBind(const std::string& address, int port);

// One request's log line: {"ts":..., "method", "route", "status", "language", "result",
// "duration_ms", "remote", "key"} ("key": the API key's name, when one was used).
std::string requestLogLine(const std::string& method, const std::string& route, int status,
                           const std::string& language, const std::string& result,
                           double duration_ms, const std::string& remote,
                           const std::string& key_name = "");

}  // namespace codecanvas::http
