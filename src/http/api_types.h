// The HTTP layer's view of a request and a response, independent of the HTTP library, so
// the whole API (routing, validation, JSON) is a function that tests call without sockets.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jobs/job.h"

namespace codecanvas::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
  // Set by the server when it can tell that the client went away: the job the request
  // started is cancelled through it (nothing would read its answer). Null: never.
  std::shared_ptr<jobs::JobCancel> cancel;
  std::string query;  // the request target after '?', as sent (not decoded)
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A 4xx/5xx answer in the contract's shape: {"error": sentence, "code": machine code}.
struct ApiError {
  int status = 400;
  std::string code = "bad_request";
  std::string message;
};

HttpResponse errorResponse(const ApiError& e);

// The refusals every request format gives (the native API and its adapters): 400 for what
// is wrong in the request, 413 for what is too large.
inline ApiError badRequest(std::string message) {
  return ApiError{400, "bad_request", std::move(message)};
}
inline ApiError tooLarge(std::string message) {
  return ApiError{413, "too_large", std::move(message)};
}

// %XX sequences decoded (a '%' not followed by two hex digits stays as it is); '+' is a
// space when `plus_is_space` (a query string's form encoding).
std::string percentDecode(std::string_view text, bool plus_is_space = false);
// The decoded value of the first `name=value` in a query string; nullopt when absent.
std::optional<std::string> queryParam(std::string_view query, std::string_view name);

}  // namespace codecanvas::http
