#include "request_parser.h"

#include <nlohmann/json.hpp>

namespace codecanvas::http {

namespace {

using jobs::JudgeTest;
using jobs::LanguageRegistry;
using jobs::RequestedLimits;
using jobs::RunSpec;
using nlohmann::json;

std::string kib(size_t bytes) {
  return std::to_string(bytes / 1024) + " KiB";
}

// At most `max_bytes` of `s` (cut before a whole UTF-8 character), "..." marking the cut.
std::string shortened(std::string s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  s.resize(cut);
  return s + "...";
}

// A string field. Missing: nullopt when optional, an error when required.
std::variant<std::optional<std::string>, ApiError> stringField(const json& obj, const char* key,
                                                               bool required, size_t max_bytes,
                                                               const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return badRequest("\"" + where + key + "\" is required");
    return std::optional<std::string>();
  }
  if (!it->is_string()) return badRequest("\"" + where + key + "\" must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max_bytes)
    return tooLarge("\"" + where + key + "\" is " + kib(s.size()) + "; the maximum is " +
                    kib(max_bytes));
  return std::optional<std::string>(s);
}

std::variant<RequestedLimits, ApiError> limitsField(const json& obj) {
  RequestedLimits out;
  auto it = obj.find("limits");
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_object())
    return badRequest("\"limits\" must be an object like {\"cpu_ms\": 1000, \"memory_kb\": 65536}");
  struct Field {
    const char* key;
    std::optional<uint64_t> RequestedLimits::*member;
  };
  static constexpr Field kFields[] = {
      {"cpu_ms", &RequestedLimits::cpu_ms},       {"wall_ms", &RequestedLimits::wall_ms},
      {"memory_kb", &RequestedLimits::memory_kb}, {"output_kb", &RequestedLimits::output_kb},
      {"processes", &RequestedLimits::processes},
  };
  for (const auto& f : kFields) {
    auto v = it->find(f.key);
    if (v == it->end() || v->is_null()) continue;
    auto value = positiveInteger(*v, std::string("limits.") + f.key);
    if (auto* e = std::get_if<ApiError>(&value)) return *e;
    out.*(f.member) = std::get<uint64_t>(value);
  }
  return out;
}

// "job_limits": {"wall_ms", "cpu_ms", "output_kb"}: what the whole judge may use; each is
// clamped to the operator's maximum later.
std::variant<jobs::JobBudget, ApiError> jobLimitsField(const json& obj) {
  jobs::JobBudget out;
  auto it = obj.find("job_limits");
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_object())
    return badRequest("\"job_limits\" must be an object like {\"wall_ms\": 60000}");
  struct Field {
    const char* key;
    uint64_t jobs::JobBudget::*member;
    uint64_t unit;  // the budget's units in one of the request's (KiB: 1024 bytes)
  };
  static constexpr Field kFields[] = {{"wall_ms", &jobs::JobBudget::wall_ms, 1},
                                      {"cpu_ms", &jobs::JobBudget::cpu_ms, 1},
                                      {"output_kb", &jobs::JobBudget::output_bytes, 1024}};
  for (const auto& f : kFields) {
    auto v = it->find(f.key);
    if (v == it->end() || v->is_null()) continue;
    auto value = positiveInteger(*v, std::string("job_limits.") + f.key);
    if (auto* e = std::get_if<ApiError>(&value)) return *e;
    out.*(f.member) = std::get<uint64_t>(value) * f.unit;
  }
  return out;
}

std::variant<jobs::TextEncoding, ApiError> encodingField(const json& obj) {
  auto s = stringField(obj, "encoding", false, 64, "");
  if (auto* e = std::get_if<ApiError>(&s)) return *e;
  const auto& v = std::get<0>(s);
  if (!v || *v == "utf-8" || *v == "utf8") return jobs::TextEncoding::kUtf8;
  if (*v == "base64") return jobs::TextEncoding::kBase64;
  return badRequest("\"encoding\" must be \"utf-8\" or \"base64\", not \"" + *v + "\"");
}

}  // namespace

