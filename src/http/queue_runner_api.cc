#include "queue_runner_api.h"

#include <cmath>

#include "jobs/result_json.h"

namespace codecanvas::http::queue_runner {

namespace {

using nlohmann::json;
using sandbox::RunResult;
using sandbox::RunStatus;

}  // namespace

std::variant<jobs::RunSpec, ApiError> parseRun(std::string_view body,
                                               const jobs::LanguageRegistry& languages,
                                               const InputLimits& limits) {
  auto parsed = parseJsonObject(body, limits);
  if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
  const json& j = std::get<json>(parsed);
  auto text = [&](const char* key) -> const std::string* {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  const std::string* language = text("language");
  const std::string* source = text("source_code");
  if (language == nullptr || language->empty() || source == nullptr || source->empty())
    return badRequest("\"language\" and \"source_code\" are required, as non-empty strings");
  jobs::RunSpec spec;
  spec.language = languages.find(*language);
  if (spec.language == nullptr) return unknownLanguage(*language, languages, "unsupported");
  if (source->size() > limits.max_source_bytes) return tooLarge("source_code is too large");
  spec.source = *source;
  if (auto it = j.find("stdin"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return badRequest("\"stdin\" must be a string");
    if (it->get_ref<const std::string&>().size() > limits.max_stdin_bytes)
      return tooLarge("stdin is too large");
    spec.stdin_data = it->get<std::string>();
  }
  return spec;
}

json runAnswer(const jobs::JobOutcome& o) {
  const bool compile_failed = jobs::compileFailed(o);
  RunResult none;
  none.status = RunStatus::kInternalError;
  const RunResult& r = compile_failed ? *o.compile : o.runs.empty() ? none : o.runs.front();
  const int exit_code = jobs::shellStatus(r, 1);
  const bool timeout = !compile_failed &&
                       (r.status == RunStatus::kTimeLimit || r.status == RunStatus::kWallTimeLimit);
  const std::string out = compile_failed ? "" : r.stdout_data;
  const std::string err = compile_failed ? r.stdout_data + r.stderr_data : r.stderr_data;
  return {{"stdout", jobs::outputText(out, jobs::TextEncoding::kUtf8)},
          {"stderr", jobs::outputText(err, jobs::TextEncoding::kUtf8)},
          {"exit_code", exit_code},
          {"timeout", timeout},
          {"exec_time_ms", std::llround(compile_failed ? o.compile_ms : r.wall_ms)}};
}

}  // namespace codecanvas::http::queue_runner
