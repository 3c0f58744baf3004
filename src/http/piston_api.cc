#include "piston_api.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "jobs/result_json.h"
#include "sandbox/run_status.h"

namespace codecanvas::http::piston {

namespace {

using nlohmann::json;
using sandbox::RunResult;
using sandbox::RunStatus;

// ---- versions

using Version = std::vector<long>;

// "3.11.2" → {3, 11, 2}; nullopt for anything else.
std::optional<Version> parseVersion(std::string_view s) {
  Version v;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i || j - i > 9) return std::nullopt;
    v.push_back(std::stol(std::string(s.substr(i, j - i))));
    if (j == s.size()) break;
    if (s[j] != '.') return std::nullopt;
    i = j + 1;
    if (i == s.size()) return std::nullopt;
  }
  if (v.empty()) return std::nullopt;
  return v;
}

int compare(const Version& a, const Version& b) {
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const long x = i < a.size() ? a[i] : 0, y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

bool isWildcard(std::string_view s) {
  return s == "*" || s == "x" || s == "X";
}

// One comparator ("^3.1", ">=3", "3.x", "*") against a version.
bool comparatorHolds(const Version& v, std::string_view c) {
  if (c.empty() || isWildcard(c)) return true;
  std::string_view op;
  for (std::string_view o : {">=", "<=", ">", "<", "=", "^", "~"})
    if (c.substr(0, o.size()) == o) {
      op = o;
      break;
    }
  std::string_view rest = c.substr(op.size());
  if (!rest.empty() && (rest.front() == 'v' || rest.front() == '=')) rest.remove_prefix(1);
  // x-ranges: "3.x", "3.11.*" keep the numbered prefix; the rest may be anything.
  std::string numbers(rest);
  for (std::string_view w : {".x", ".X", ".*"})
    while (numbers.size() >= 2 && numbers.substr(numbers.size() - 2) == w)
      numbers.resize(numbers.size() - 2);
  if (isWildcard(numbers)) return op.empty() || op == "=" || op == ">=" || op == "<=";
  auto want = parseVersion(numbers);
  if (!want) return false;
  const size_t n = want->size();  // how many components the range names
  auto prefixEqual = [&](size_t k) {
    for (size_t i = 0; i < k; ++i)
      if ((i < v.size() ? v[i] : 0) != (*want)[i]) return false;
    return true;
  };
  if (op.empty() || op == "=") return prefixEqual(n);  // "3.11" is 3.11.x
  if (op == ">=") return compare(v, *want) >= 0;
  if (op == "<=") return compare(v, *want) <= 0 || prefixEqual(n);
  if (op == ">") return compare(v, *want) > 0 && !prefixEqual(n);
  if (op == "<") return compare(v, *want) < 0 && !prefixEqual(n);
  if (op == "~") return compare(v, *want) >= 0 && prefixEqual(n >= 2 ? 2 : 1);
  // "^": the leftmost non-zero component stays.
  size_t keep = 0;
  while (keep + 1 < n && (*want)[keep] == 0) ++keep;
  return compare(v, *want) >= 0 && prefixEqual(keep + 1);
}

std::vector<std::string_view> split(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    out.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + sep.size();
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// ---- files

std::optional<std::string> decodeHex(std::string_view in) {
  if (in.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < in.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nibble(in[i]), lo = nibble(in[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// ---- limits: -1, 0 and null are "the default"; a number in the given unit otherwise.

std::optional<ApiError> limitField(const json& j, const char* key, uint64_t divisor,
                                   std::optional<uint64_t>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number())
    return badRequest(std::string("If specified, ") + key + " must be a number");
  const double d = it->get<double>();
  if (d == -1 || d == 0) return std::nullopt;
  if (d < 0) return badRequest(std::string(key) + " must be non-negative");
  if (d > 1e15) return badRequest(std::string(key) + " is out of range");
  out = std::max<uint64_t>(1, static_cast<uint64_t>((d + divisor - 1) / divisor));
  return std::nullopt;
}

// ---- answers

// Piston's status letters: RE exit code, SG signal, TO time, OL stdout too long, EL
// stderr too long, XX the sandbox's own failure; null when the program ended with 0.
json stageJson(const RunResult& r) {
  json status = nullptr;
  json signal = r.signal ? json(sandbox::signalName(*r.signal)) : json(nullptr);
  json code = r.signal ? json(nullptr) : (r.exit_code ? json(*r.exit_code) : json(nullptr));
  switch (r.status) {
    case RunStatus::kOk:
      break;
    case RunStatus::kRuntimeError:
      status = r.signal ? "SG" : "RE";
      break;
    case RunStatus::kTimeLimit:
    case RunStatus::kWallTimeLimit:
      status = "TO";
      signal = "SIGKILL";
      code = nullptr;
      break;
    case RunStatus::kOutputLimit:
      status = r.stdout_truncated || !r.stderr_truncated ? "OL" : "EL";
      signal = "SIGKILL";
      code = nullptr;
      break;
    case RunStatus::kMemoryLimit:
      status = "SG";
      signal = "SIGKILL";
      code = nullptr;
      break;
    case RunStatus::kSyscallBlocked:
      status = "SG";
      break;
    case RunStatus::kKilled:
      status = "SG";
      signal = "SIGKILL";
      code = nullptr;
      break;
    case RunStatus::kInternalError:
      status = "XX";
      break;
  }
  // Piston's "output" is stdout and stderr as they interleaved; two pipes cannot tell
  // that order afterwards, so it is stdout, then stderr.
  const json out = jobs::outputText(r.stdout_data, jobs::TextEncoding::kUtf8);
  const json err = jobs::outputText(r.stderr_data, jobs::TextEncoding::kUtf8);
  return {{"stdout", out},
          {"stderr", err},
          {"output", out.get<std::string>() + err.get<std::string>()},
          {"code", code},
          {"signal", signal},
          {"message", r.status == RunStatus::kOk ? json(nullptr) : json(r.error)},
          {"status", status},
          {"cpu_time", r.time_ms ? json(static_cast<int64_t>(*r.time_ms + 0.5)) : json(nullptr)},
          {"wall_time", static_cast<int64_t>(r.wall_ms + 0.5)},
          {"memory", r.memory_kb ? json(*r.memory_kb * 1024) : json(nullptr)}};
}

}  // namespace

bool versionSatisfies(std::string_view version, std::string_view range) {
  auto v = parseVersion(version);
  if (!v) return trim(range).empty() || isWildcard(trim(range));
  for (std::string_view alternative : split(range, "||")) {
    bool all = true;
    for (std::string_view c : split(trim(alternative), " "))
      if (!trim(c).empty() && !comparatorHolds(*v, trim(c))) all = false;
    if (all) return true;
  }
  return false;
}

json runtimes(const jobs::LanguageRegistry& languages) {
  json list = json::array();
  for (const auto& l : languages.all())
    list.push_back({{"language", l.name},
                    {"version", l.version},
                    {"aliases", l.aliases},
                    {"runtime", l.run_argv.empty() ? l.name : l.run_argv.front()}});
  return list;
}

json packages(const jobs::LanguageRegistry& languages) {
  json list = json::array();
  for (const auto& l : languages.all())
    list.push_back({{"language", l.name}, {"language_version", l.version}, {"installed", true}});
  return list;
}

std::variant<jobs::RunSpec, ApiError> parseExecute(std::string_view body,
                                                   const jobs::LanguageRegistry& languages,
                                                   const InputLimits& limits) {
  auto parsed = parseJsonObject(body, limits);
  if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
  const json& j = std::get<json>(parsed);
  jobs::RunSpec spec;

  auto lang = j.find("language");
  if (lang == j.end() || !lang->is_string() || lang->get_ref<const std::string&>().empty())
    return badRequest("language is required as a string");
  std::string version = "*";
  if (auto v = j.find("version"); v != j.end() && !v->is_null()) {
    if (!v->is_string()) return badRequest("version is required as a string");
    version = v->get<std::string>();
  }
  const std::string& name = lang->get_ref<const std::string&>();
  spec.language = languages.find(name);
  if (spec.language == nullptr || !versionSatisfies(spec.language->version, version))
    return badRequest(name.substr(0, 100) + "-" + version.substr(0, 50) + " runtime is unknown");

  auto files = j.find("files");
  if (files == j.end() || !files->is_array()) return badRequest("files is required as an array");
  if (files->size() > 64) return badRequest("files has more than 64 entries");
  // The program is the first file in utf8 (Piston runs the first of those); every other
  // file goes to /box under its name ("file<i>.code" without one).
  size_t total = 0;
  bool have_program = false;
  for (size_t i = 0; i < files->size(); ++i) {
    const json& f = (*files)[i];
    const std::string where = "files[" + std::to_string(i) + "]";
    if (!f.is_object()) return badRequest(where + " must be an object");
    auto content = f.find("content");
    if (content == f.end() || !content->is_string())
      return badRequest(where + ".content is required as a string");
    std::string encoding = "utf8";
    if (auto e = f.find("encoding"); e != f.end() && !e->is_null()) {
      if (!e->is_string()) return badRequest(where + ".encoding must be a string");
      encoding = e->get<std::string>();
    }
    std::optional<std::string> bytes;
    const auto& text = content->get_ref<const std::string&>();
    if (encoding == "utf8")
      bytes = text;
    else if (encoding == "base64")
      bytes = jobs::base64Decode(text);
    else if (encoding == "hex")
      bytes = decodeHex(text);
    else
      return badRequest(where + ".encoding must be utf8, base64 or hex");
    if (!bytes) return badRequest(where + ".content is not valid " + encoding);
    total += bytes->size();
    if (total > limits.max_source_bytes)
      return tooLarge("the files add up to more than " +
                      std::to_string(limits.max_source_bytes / 1024) + " KiB");
    if (!have_program && encoding == "utf8") {
      have_program = true;
      spec.source = std::move(*bytes);
      continue;
    }
    // Without a name, or with an empty one (some clients send ""), Piston's default.
    std::string file_name = "file" + std::to_string(i) + ".code";
    if (auto n = f.find("name"); n != f.end() && !n->is_null()) {
      if (!n->is_string()) return badRequest(where + ".name must be a string");
      const std::string& given = n->get_ref<const std::string&>();
      if (!given.empty() && !plainFileName(given))
        return badRequest(where + ".name must be a plain file name (no '/')");
      if (!given.empty()) file_name = given;
    }
    if (file_name == spec.language->source_file)
      return badRequest(where + ".name is " + file_name +
                        ", the name the program (the first utf8 file) is stored under");
    for (const auto& other : spec.files)
      if (other.name == file_name) return badRequest("two files are named " + file_name);
    spec.files.push_back(sandbox::BoxFile{file_name, std::move(*bytes), "", 0644});
  }
  if (!have_program) return badRequest("files must include at least one utf8 encoded file");

  if (auto s = j.find("stdin"); s != j.end() && !s->is_null()) {
    if (!s->is_string()) return badRequest("stdin must be a string");
    if (s->get_ref<const std::string&>().size() > limits.max_stdin_bytes)
      return tooLarge("stdin is larger than the maximum");
    spec.stdin_data = s->get<std::string>();
  }
  // Piston ends stdin with a newline when it has none (an empty one too): programs that
  // read a line find it there as they would on Piston.
  if (spec.stdin_data.empty() || spec.stdin_data.back() != '\n') spec.stdin_data += '\n';
  if (auto e = parseArgs(j, limits, spec.args)) return *e;
  // The run's limits; the compile step's (compile_timeout, compile_cpu_time,
  // compile_memory_limit) are checked for type and otherwise left to the language.
  std::optional<uint64_t> ignored;
  for (const char* k : {"compile_timeout", "compile_cpu_time", "compile_memory_limit"})
    if (auto e = limitField(j, k, 1, ignored)) return *e;
  if (auto e = limitField(j, "run_timeout", 1, spec.limits.wall_ms)) return *e;
  if (auto e = limitField(j, "run_cpu_time", 1, spec.limits.cpu_ms)) return *e;
  if (auto e = limitField(j, "run_memory_limit", 1024, spec.limits.memory_kb)) return *e;
  return spec;
}

json executeAnswer(const jobs::LanguageProfile& language, const jobs::JobOutcome& o) {
  json j = {{"language", language.name}, {"version", language.version}};
  if (o.compile) j["compile"] = stageJson(*o.compile);
  if (!o.runs.empty())
    j["run"] = stageJson(o.runs.front());
  else if (o.compile)
    j["run"] = j["compile"];  // the program never ran: Piston repeats the compile stage
  return j;
}

json runtimeMessage(const jobs::LanguageProfile& language) {
  return {{"type", "runtime"}, {"language", language.name}, {"version", language.version}};
}

json exitMessage(const char* stage, const RunResult& r) {
  const json s = stageJson(r);
  return {{"type", "exit"}, {"stage", stage}, {"code", s["code"]}, {"signal", s["signal"]}};
}

bool isSignalName(std::string_view name) {
  // Piston accepts the names of signals 1 to 31.
  for (int sig = 1; sig <= 31; ++sig)
    if (sandbox::signalName(sig) == name) return true;
  return false;
}

HttpResponse asPistonError(HttpResponse native) {
  if (native.status < 400) return native;
  std::string message = "error";
  try {
    auto j = json::parse(native.body);
    if (j.is_object() && j.contains("error") && j["error"].is_string())
      message = j["error"].get<std::string>();
  } catch (const json::exception&) {
  }
  native.body = json{{"message", message}}.dump(-1, ' ', false, json::error_handler_t::replace);
  return native;
}

}  // namespace codecanvas::http::piston