bool plainFileName(std::string_view name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

ApiError unknownLanguage(std::string_view name, const LanguageRegistry& languages,
                         std::string_view word) {
  std::string known;
  for (const auto& l : languages.all()) known += (known.empty() ? "" : ", ") + l.name;
  return badRequest(std::string(word) + " language \"" + std::string(name.substr(0, 100)) +
                    "\"; available: " + known);
}

namespace {

// language, source, args, limits, encoding: what /run and /judge share.
std::optional<ApiError> parseCommon(const json& j, const LanguageRegistry& languages,
                                    const InputLimits& limits, RunSpec& spec,
                                    jobs::TextEncoding& encoding) {
  auto enc = encodingField(j);
  if (auto* e = std::get_if<ApiError>(&enc)) return *e;
  encoding = std::get<0>(enc);
  auto lang = stringField(j, "language", true, 256, "");
  if (auto* e = std::get_if<ApiError>(&lang)) return *e;
  const std::string& name = *std::get<0>(lang);
  spec.language = languages.find(name);
  if (spec.language == nullptr) return unknownLanguage(name, languages);
  auto source = stringField(j, "source", true, limits.max_source_bytes, "");
  if (auto* e = std::get_if<ApiError>(&source)) return *e;
  spec.source = *std::get<0>(source);

  if (auto e = parseArgs(j, limits, spec.args)) return e;
  auto l = limitsField(j);
  if (auto* e = std::get_if<ApiError>(&l)) return *e;
  spec.limits = std::get<0>(l);
  return std::nullopt;
}

// A judge's own program: {"language", "source"} in the object `j`, named `where` ("interactor"
// or "checker") in messages.
std::optional<ApiError> parseJudgeProgram(const json& j, const std::string& where,
                                          const LanguageRegistry& languages,
                                          const InputLimits& limits, RunSpec& spec) {
  auto lang = stringField(j, "language", true, 256, where + ".");
  if (auto* e = std::get_if<ApiError>(&lang)) return *e;
  spec.language = languages.find(*std::get<0>(lang));
  if (spec.language == nullptr)
    return unknownLanguage(*std::get<0>(lang), languages, "unknown " + where);
  auto source = stringField(j, "source", true, limits.max_source_bytes, where + ".");
  if (auto* e = std::get_if<ApiError>(&source)) return *e;
  spec.source = *std::get<0>(source);
  // More files beside the source, e.g. the testlib.h it includes.
  auto files = j.find("files");
  if (files == j.end() || files->is_null()) return std::nullopt;
  if (!files->is_array())
    return badRequest("\"" + where + ".files\" must be a list of {\"name\", \"content\"}");
  size_t total = spec.source.size();
  for (size_t i = 0; i < files->size(); ++i) {
    const json& f = (*files)[i];
    const std::string at = where + ".files[" + std::to_string(i) + "].";
    if (!f.is_object())
      return badRequest("\"" + at.substr(0, at.size() - 1) + "\" must be an object");
    auto name = stringField(f, "name", true, 255, at);
    if (auto* e = std::get_if<ApiError>(&name)) return *e;
    auto content = stringField(f, "content", true, limits.max_source_bytes, at);
    if (auto* e = std::get_if<ApiError>(&content)) return *e;
    const std::string& n = *std::get<0>(name);
    if (!plainFileName(n) || n == spec.language->source_file || n.starts_with("test-"))
      return badRequest("\"" + at +
                        "name\" must be a plain file name (no '/'), not the source's \"" +
                        spec.language->source_file + "\" and not starting with \"test-\"");
    for (const auto& other : spec.files)
      if (other.name == n) return badRequest("two files of \"" + where + "\" are named " + n);
    total += std::get<0>(content)->size();
    if (total > limits.max_source_bytes)
      return tooLarge("\"" + where + "\" source and files add up to more than " +
                      std::to_string(limits.max_source_bytes / 1024) + " KiB");
    spec.files.push_back(sandbox::BoxFile{n, std::move(*std::get<0>(content)), "", 0644});
  }
  return std::nullopt;
}

}  // namespace

// The range comes first: casting a double beyond int64_t (1e300) is undefined.
std::variant<uint64_t, ApiError> positiveInteger(const json& v, const std::string& name) {
  uint64_t value = 0;
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d < 1 || d > 1e15 || d != static_cast<double>(static_cast<int64_t>(d)))
      return badRequest("\"" + name + "\" must be a positive integer");
    value = static_cast<uint64_t>(d);
  } else if (v.is_number_unsigned()) {
    value = v.get<uint64_t>();
  } else if (v.is_number_integer()) {
    return badRequest("\"" + name + "\" must be a positive integer, not " + v.dump());
  } else {
    return badRequest("\"" + name + "\" must be a positive integer");
  }
  if (value == 0) return badRequest("\"" + name + "\" must be at least 1");
  if (value > kLimitCeiling)
    return badRequest("\"" + name + "\" is out of range (" + std::to_string(value) +
                      "); values above the operator's maximum are clamped, but not beyond " +
                      std::to_string(kLimitCeiling));
  return value;
}

