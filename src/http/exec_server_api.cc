#include "exec_server_api.h"

#include <cstdio>
#include <random>

namespace codecanvas::http::exec_server {

namespace {

using nlohmann::json;
using sandbox::RunResult;
using sandbox::RunStatus;

// That server's keys, in its order, and the codecanvas language each one means.
struct Key {
  const char* key;
  const char* language;
};
constexpr Key kKeys[] = {
    {"python", "python3"},
    {"javascript", "nodejs"},
    {"java", "java"},
    {"cpp", "c++"},
    {"c", "c"},
    {"ruby", "ruby"},
    {"go", "go"},
    {"dart", "dart"},
    {"php", "php"},
    {"rust", "rust"},
    {"csharp", "csharp"},
    {"scala", "scala"},
    {"octave", "octave"},
    {"assembly", "nasm"},
};

const jobs::LanguageProfile* offered(std::string_view key, const jobs::LanguageRegistry& reg) {
  for (const Key& k : kKeys)
    if (key == k.key) return reg.find(k.language);
  return nullptr;
}

}  // namespace

json languages(const jobs::LanguageRegistry& reg) {
  json list = json::array();
  for (const Key& k : kKeys)
    if (reg.find(k.language) != nullptr) list.push_back(k.key);
  return list;
}

std::variant<jobs::RunSpec, ApiError> parseExecute(std::string_view body,
                                                   const jobs::LanguageRegistry& reg,
                                                   const InputLimits& limits) {
  auto parsed = parseJsonObject(body, limits);
  if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
  const json& j = std::get<json>(parsed);
  auto nonEmptyString = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
  };
  if (!nonEmptyString("language") || !nonEmptyString("code"))
    return badRequest("Language and code are required");
  const std::string& key = j["language"].get_ref<const std::string&>();
  jobs::RunSpec spec;
  spec.language = offered(key, reg);
  if (spec.language == nullptr)
    return ApiError{500, "unsupported_language", "Unsupported language: " + key.substr(0, 100)};
  spec.source = j["code"].get<std::string>();
  if (spec.source.size() > limits.max_source_bytes)
    return tooLarge("code is larger than the maximum");
  if (auto in = j.find("input"); in != j.end() && !in->is_null()) {
    if (!in->is_string()) return badRequest("input must be a string");
    spec.stdin_data = in->get<std::string>();
    if (spec.stdin_data.size() > limits.max_stdin_bytes)
      return tooLarge("input is larger than the maximum");
    if (!spec.stdin_data.empty() && spec.stdin_data.back() != '\n') spec.stdin_data += '\n';
  }
  spec.limits.wall_ms = 10000;  // that server's timeout; clamped to the maximums as usual
  return spec;
}

json executeAnswer(const jobs::JobOutcome& o, const std::string& execution_id) {
  const bool compile_failed = jobs::compileFailed(o);
  const RunResult* r = nullptr;
  if (compile_failed || o.runs.empty()) {
    r = o.compile ? &*o.compile : nullptr;
  } else {
    r = &o.runs.front();
  }
  RunResult none;
  none.status = RunStatus::kInternalError;
  if (r == nullptr) r = &none;
  const int code = jobs::shellStatus(*r, r->status == RunStatus::kOk ? 0 : 1);
  const bool ok = !compile_failed && r->status == RunStatus::kOk && code == 0;
  const json out = jobs::outputText(r->stdout_data + r->stderr_data, jobs::TextEncoding::kUtf8);
  return {{"executionId", execution_id},
          {"status", ok ? "success" : "error"},
          {"output", out},
          {"exitCode", ok ? 0 : (code == 0 ? 1 : code)}};
}

std::string newExecutionId() {
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  const uint64_t a = gen(), b = gen();
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(a >> (8 * i));
    bytes[8 + i] = static_cast<unsigned char>(b >> (8 * i));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return text;
}

}  // namespace codecanvas::http::exec_server
