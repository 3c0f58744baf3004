#include "code_executor_api.h"

#include "jobs/result_json.h"

namespace codecanvas::http::code_executor {

namespace {

using nlohmann::json;
using sandbox::RunResult;
using sandbox::RunStatus;

std::optional<ApiError> optionalString(const json& j, const char* key, size_t max_bytes,
                                       std::string& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return badRequest(std::string("\"") + key + "\" must be a string");
  if (it->get_ref<const std::string&>().size() > max_bytes)
    return tooLarge(std::string("\"") + key + "\" is larger than the maximum (" +
                    std::to_string(max_bytes / 1024) + " KiB)");
  out = it->get<std::string>();
  return std::nullopt;
}

std::optional<ApiError> parseLimits(const json& j, jobs::RequestedLimits& out) {
  auto it = j.find("limits");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_object())
    return badRequest(
        "\"limits\" must be an object like {\"timeout_ms\": 5000, \"memory_mb\": 256}");
  struct Field {
    const char* key;
    std::optional<uint64_t> jobs::RequestedLimits::*member;
    uint64_t unit;  // the native limit's units in one of this field's
  };
  static constexpr Field kFields[] = {
      {"timeout_ms", &jobs::RequestedLimits::wall_ms, 1},
      {"cpu_ms", &jobs::RequestedLimits::cpu_ms, 1},
      {"memory_mb", &jobs::RequestedLimits::memory_kb, 1024},
      {"processes", &jobs::RequestedLimits::processes, 1},
      {"output_kb", &jobs::RequestedLimits::output_kb, 1},
  };
  for (const Field& f : kFields) {
    auto v = it->find(f.key);
    if (v == it->end() || v->is_null()) continue;
    auto value = positiveInteger(*v, std::string("limits.") + f.key);
    if (auto* e = std::get_if<ApiError>(&value)) return *e;
    out.*(f.member) = std::get<uint64_t>(value) * f.unit;
  }
  return std::nullopt;
}

std::optional<ApiError> parseFiles(const json& j, std::vector<FileRef>& out) {
  auto it = j.find("files");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_array())
    return badRequest("\"files\" must be a list of uploaded file ids (POST /v1/files)");
  if (it->size() > kMaxFilesPerRun)
    return badRequest("at most " + std::to_string(kMaxFilesPerRun) + " files per run");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& f = (*it)[i];
    const std::string where = "files[" + std::to_string(i) + "]";
    FileRef ref;
    if (f.is_string()) {
      ref.id = f.get<std::string>();
    } else if (f.is_object() && f.contains("id") && f["id"].is_string()) {
      ref.id = f["id"].get<std::string>();
      std::string name;
      if (auto e = optionalString(f, "name", 255, name))
        return badRequest(where + ": " + e->message);
      if (f.contains("name") && !f["name"].is_null()) ref.name = name;
    } else {
      return badRequest(where + " must be a file id or {\"id\": ..., \"name\": ...}");
    }
    if (ref.id.empty() || ref.id.size() > 64) return badRequest(where + ": not a file id");
    out.push_back(std::move(ref));
  }
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> checkBoxName(const std::string& name, const jobs::LanguageProfile& lang) {
  if (!plainFileName(name))
    return badRequest("file name \"" + name.substr(0, 100) +
                      "\" must be a plain name (no '/', at most 255 bytes)");
  if (name == lang.source_file || name == kOutputsDir)
    return badRequest("file name \"" + name + "\" is taken in /box (the program's source or " +
                      kOutputsDir + "/)");
  return std::nullopt;
}

std::variant<ParsedRun, ApiError> parseRun(std::string_view body,
                                           const jobs::LanguageRegistry& languages,
                                           const InputLimits& limits) {
  auto parsed = parseJsonObject(body, limits);
  if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
  const json& j = std::get<json>(parsed);
  ParsedRun p;
  std::string language;
  if (auto e = optionalString(j, "language", 256, language)) return *e;
  if (language.empty()) return badRequest("\"language\" is required");
  p.spec.language = languages.find(language);
  if (p.spec.language == nullptr) return unknownLanguage(language, languages);
  if (!j.contains("code") || !j["code"].is_string())
    return badRequest("\"code\" is required, as a string");
  if (auto e = optionalString(j, "code", limits.max_source_bytes, p.spec.source)) return *e;
  if (auto e = optionalString(j, "stdin", limits.max_stdin_bytes, p.spec.stdin_data)) return *e;
  if (auto e = parseArgs(j, limits, p.spec.args)) return *e;
  if (auto e = parseLimits(j, p.spec.limits)) return *e;
  if (auto e = parseFiles(j, p.files)) return *e;
  for (const FileRef& f : p.files)
    if (f.name)
      if (auto e = checkBoxName(*f.name, *p.spec.language)) return *e;
  return p;
}