// The body as a JSON object. nlohmann's parser rejects invalid UTF-8 in strings, so every
// string that gets past here is valid UTF-8.
std::variant<json, ApiError> parseJsonObject(std::string_view body, const InputLimits& limits) {
  if (body.size() > limits.max_body_bytes)
    return tooLarge("the request body is " + kib(body.size()) + "; the maximum is " +
                    kib(limits.max_body_bytes));
  if (body.empty()) return badRequest("the request body is empty; send a JSON object");
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number beyond a double ("1e400"): both are the
    // client's malformed body, not the server's fault.
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." → from "parse error"
    if (auto at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    // The message ends with the token read last ("...; last read: '<token>'"), which can be
    // most of the body: the place and the reason come first and are what the client needs.
    return badRequest("the request body is not valid JSON (UTF-8): " + shortened(what, 300));
  }
  if (!j.is_object()) return badRequest("the request body must be a JSON object");
  return j;
}

std::optional<ApiError> parseArgs(const json& j, const InputLimits& limits,
                                  std::vector<std::string>& args) {
  auto it = j.find("args");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_array()) return badRequest("\"args\" must be a list of strings");
  if (it->size() > limits.max_args)
    return badRequest("\"args\" has " + std::to_string(it->size()) + " entries; the maximum is " +
                      std::to_string(limits.max_args));
  size_t total = 0;
  for (const auto& a : *it) {
    if (!a.is_string()) return badRequest("\"args\" must be a list of strings");
    const auto& s = a.get_ref<const std::string&>();
    if (s.size() > limits.max_arg_bytes)
      return tooLarge("an entry of \"args\" is longer than " +
                      std::to_string(limits.max_arg_bytes) + " bytes");
    total += s.size() + 1;  // with its NUL, as execve counts
    if (total > limits.max_args_total_bytes)
      return badRequest("\"args\" add up to more than " + kib(limits.max_args_total_bytes) +
                        " (each argument counts its length plus one)");
    if (s.find('\0') != std::string::npos)
      return badRequest(
          "an entry of \"args\" contains a NUL character, which no argument can hold");
    args.push_back(s);
  }
  return std::nullopt;
}

std::variant<ParsedRun, ApiError> parseRunRequest(std::string_view body,
                                                  const LanguageRegistry& languages,
                                                  const InputLimits& limits) {
  auto parsed = parseJsonObject(body, limits);
  if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
  const json& j = std::get<json>(parsed);
  ParsedRun out;
  if (auto e = parseCommon(j, languages, limits, out.spec, out.encoding)) return *e;
  auto in = stringField(j, "stdin", false, limits.max_stdin_bytes, "");
  if (auto* e = std::get_if<ApiError>(&in)) return *e;
  out.spec.stdin_data = std::get<0>(in).value_or("");
  return out;
}

