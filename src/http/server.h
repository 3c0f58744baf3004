// The HTTP front: cpp-httplib listening on the configured address, every request handed
// to Api::handle, one JSON log line per request on stderr. Shutdown: stop() makes run()
// return after the requests in progress are answered.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>

#include "api.h"
#include "result.h"
#include "server_config.h"

namespace codecanvas::http {

class HttpServer {
 public:
  HttpServer(Api& api, const ServerConfig& config, unsigned threads);

  // Binds the address; a port in use or a bad address is an error an operator can act on.
  // Returns the bound port (useful with port 0).
  Result<int> bind();
  // Serves until stop(); false when the listening socket failed.
  bool run();
  void stop() { server_.stop(); }

 private:
  void serve(const httplib::Request& req, httplib::Response& res);

  Api& api_;
  const ServerConfig& config_;
  httplib::Server server_;
  int listen_fd_ = -1;  // httplib's listening socket, seen in its socket-options callback
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
