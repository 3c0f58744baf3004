// What the end-to-end tests use to talk to a server they started and to run commands:
// one HTTP request with its answer parsed, and a shell command with its output.
#pragma once

#include <httplib.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace codecanvas::testing {

struct HttpAnswer {
  int status = 0;       // 0: no answer (the connection failed or was closed)
  nlohmann::json body;  // discarded when the body is not JSON
  std::string raw;
  std::string retry_after;
  std::string www_authenticate;
};

// One request on a fresh connection to 127.0.0.1:`port`; `key`, when given, as a Bearer
// token.
inline HttpAnswer httpCall(int port, const std::string& method, const std::string& path,
                           const std::string& body = "", const std::string& key = "") {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(180, 0);
  if (!key.empty()) cli.set_bearer_token_auth(key);
  httplib::Result res =
      method == "POST" ? cli.Post(path.c_str(), body, "application/json") : cli.Get(path.c_str());
  HttpAnswer a;
  if (!res) return a;
  a.status = res->status;
  a.raw = res->body;
  a.body = nlohmann::json::parse(res->body, nullptr, false);
  a.retry_after = res->get_header_value("Retry-After");
  a.www_authenticate = res->get_header_value("WWW-Authenticate");
  return a;
}

struct CommandResult {
  int exit_code = -1;  // -1: killed by a signal, or the shell could not start
  std::string output;  // stdout and stderr together
};

// Runs `command` through the shell and waits for it.
inline CommandResult runShell(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace codecanvas::testing
