#include "origin_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>

namespace codecanvas::http {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// "name:port" -> name; "[v6]:port" -> "[v6]". Empty when the value is not host[:port].
std::string hostName(const std::string& host) {
  std::string name, port;
  if (!host.empty() && host[0] == '[') {
    const auto close = host.find(']');
    if (close == std::string::npos) return "";
    name = host.substr(0, close + 1);
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return "";
      port = host.substr(close + 2);
    }
  } else {
    const auto colon = host.find(':');
    name = host.substr(0, colon);
    if (colon != std::string::npos) port = host.substr(colon + 1);
  }
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5) return "";
  return name;
}

bool isLoopbackName(const std::string& name) {
  if (name == "localhost" || name == "localhost.") return true;
  in_addr a4{};
  // inet_pton, not a prefix test: "127.0.0.1.evil.example" is a name an attacker owns.
  if (::inet_pton(AF_INET, name.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    in6_addr a6{};
    return ::inet_pton(AF_INET6, name.substr(1, name.size() - 2).c_str(), &a6) == 1 &&
           IN6_IS_ADDR_LOOPBACK(&a6);
  }
  return false;
}

// The origin a page served under `host` has, for `scheme`: the default port is left out,
// as browsers do.
std::string ownOrigin(const std::string& scheme, const std::string& host) {
  const std::string default_port = scheme == "https" ? ":443" : ":80";
  std::string h = host;
  if (h.size() > default_port.size() &&
      h.compare(h.size() - default_port.size(), default_port.size(), default_port) == 0)
    h.resize(h.size() - default_port.size());
  return scheme + "://" + h;
}

HttpResponse forbidden(const std::string& why) {
  return errorResponse(ApiError{403, "forbidden", why});
}

}  // namespace

bool isLoopbackAddress(const std::string& address) {
  const std::string a = lower(address);
  return isLoopbackName(a) || isLoopbackName("[" + a + "]");
}

std::optional<HttpResponse> checkOrigin(const HttpRequest& request, const OriginPolicy& policy) {
  std::string host;
  if (auto it = request.headers.find("host"); it != request.headers.end())
    host = lower(trim(it->second));
  // No Host at all: an HTTP/1.0 client or a hand-made request, never a browser.
  const bool check_host = policy.loopback_bind || !policy.allowed_hosts.empty();
  if (check_host && request.headers.count("host") != 0) {
    const std::string name = hostName(host);
    const bool ok = (policy.loopback_bind && isLoopbackName(name)) ||
                    std::find(policy.allowed_hosts.begin(), policy.allowed_hosts.end(), name) !=
                        policy.allowed_hosts.end();
    if (name.empty() || !ok)
      return forbidden("this server does not answer to the host name \"" + host.substr(0, 100) +
                       "\" (it protects against DNS rebinding); use " +
                       (policy.loopback_bind ? "127.0.0.1 or localhost" : "its configured name") +
                       ", or add the name to \"allowed_hosts\" in the config file");
  }
  const auto it = request.headers.find("origin");
  if (it == request.headers.end()) return std::nullopt;
  std::string origin = lower(trim(it->second));
  while (origin.size() > 1 && origin.back() == '/') origin.pop_back();
  if (const auto sep = origin.find("://"); sep != std::string::npos)
    origin = ownOrigin(origin.substr(0, sep), origin.substr(sep + 3));
  if (!host.empty() && (origin == ownOrigin("http", host) || origin == ownOrigin("https", host)))
    return std::nullopt;
  if (std::find(policy.allowed_origins.begin(), policy.allowed_origins.end(), origin) !=
      policy.allowed_origins.end())
    return std::nullopt;
  return forbidden("requests from pages of " + origin.substr(0, 100) +
                   " are refused: a web page of another site may not use this server; the "
                   "operator can add the origin to \"allowed_origins\" in the config file");
}

Result<std::string> normalizeOrigin(const std::string& origin) {
  std::string o = lower(trim(origin));
  while (o.size() > 1 && o.back() == '/') o.pop_back();
  const auto sep = o.find("://");
  const std::string scheme = o.substr(0, sep);
  const std::string rest = sep == std::string::npos ? "" : o.substr(sep + 3);
  if ((scheme != "http" && scheme != "https") || rest.empty() || hostName(rest).empty() ||
      rest.find_first_of("/ \t?#@") != std::string::npos)
    return Error{"\"" + origin +
                     "\" is not an origin: write scheme://host[:port], e.g. "
                     "https://judge.example.org (no path)",
                 EINVAL};
  return ownOrigin(scheme, rest);
}

Result<std::string> normalizeHost(const std::string& host) {
  const std::string h = lower(trim(host));
  const bool bracketed = !h.empty() && h.front() == '[' && h.back() == ']';
  if (h.empty() || h.find_first_of("/ \t?#@,") != std::string::npos ||
      (!bracketed && h.find(':') != std::string::npos))
    return Error{"\"" + host +
                     "\" is not a host name: write the name or address alone, without scheme "
                     "or port (e.g. judge.example.org, [2001:db8::1])",
                 EINVAL};
  return h;
}

}  // namespace codecanvas::http
