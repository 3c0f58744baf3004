#include "access.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <set>

namespace codecanvas::http {

namespace {

constexpr size_t kMinKeyLength = 16;
constexpr size_t kMaxKeyLength = 256;

uint64_t burstOf(const ApiKey& k) {
  if (k.burst != 0) return k.burst;
  return std::max<uint64_t>(1, (k.requests_per_minute + 5) / 6);  // ten seconds' worth
}

// Equal strings, in time that depends only on the lengths: a key is not guessed byte by
// byte from response times.
bool sameKey(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

HttpResponse unauthorized(const std::string& why) {
  HttpResponse r = errorResponse(ApiError{401, "unauthorized", why});
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"codecanvas\"");
  return r;
}

}  // namespace

Status validateApiKeys(const std::vector<ApiKey>& keys) {
  std::set<std::string> names, values;
  for (size_t i = 0; i < keys.size(); ++i) {
    const ApiKey& k = keys[i];
    const std::string which = "api_keys[" + std::to_string(i) + "]";
    if (k.name.empty() || k.name.size() > 64)
      return Error{which + ": \"name\" must be 1 to 64 characters", EINVAL};
    if (k.key.size() < kMinKeyLength || k.key.size() > kMaxKeyLength)
      return Error{which + " (" + k.name + "): \"key\" must be " + std::to_string(kMinKeyLength) +
                       " to " + std::to_string(kMaxKeyLength) + " characters",
                   EINVAL};
    for (char c : k.key)
      if (c <= ' ' || c > '~')
        return Error{
            which + " (" + k.name + "): \"key\" may hold printable ASCII only, without spaces",
            EINVAL};
    if (!names.insert(k.name).second)
      return Error{which + ": the name \"" + k.name + "\" is used twice", EINVAL};
    if (!values.insert(k.key).second)
      return Error{which + " (" + k.name + "): the same key is configured twice", EINVAL};
  }
  return {};
}

std::string presentedKey(const HttpRequest& request) {
  if (auto it = request.headers.find("authorization"); it != request.headers.end()) {
    const std::string v = trim(it->second);
    if (v.size() > 7 && (v.compare(0, 7, "Bearer ") == 0 || v.compare(0, 7, "bearer ") == 0))
      return trim(v.substr(7));
    return "";
  }
  if (auto it = request.headers.find("x-api-key"); it != request.headers.end())
    return trim(it->second);
  // A browser cannot set headers on a WebSocket: the web page offers the subprotocol
  // "codecanvas.key.<the key in hex>" beside "codecanvas" instead.
  if (auto it = request.headers.find("sec-websocket-protocol"); it != request.headers.end())
    return keyOfSubprotocols(it->second);
  return "";
}

std::string keyOfSubprotocols(const std::string& header) {
  constexpr std::string_view kPrefix = "codecanvas.key.";
  size_t start = 0;
  while (start <= header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string::npos) end = header.size();
    const std::string item = trim(header.substr(start, end - start));
    start = end + 1;
    if (item.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    const std::string hex = item.substr(kPrefix.size());
    if (hex.empty() || hex.size() % 2 != 0) return "";
    std::string key;
    for (size_t i = 0; i < hex.size(); i += 2) {
      const auto digit = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      };
      const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
      if (hi < 0 || lo < 0) return "";
      key += static_cast<char>(hi * 16 + lo);
    }
    return key;
  }
  return "";
}

AccessControl::AccessControl(std::vector<ApiKey> keys, Clock clock) : clock_(std::move(clock)) {
  const auto now = clock_();
  for (auto& k : keys) {
    const double full = static_cast<double>(burstOf(k));
    buckets_.push_back(Bucket{std::move(k), full, now});
  }
}

AccessControl::Bucket* AccessControl::find(const std::string& presented) {
  Bucket* found = nullptr;
  for (Bucket& b : buckets_)  // every key compared, found or not
    if (sameKey(b.key.key, presented)) found = &b;
  return found;
}

AccessControl::Verdict AccessControl::check(const HttpRequest& request) {
  Verdict v;
  if (open()) return v;
  const bool has_header = request.headers.count("authorization") != 0 ||
                          request.headers.count("x-api-key") != 0 || !presentedKey(request).empty();
  const std::string presented = presentedKey(request);
  std::lock_guard lock(mutex_);
  Bucket* b = presented.empty() ? nullptr : find(presented);
  if (b == nullptr) {
    v.refusal = unauthorized(
        !has_header         ? "this server needs an API key: send \"Authorization: Bearer KEY\" or "
                              "\"X-API-Key: KEY\""
        : presented.empty() ? "the Authorization header must read \"Bearer KEY\""
                            : "the API key is not valid on this server");
    return v;
  }
  v.key_name = b->key.name;
  if (b->key.requests_per_minute == 0) return v;
  const auto now = clock_();
  const double rate = static_cast<double>(b->key.requests_per_minute) / 60.0;  // per second
  const double full = static_cast<double>(burstOf(b->key));
  const double elapsed = std::chrono::duration<double>(now - b->updated).count();
  b->tokens = std::min(full, b->tokens + std::max(0.0, elapsed) * rate);
  b->updated = now;
  if (b->tokens >= 1.0) {
    b->tokens -= 1.0;
    return v;
  }
  const auto wait_s = static_cast<long long>(std::ceil((1.0 - b->tokens) / rate));
  HttpResponse r = errorResponse(ApiError{
      429, "rate_limited",
      "the key \"" + b->key.name + "\" may send " + std::to_string(b->key.requests_per_minute) +
          " requests a minute (bursts of " + std::to_string(burstOf(b->key)) + "); try again in " +
          std::to_string(std::max(1LL, wait_s)) + " s"});
  r.headers.emplace_back("Retry-After", std::to_string(std::max(1LL, wait_s)));
  v.refusal = std::move(r);
  return v;
}

}  // namespace codecanvas::http
