// Validation of the JSON bodies of POST /api/v1/run and /api/v1/judge. Pure: text in, a
// typed request or an ApiError out, whose sentence says what to fix. Unknown fields are
// ignored (the contract says so); everything else is checked for type and range.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api_types.h"
#include "jobs/code_runner.h"
#include "jobs/language_profile.h"
#include "jobs/result_json.h"

namespace codecanvas::http {

// Sizes the operator allows (bytes). The body limit itself is enforced before parsing.
struct InputLimits {
  size_t max_body_bytes = 16 << 20;
  size_t max_source_bytes = 1 << 20;
  size_t max_stdin_bytes = 8 << 20;  // per run or per test
  size_t max_args = 64;
  size_t max_arg_bytes = 4096;
  // All args of one run together: they travel to the slot's keeper in one message of at
  // most 256 KiB (kMaxMessageBytes) beside the environment and the seccomp program.
  size_t max_args_total_bytes = 64 << 10;
  size_t max_tests = 500;
  size_t max_expected_bytes = 8 << 20;  // per test
};

struct ParsedRun {
  jobs::RunSpec spec;
  jobs::TextEncoding encoding = jobs::TextEncoding::kUtf8;
};

struct ParsedJudge {
  jobs::JudgeSpec spec;
  jobs::TextEncoding encoding = jobs::TextEncoding::kUtf8;
};

// Any integer limit above this is refused rather than clamped: it is a client bug, not a
// request for "as much as allowed" (values up to it are clamped to the maximums).
inline constexpr uint64_t kLimitCeiling = 1'000'000'000'000ULL;

// The pieces every request format shares (the native API and its adapters):
// The body as a JSON object, within max_body_bytes; strings in it are valid UTF-8.
std::variant<nlohmann::json, ApiError> parseJsonObject(std::string_view body,
                                                       const InputLimits& limits);
// "args": a list of strings within max_args, max_arg_bytes and max_args_total_bytes, no
// NUL; absent or null is none. Appends to `args`.
std::optional<ApiError> parseArgs(const nlohmann::json& request, const InputLimits& limits,
                                  std::vector<std::string>& args);

// A name a file can have at the top of /box: not empty, at most 255 bytes, not "." or
// "..", no '/' and no NUL.
bool plainFileName(std::string_view name);

// The 400 for a language the registry does not hold: "<word> language "NAME"; available:
// ..." with the name cut to 100 bytes and every language the registry offers.
ApiError unknownLanguage(std::string_view name, const jobs::LanguageRegistry& languages,
                         std::string_view word = "unknown");

// A positive whole number within kLimitCeiling, named `name` in messages: 1000.0 is
// accepted as 1000, 1000.5 is not.
std::variant<uint64_t, ApiError> positiveInteger(const nlohmann::json& v, const std::string& name);

std::variant<ParsedRun, ApiError> parseRunRequest(std::string_view body,
                                                  const jobs::LanguageRegistry& languages,
                                                  const InputLimits& limits);
std::variant<ParsedJudge, ApiError> parseJudgeRequest(std::string_view body,
                                                      const jobs::LanguageRegistry& languages,
                                                      const InputLimits& limits);

}  // namespace codecanvas::http