std::variant<ParsedJudge, ApiError> parseJudgeRequest(std::string_view body,
                                                      const LanguageRegistry& languages,
                                                      const InputLimits& limits) {
  auto parsed = parseJsonObject(body, limits);
  if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
  const json& j = std::get<json>(parsed);
  ParsedJudge out;
  if (auto e = parseCommon(j, languages, limits, out.spec.run, out.encoding)) return *e;

  if (auto it = j.find("interactor"); it != j.end() && !it->is_null()) {
    if (!it->is_object())
      return badRequest(
          "\"interactor\" must be an object like {\"language\": \"c++\", \"source\": \"...\"}");
    jobs::JudgeProgram program;
    program.role = jobs::JudgeProgram::Role::kInteractor;
    if (auto e = parseJudgeProgram(*it, "interactor", languages, limits, program.run)) return *e;
    out.spec.program = std::move(program);
  }

  auto tests = j.find("tests");
  if (tests == j.end() || tests->is_null())
    return badRequest("\"tests\" is required: a list of {\"stdin\", \"expected_output\"}");
  if (!tests->is_array() || tests->empty())
    return badRequest("\"tests\" must be a non-empty list of {\"stdin\", \"expected_output\"}");
  if (tests->size() > limits.max_tests)
    return tooLarge("\"tests\" has " + std::to_string(tests->size()) + " entries; the maximum is " +
                    std::to_string(limits.max_tests));
  for (size_t i = 0; i < tests->size(); ++i) {
    const json& t = (*tests)[i];
    const std::string where = "tests[" + std::to_string(i) + "].";
    if (!t.is_object()) return badRequest("\"tests[" + std::to_string(i) + "]\" must be an object");
    auto in = stringField(t, "stdin", false, limits.max_stdin_bytes, where);
    if (auto* e = std::get_if<ApiError>(&in)) return *e;
    // An interactor's test need not say what is expected: the interactor knows.
    auto expected =
        stringField(t, "expected_output", !out.spec.program, limits.max_expected_bytes, where);
    if (auto* e = std::get_if<ApiError>(&expected)) return *e;
    out.spec.tests.push_back(
        JudgeTest{std::get<0>(in).value_or(""), std::get<0>(expected).value_or("")});
  }

  if (auto c = j.find("checker"); c != j.end() && !c->is_null()) {
    if (!c->is_object())
      return badRequest("\"checker\" must be an object like {\"type\": \"tokens\"}");
    auto type = stringField(*c, "type", false, 64, "checker.");
    if (auto* e = std::get_if<ApiError>(&type)) return *e;
    if (const auto& name = std::get<0>(type); name && *name == "program") {
      if (out.spec.program)
        return badRequest(
            "\"checker\" of type \"program\" cannot go with an \"interactor\": the interactor "
            "gives each test's verdict");
      jobs::JudgeProgram program;
      program.role = jobs::JudgeProgram::Role::kChecker;
      if (auto e = parseJudgeProgram(*c, "checker", languages, limits, program.run)) return *e;
      out.spec.program = std::move(program);
    } else if (name) {
      auto t = judge::checkerFromName(*name);
      if (!t)
        return badRequest(
            "\"checker.type\" must be one of exact, lines, tokens, float, program; not \"" + *name +
            "\"");
      out.spec.checker.type = *t;
    }
    if (auto eps = c->find("epsilon"); eps != c->end() && !eps->is_null()) {
      if (!eps->is_number() || eps->get<double>() < 0 || eps->get<double>() > 1e300)
        return badRequest("\"checker.epsilon\" must be a non-negative number");
      out.spec.checker.epsilon = eps->get<double>();
    }
  }
  if (auto s = j.find("stop_on_first_failure"); s != j.end() && !s->is_null()) {
    if (!s->is_boolean()) return badRequest("\"stop_on_first_failure\" must be true or false");
    out.spec.stop_on_first_failure = s->get<bool>();
  }
  auto budget = jobLimitsField(j);
  if (auto* e = std::get_if<ApiError>(&budget)) return *e;
  out.spec.budget = std::get<jobs::JobBudget>(budget);
  return out;
}

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string percentDecode(std::string_view raw, bool plus_is_space) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && hexValue(raw[i + 1]) >= 0 &&
        hexValue(raw[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(raw[i + 1]) * 16 + hexValue(raw[i + 2]));
      i += 2;
    } else {
      out += plus_is_space && raw[i] == '+' ? ' ' : raw[i];
    }
  }
  return out;
}

std::optional<std::string> queryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (percentDecode(pair.substr(0, eq), true) == name)
      return eq == std::string_view::npos ? std::string()
                                          : percentDecode(pair.substr(eq + 1), true);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace codecanvas::http