std::variant<Upload, ApiError> parseUpload(const HttpRequest& req, const InputLimits& limits) {
  Upload u;
  auto type = req.headers.find("content-type");
  const bool is_json = type != req.headers.end() && type->second.rfind("application/json", 0) == 0;
  if (is_json) {
    auto parsed = parseJsonObject(req.body, limits);
    if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
    const json& j = std::get<json>(parsed);
    if (auto e = optionalString(j, "name", 255, u.name)) return *e;
    if (!j.contains("content") || !j["content"].is_string())
      return badRequest("\"content\" is required, as a string");
    std::string encoding = "utf8";
    if (auto e = optionalString(j, "encoding", 16, encoding)) return *e;
    const std::string& content = j["content"].get_ref<const std::string&>();
    if (encoding == "utf8" || encoding == "utf-8") {
      u.content = content;
    } else if (encoding == "base64") {
      auto bytes = jobs::base64Decode(content);
      if (!bytes) return badRequest("\"content\" is not valid base64");
      u.content = std::move(*bytes);
    } else {
      return badRequest("\"encoding\" must be \"utf8\" or \"base64\"");
    }
  } else {
    auto name = queryParam(req.query, "name");
    if (!name)
      return badRequest(
          "send the file as the body with ?name=FILE_NAME, or as JSON {\"name\", \"content\"} "
          "with Content-Type: application/json");
    u.name = std::move(*name);
    u.content = req.body;
  }
  if (u.name.empty()) return badRequest("the file needs a \"name\"");
  if (u.name.size() > 255 || u.name == "." || u.name == ".." ||
      u.name.find('/') != std::string::npos || u.name.find('\0') != std::string::npos)
    return badRequest("file name \"" + u.name.substr(0, 100) +
                      "\" must be a plain name (no '/', at most 255 bytes)");
  return u;
}

json fileObject(const StoredObject& o) {
  return {{"id", o.id},     {"object", "file"},        {"name", o.name},
          {"size", o.size}, {"created_at", o.created}, {"expires_at", o.expires}};
}

json runAnswer(const std::string& id, int64_t created, const jobs::LanguageProfile& language,
               const jobs::JobOutcome& o, const std::vector<Artifact>& artifacts,
               bool artifacts_truncated) {
  const bool compile_failed = jobs::compileFailed(o);
  RunResult none;
  none.status = RunStatus::kInternalError;
  none.error = "the program did not run";
  const RunResult& r = compile_failed ? *o.compile : o.runs.empty() ? none : o.runs.front();
  std::string verdict = compile_failed ? "compile_error" : sandbox::statusName(r.status);
  std::string status = "failed";
  if (!compile_failed) {
    if (r.status == RunStatus::kOk || r.status == RunStatus::kRuntimeError)
      status = r.exit_code ? "completed" : "failed";
    else if (r.status == RunStatus::kTimeLimit || r.status == RunStatus::kWallTimeLimit)
      status = "timeout";
  }
  json list = json::array();
  for (const Artifact& a : artifacts)
    list.push_back({{"id", a.object.id},
                    {"name", a.object.name},
                    {"size", a.object.size},
                    {"url", a.url},
                    {"expires_at", a.object.expires}});
  // A compile error's messages: what the compiler wrote to either stream, in stderr.
  const std::string stderr_text = compile_failed ? r.stdout_data + r.stderr_data : r.stderr_data;
  return {
      {"id", id},
      {"object", "run"},
      {"created_at", created},
      {"language", language.name},
      {"version", language.version},
      {"status", status},
      {"verdict", verdict},
      {"error", r.error.empty() ? json(nullptr) : json(r.error)},
      {"stdout", jobs::outputText(compile_failed ? "" : r.stdout_data, jobs::TextEncoding::kUtf8)},
      {"stderr", jobs::outputText(stderr_text, jobs::TextEncoding::kUtf8)},
      {"exit_code", r.exit_code ? json(*r.exit_code) : json(nullptr)},
      {"signal", r.signal ? json(*r.signal) : json(nullptr)},
      {"duration_ms", std::llround(compile_failed ? o.compile_ms : r.wall_ms)},
      {"compile_ms", std::llround(o.compile_ms)},
      {"cpu_ms", r.time_ms ? json(std::llround(*r.time_ms)) : json(nullptr)},
      {"memory_kb", r.memory_kb ? json(*r.memory_kb) : json(nullptr)},
      {"artifacts", list},
      {"artifacts_truncated", artifacts_truncated}};
}

std::string artifactPath(const std::string& id, int64_t expires, const UrlSigner& signer) {
  return "/v1/artifacts/" + id + "?expires=" + std::to_string(expires) +
         "&sig=" + signer.sign(id, expires);
}

}  // namespace codecanvas::http::code_executor
