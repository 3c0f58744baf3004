#include "jobs/result_json.h"

#include <cmath>

namespace codecanvas::jobs {

namespace {

// Rounded to microseconds: more digits than that would be noise, not measurement.
double roundMs(double ms) {
  return std::round(ms * 1000.0) / 1000.0;
}

template <class T>
nlohmann::json orNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// nlohmann::json refuses invalid UTF-8 when serialising; a program's output may be any
// bytes, so keep it as text with the invalid sequences replaced.
std::string validUtf8(const std::string& s) {
  const auto dumped =
      nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(dumped).get<std::string>();
}

}  // namespace

std::string base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

nlohmann::json outputText(const std::string& bytes, TextEncoding encoding) {
  return encoding == TextEncoding::kBase64 ? base64Encode(bytes) : validUtf8(bytes);
}

nlohmann::json limitsToJson(const sandbox::Limits& l) {
  return {{"cpu_ms", l.cpu_ms},         {"wall_ms", l.wall_ms},     {"memory_kb", l.memory_kb},
          {"output_kb", l.output_kb},   {"processes", l.processes}, {"file_kb", l.file_kb},
          {"open_files", l.open_files}, {"stack_kb", l.stack_kb}};
}

nlohmann::json resultToJson(const sandbox::RunResult& r, TextEncoding encoding) {
  nlohmann::json j;
  j["status"] = sandbox::statusName(r.status);
  j["exit_code"] = orNull(r.exit_code);
  j["signal"] = orNull(r.signal);
  j["time_ms"] = r.time_ms ? nlohmann::json(roundMs(*r.time_ms)) : nlohmann::json(nullptr);
  j["wall_ms"] = roundMs(r.wall_ms);
  j["memory_kb"] = orNull(r.memory_kb);
  j["stdout"] = outputText(r.stdout_data, encoding);
  j["stderr"] = outputText(r.stderr_data, encoding);
  j["stdout_truncated"] = r.stdout_truncated;
  j["stderr_truncated"] = r.stderr_truncated;
  j["error"] = r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error);
  if (!r.failed_step.empty()) {
    j["failed_step"] = r.failed_step;
    j["errno"] = r.failed_errno;
  }
  j["measured"] = {{"cpu", sandbox::sourceName(r.cpu_source)},
                   {"memory", sandbox::sourceName(r.memory_source)}};
  j["limits"] = limitsToJson(r.limits);
  return j;
}

}  // namespace codecanvas::jobs
