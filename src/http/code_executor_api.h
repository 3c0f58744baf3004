// An adapter for clients of code-executor APIs in the style of the hosted AI tools: a run
// is a resource with an id, inputs are uploaded files, and the files a program writes
// under /box/outputs/ come back as artifacts at time-limited signed URLs.
//
//   POST /v1/runs       {language, code, stdin?, args?, files?: [id | {id, name?}],
//                        limits?: {timeout_ms, cpu_ms, memory_mb, processes, output_kb}}
//                       → 200 {id, object: "run", created_at, language, version, status,
//                       verdict, stdout, stderr, exit_code, signal, duration_ms,
//                       compile_ms, cpu_ms, memory_kb, artifacts: [{id, name, size, url,
//                       expires_at}], artifacts_truncated}
//   GET /v1/runs/{id}   → the same object, while the run is kept
//   POST /v1/files      a JSON {name, content, encoding?: "utf8"|"base64"}, or the raw
//                       bytes with ?name=NAME → 201 {id, object: "file", name, size,
//                       created_at, expires_at}
//   GET /v1/artifacts/{id}?expires=UNIX&sig=HEX → the bytes (no API key: the signature is
//                       the credential); 403 for a wrong or expired signature.
//
// `status`: "completed" when the program ended by itself (whatever its exit code),
// "timeout" when a time limit stopped it, "failed" otherwise (compile error, memory or
// output limit, a signal, the sandbox's own failure); `verdict` is the native run status
// (docs/api.md). Errors are the native {"error", "code"}.
//
// Pure like the other adapters: JSON in, a RunSpec or an error out; the Api owns the
// stores (object_store.h).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api_types.h"
#include "jobs/code_runner.h"
#include "jobs/job.h"
#include "jobs/language_profile.h"
#include "object_store.h"
#include "request_parser.h"

namespace codecanvas::http::code_executor {

// The directory of /box the artifacts are collected from.
inline constexpr const char* kOutputsDir = "outputs";

// An uploaded file a run wants in /box, under its upload name or `name`.
struct FileRef {
  std::string id;
  std::optional<std::string> name;
};

struct ParsedRun {
  jobs::RunSpec spec;
  std::vector<FileRef> files;
};

inline constexpr size_t kMaxFilesPerRun = 32;

std::variant<ParsedRun, ApiError> parseRun(std::string_view body,
                                           const jobs::LanguageRegistry& languages,
                                           const InputLimits& limits);

// A name a file may have in /box: plain (no '/', not "." or ".."), at most 255 bytes, no
// NUL, and neither the language's source file nor the outputs directory.
std::optional<ApiError> checkBoxName(const std::string& name, const jobs::LanguageProfile& lang);

struct Upload {
  std::string name;
  std::string content;
};
// POST /v1/files: JSON when the Content-Type says so, raw bytes with ?name= otherwise.
std::variant<Upload, ApiError> parseUpload(const HttpRequest& request, const InputLimits& limits);

nlohmann::json fileObject(const StoredObject& o);

struct Artifact {
  StoredObject object;
  std::string url;
};
// The run's answer; `artifacts_truncated` when the caps (or the store) left files out.
nlohmann::json runAnswer(const std::string& id, int64_t created,
                         const jobs::LanguageProfile& language, const jobs::JobOutcome& outcome,
                         const std::vector<Artifact>& artifacts, bool artifacts_truncated);

// "/v1/artifacts/<id>?expires=<unix>&sig=<hex>"
std::string artifactPath(const std::string& id, int64_t expires, const UrlSigner& signer);

}  // namespace codecanvas::http::code_executor
