// API keys and per-key rate limits (the contract's 401 `unauthorized` and 429
// `rate_limited`). Without configured keys the API is open, as on a loopback-only
// default install. With keys, every API request (everything but GET /health and the web
// page's files) must carry one, as "Authorization: Bearer KEY" or "X-API-Key: KEY", and
// each key has a token bucket: `requests_per_minute` refill it evenly, and it holds at
// most `burst` requests. Thread-safe: the HTTP request threads call check() at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api_types.h"
#include "result.h"

namespace codecanvas::http {

struct ApiKey {
  std::string name;                  // shown in logs, never the key itself
  std::string key;                   // 16 to 256 printable ASCII characters, no spaces
  uint64_t requests_per_minute = 0;  // 0: no rate limit
  uint64_t burst = 0;                // 0: ten seconds' worth, at least 1
};

// Checks a key as the config file gives it: the sentence says what to fix.
Status validateApiKeys(const std::vector<ApiKey>& keys);

class AccessControl {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `keys` must have passed validateApiKeys. `clock` is for tests.
  explicit AccessControl(std::vector<ApiKey> keys, Clock clock = std::chrono::steady_clock::now);

  bool open() const { return buckets_.empty(); }

  struct Verdict {
    std::optional<HttpResponse> refusal;  // 401 or 429, ready to send; nullopt: go ahead
    std::string key_name;                 // the key that was used ("" when none or open)
  };
  // Takes one request from the key's bucket when the request may go ahead.
  Verdict check(const HttpRequest& request);

 private:
  struct Bucket {
    ApiKey key;
    double tokens = 0;
    std::chrono::steady_clock::time_point updated;
  };
  // The bucket whose key the request presents, compared in constant time per key.
  Bucket* find(const std::string& presented);

  Clock clock_;
  std::mutex mutex_;
  std::vector<Bucket> buckets_;
};

// The key a request presents: the Bearer token of Authorization, else X-API-Key, else (a
// WebSocket upgrade from a browser) the subprotocol "codecanvas.key.<hex>"; "" when it
// presents none.
std::string presentedKey(const HttpRequest& request);
// The key in a Sec-WebSocket-Protocol list ("codecanvas, codecanvas.key.6a75..."), lower-
// case hex decoded; "" when there is none or it is not hex.
std::string keyOfSubprotocols(const std::string& header);

}  // namespace codecanvas::http
