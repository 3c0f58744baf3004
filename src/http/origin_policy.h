// Which sites may talk to the API: the answer to cross-site requests and DNS rebinding.
//
// A page on any web site can make the visitor's browser POST a "simple" request (text/plain,
// no preflight) to http://127.0.0.1:10100/api/v1/run; the browser then hides the answer,
// but the program has run. Such a request carries an `Origin` header naming the page's
// site, so a request whose Origin is present and is neither this server's own origin nor
// one the operator allowed is refused (403 `forbidden`). Clients that are not browsers
// (the CLI, Node, curl) send no Origin and are not affected.
//
// DNS rebinding: a page on evil.example that makes its own name resolve to 127.0.0.1 is
// "same origin" with the loopback server, so Origin alone does not stop it; but the
// browser still sends `Host: evil.example`. So a server bound to loopback only accepts the
// names loopback is reached by (localhost, 127.x.x.x, [::1], any port) and the configured
// `allowed_hosts`. A server bound beyond loopback is reached under names this code cannot
// know: it checks Host only when `allowed_hosts` is configured (and needs API keys anyway).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api_types.h"
#include "result.h"

namespace codecanvas::http {

struct OriginPolicy {
  // The server listens on a loopback address only (see isLoopbackAddress).
  bool loopback_bind = false;
  // Host names (without port, lower case) accepted in the Host header besides loopback's.
  std::vector<std::string> allowed_hosts;
  // Origins ("https://judge.example.org", lower case, no path) accepted besides the server's
  // own (http:// or https:// followed by the request's Host).
  std::vector<std::string> allowed_origins;
};

// 127.0.0.0/8, ::1 and "localhost": addresses only this machine can reach.
bool isLoopbackAddress(const std::string& address);

// A 403 `forbidden` for a request whose Host or Origin the policy refuses; nullopt: let in.
// Pure: reads only the request's "host" and "origin" headers.
std::optional<HttpResponse> checkOrigin(const HttpRequest& request, const OriginPolicy& policy);

// Checks an allowed_origins entry ("scheme://host[:port]") and returns it in lower case.
Result<std::string> normalizeOrigin(const std::string& origin);
// Checks an allowed_hosts entry (a host name or address, without port) and returns it in
// lower case.
Result<std::string> normalizeHost(const std::string& host);

}  // namespace codecanvas::http
