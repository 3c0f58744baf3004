// A libFuzzer target over the request side of the HTTP API (built and run by
// scripts/fuzz.sh; seeds in tests/fuzz/corpus, dictionary in tests/fuzz/request.dict).
//
// An input is a request body. It goes to parseRunRequest and parseJudgeRequest directly,
// and as the body of POST /api/v1/run and /api/v1/judge through Api::handle, with a
// backend that never runs anything: it answers every job by echoing the request (a run's
// stdout is its stdin; a test's stdout is that test's stdin, so the checkers compare two
// fuzzed strings). An input that starts with '/' is "PATH\nBODY" instead and goes to PATH
// with several methods, for the routing. An input that starts with 'K' is header lines
// ("name: value") for the API-key check, against two keys (one rate-limited); one that
// starts with 'O' is header lines for Api::precheck's Host, Origin and Content-Encoding
// checks, as on a server bound to loopback with one more allowed host and origin.
//
// Every body also goes to POST /api/v2/execute (the Piston adapter), to POST /execute
// (the interactive-execution server's adapter, whose one 500 that is not a sandbox fault
// is its "Unsupported language" refusal, code unsupported_language), and to POST /v1/runs
// and /v1/files (the code-executor adapter, with a real file store in a temporary
// directory; a full store answers 507 store_full), and to POST /api (the queue-based
// runner's route).
//
// It checks the contract of docs/api.md, not only that nothing crashes, and abort()s with
// a sentence when any of these fails:
//   - every answer has a status in 200..599 and a JSON body (valid UTF-8) unless it is the
//     metrics page; headers hold no CR, LF or NUL;
//   - every 4xx/5xx is exactly {"error": sentence, "code": code}, the code belongs to the
//     status, the sentence is short (it never echoes a whole body); 405 has Allow, 503 has
//     Retry-After; 500 only when the backend reported a sandbox fault;
//   - Api::handle refuses exactly what the parser refuses, with the same status and
//     sentence, and submits no job for it; the parser never throws;
//   - a parsed request is within every InputLimits bound, its strings are valid UTF-8, no
//     argument holds a NUL, each requested limit is in 1..kLimitCeiling, the epsilon is a
//     finite non-negative number, and the job gets exactly what was parsed;
//   - the limits an answer shows are the request's (or the default), clamped to the
//     language's and the operator's maximum; stdout comes back byte for byte in the
//     requested encoding (base64 decodes to it);
//   - a judge answer has one verdict per test, each the checker's, "skipped" after a stop,
//     and the overall verdict is the first failure; the checkers are reflexive and
//     exact ⇒ lines ⇒ tokens ⇒ float;
//   - the metrics page stays small however many distinct paths and bodies arrive;
//   - with API keys, a request is let in exactly when the key it presents is configured
//     and its bucket has room; a refusal is 401 (with WWW-Authenticate) or 429 (with a
//     Retry-After of 1..60 s for a key of one request a second), never names the key;
//   - precheck and handle agree; a request without Host, Origin and Content-Encoding is
//     let in; a loopback name with no or its own Origin is let in; what is let in names a
//     loopback or allowed host; an Origin that is neither the allowed one nor mentions the
//     Host is refused 403; 415 only for a Content-Encoding.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "access.h"
#include "api.h"
#include "code_executor_api.h"
#include "exec_server_api.h"
#include "judge/checker.h"
#include "judge/verdicts.h"
#include "piston_api.h"
#include "queue_runner_api.h"
#include "request_parser.h"

namespace codecanvas::http {
namespace {

using jobs::JobOutcome;
using jobs::LanguageProfile;
using jobs::TextEncoding;
using nlohmann::json;
using sandbox::RunResult;
using sandbox::RunStatus;

// What the current input was doing, for the report of a violation.
std::string g_context;

[[noreturn]] void violated(const char* condition, const std::string& detail) {
  std::fprintf(stderr, "\n== INVARIANT VIOLATED: %s\n== while: %s\n== detail: %.4000s\n", condition,
               g_context.c_str(), detail.c_str());
  std::abort();
}

// A macro so that `detail` is built only when the check fails.
#define FUZZ_CHECK(condition, detail)                 \
  do {                                                \
    if (!(condition)) violated(#condition, (detail)); \
  } while (0)

// Small, so that every "too large" branch is within scripts/fuzz.sh's -max_len (4608).
InputLimits fuzzInputLimits() {
  InputLimits l;
  l.max_body_bytes = 4000;
  l.max_source_bytes = 600;
  l.max_stdin_bytes = 300;
  l.max_args = 4;
  l.max_arg_bytes = 40;
  l.max_tests = 6;
  l.max_expected_bytes = 300;
  return l;
}

// Below some languages' maxima and above others', so both clamps are reached.
const sandbox::Limits kOperatorMax{10000, 100000, 524288, 65536, 128};

// A string as a JSON literal, for reports (invalid UTF-8 shown as U+FFFD).
std::string quote(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// The longest error sentence: the longest field the parser may quote (a 256-byte language
// name) plus the list of languages and the words around them.
constexpr size_t kMaxErrorBytes = 1024;

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool validUtf8(std::string_view s) {
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;  // continuation bytes
    uint32_t cp = c;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

std::optional<std::string> base64Decode(std::string_view s) {
  if (s.size() % 4 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); i += 4) {
    const size_t pad = s[i + 3] != '=' ? 0 : s[i + 2] != '=' ? 1 : 2;
    if (pad > 0 && i + 4 != s.size()) return std::nullopt;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      const int d = k < 4 - pad ? value(s[i + k]) : 0;
      if (d < 0) return std::nullopt;
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out += static_cast<char>(v >> 16);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(v & 0xff);
  }
  return out;
}

// The bytes an output field stands for, in the answer's encoding.
std::optional<std::string> decodeOutput(const json& field, TextEncoding encoding) {
  if (!field.is_string()) return std::nullopt;
  const auto& s = field.get_ref<const std::string&>();
  return encoding == TextEncoding::kBase64 ? base64Decode(s) : std::optional<std::string>(s);
}

// Answers every job at once from the request itself. Sources "BUSY", "REJECT" and "FAULT"
// take the 503 and 500 paths; a source containing "#error" fails to compile.
class EchoBackend : public Backend {
 public:
  explicit EchoBackend(jobs::LanguageRegistry languages) : languages_(std::move(languages)) {}

  const jobs::LanguageRegistry& languages() const override { return languages_; }
  sandbox::Limits limitsFor(const jobs::RunSpec& spec) const override {
    return jobs::resolveLimits(*spec.language, spec.limits, kOperatorMax);
  }
  sandbox::Limits judgeProgramLimits(const jobs::LanguageProfile& language) const override {
    return jobs::resolveLimits(language, {}, kOperatorMax);
  }
  jobs::JobPlan planRun(const jobs::RunSpec& spec) const override {
    last_run = spec;
    last_judge.reset();
    jobs::JobPlan plan;
    plan.runs.resize(1);
    plan.runs[0].stdin_data = spec.stdin_data;
    return plan;
  }
  jobs::JobPlan planJudge(const jobs::JudgeSpec& spec) const override {
    last_run = spec.run;
    last_judge = spec;
    jobs::JobPlan plan;
    for (const auto& t : spec.tests) plan.runs.emplace_back().stdin_data = t.stdin_data;
    plan.verdict = jobs::judgeVerdicts(spec);
    plan.stop_on_failure = spec.stop_on_first_failure;
    return plan;
  }
  std::optional<std::future<JobOutcome>> submit(jobs::JobPlan plan) override;
  HealthInfo health() const override { return HealthInfo{2, 0, 0, 0, 8, "v2", "v2", "v2", {}}; }
  Metrics::Gauges gauges() const override { return {}; }

  mutable std::optional<jobs::RunSpec> last_run;
  mutable std::optional<jobs::JudgeSpec> last_judge;
  int submitted = 0;
  bool faulted = false;

 private:
  jobs::LanguageRegistry languages_;
};

RunResult echoRun(const std::string& out, const std::string& err) {
  RunResult r;
  r.status = RunStatus::kOk;
  r.exit_code = 0;
  r.stdout_data = out;
  r.stderr_data = err;
  r.time_ms = 1.25;
  r.wall_ms = 2.5;
  r.memory_kb = 1024;
  return r;
}

std::optional<std::future<JobOutcome>> EchoBackend::submit(jobs::JobPlan plan) {
  ++submitted;
  const jobs::RunSpec& run = *last_run;
  if (run.source == "BUSY") return std::nullopt;
  JobOutcome o;
  o.rejected = run.source == "REJECT";
  if (run.source == "FAULT") o.fault = "run 1: the fuzz backend's pretend fault";
  faulted = o.fault.has_value();
  if (run.language->compile) {
    const bool error = run.source.find("#error") != std::string::npos;
    o.compile = echoRun("", error ? run.source : "");
    if (error) o.compile->status = RunStatus::kRuntimeError;
  }
  // A judge's own program "says" an exit code taken from the test's input, so every
  // testlib code (points with its stderr) reaches the answer's builder.
  const bool program = last_judge && last_judge->program;
  if (!o.compile || o.compile->status == RunStatus::kOk) {
    for (size_t i = 0; i < plan.runs.size(); ++i) {
      o.runs.push_back(echoRun(plan.runs[i].stdin_data, run.source));
      // What the pool does with a judge's plan: the verdict on each run, and the stop.
      if (!plan.verdict) continue;
      std::optional<RunResult> judge;
      if (program) {
        const int code = static_cast<int>(plan.runs[i].stdin_data.size() % 9);
        judge = echoRun("", code == 7 ? "points 1.5 fuzz" : plan.runs[i].stdin_data);
        judge->exit_code = code;
        if (code != 0) judge->status = RunStatus::kRuntimeError;
      }
      o.verdicts.push_back(plan.verdict(i, o.runs.back(), judge ? &*judge : nullptr));
      if (program) o.companion_runs.push_back(judge);
      if (plan.stop_on_failure && !judge::passes(o.verdicts.back())) break;
    }
  }
  std::promise<JobOutcome> p;
  p.set_value(std::move(o));
  return p.get_future();
}

struct Harness {
  EchoBackend backend;
  Metrics metrics;
  std::unique_ptr<ObjectStore> store;
  RunStore runs{1000, 3600};
  UrlSigner signer{"a fuzzing key, not a secret"};
  ApiOptions options;
  Api api;
  size_t calls = 0;

  explicit Harness(jobs::LanguageRegistry languages)
      : backend(std::move(languages)),
        store(openStore()),
        options(withExecutor(store.get(), runs, signer)),
        api(backend, metrics, options) {}

  // A store of this process's own (removed at exit), small so that it fills while fuzzing.
  static std::unique_ptr<ObjectStore> openStore() {
    auto s = ObjectStore::open({"", 16 << 20, 200});
    if (!s) {
      std::fprintf(stderr, "request_fuzz: %s\n", s.error().message.c_str());
      std::exit(2);
    }
    return std::move(s.value());
  }
  static ApiOptions withExecutor(ObjectStore* store, RunStore& runs, const UrlSigner& signer) {
    ApiOptions o{fuzzInputLimits()};
    CodeExecutorOptions ex;
    ex.store = store;
    ex.runs = &runs;
    ex.signer = &signer;
    o.executor = ex;
    return o;
  }
};

Harness& harness() {
  static Harness* h = [] {
    // The real profiles, so that names, aliases and limits are those the service offers;
    // no toolchain is asked for its version.
    const char* env = std::getenv("CODECANVAS_DATA_DIR");
    const std::string dir =
        std::string(env != nullptr && *env != '\0' ? env : CODECANVAS_DATA_DIR) +
        "/profiles/languages";
    auto reg = jobs::LanguageRegistry::load(
        dir, [](const auto&, const auto&) -> Result<std::string> { return std::string("1.0"); });
    if (!reg || reg->all().empty()) {
      std::fprintf(stderr, "request_fuzz: no language profiles in %s (set CODECANVAS_DATA_DIR)\n",
                   dir.c_str());
      std::exit(2);
    }
    return new Harness(std::move(reg.value()));
  }();
  return *h;
}

const char* codeFor(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "too_large";
    case 415:
      return "unsupported_encoding";
    case 429:
      return "rate_limited";
    case 500:
      return "internal";
    case 503:
      return "busy";
    case 504:
      return "timeout";
    case 507:
      return "store_full";
  }
  return nullptr;
}

bool hasHeader(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name && !v.empty()) return true;
  return false;
}

// The checks every answer passes; returns its JSON body (null for the metrics page).
// Whose errors an answer carries: the native shape, Piston's {"message": ...}, or the
// native shape with the interactive-execution server's 500 for an unknown language.
enum class Shape { kNative, kPiston, kExecServer };

json checkResponse(const HttpResponse& r, Shape shape = Shape::kNative) {
  const std::string shown = std::to_string(r.status) + " " + r.body;
  FUZZ_CHECK(r.status >= 200 && r.status <= 599, shown);
  for (const auto& [k, v] : r.headers)
    FUZZ_CHECK((k + v).find_first_of(std::string("\r\n\0", 3)) == std::string::npos, k + ": " + v);
  if (r.content_type.rfind("text/plain", 0) == 0) {
    FUZZ_CHECK(r.status == 200, shown);
    return nullptr;
  }
  FUZZ_CHECK(r.content_type == "application/json", r.content_type);
  FUZZ_CHECK(validUtf8(r.body), shown);
  json j = json::parse(r.body, nullptr, false);
  FUZZ_CHECK(!j.is_discarded(), shown);
  if (r.status < 400) return j;
  if (shape == Shape::kPiston) {
    FUZZ_CHECK(j.is_object() && j.size() == 1 && j["message"].is_string(), shown);
    FUZZ_CHECK(!j["message"].get<std::string>().empty(), shown);
    FUZZ_CHECK(j["message"].get<std::string>().size() <= kMaxErrorBytes, shown);
    FUZZ_CHECK(r.status == 400 || r.status == 413 || r.status == 426 || r.status == 503 ||
                   (r.status == 500 && harness().backend.faulted),
               shown);
    return j;
  }
  const bool unsupported = shape == Shape::kExecServer && r.status == 500 && j.is_object() &&
                           j["code"] == "unsupported_language";
  const char* code = unsupported ? "unsupported_language" : codeFor(r.status);
  FUZZ_CHECK(code != nullptr, shown);
  FUZZ_CHECK(j.is_object() && j.size() == 2 && j["code"] == code, shown);
  FUZZ_CHECK(j["error"].is_string() && !j["error"].get<std::string>().empty(), shown);
  FUZZ_CHECK(j["error"].get<std::string>().size() <= kMaxErrorBytes, shown);
  if (r.status == 405) FUZZ_CHECK(hasHeader(r, "Allow"), shown);
  if (r.status == 503 || r.status == 429) FUZZ_CHECK(hasHeader(r, "Retry-After"), shown);
  if (r.status == 401) FUZZ_CHECK(hasHeader(r, "WWW-Authenticate"), shown);
  if (r.status == 500) FUZZ_CHECK(harness().backend.faulted || unsupported, shown);
  return j;
}

void checkRequested(const jobs::RequestedLimits& l) {
  for (const auto& v : {l.cpu_ms, l.wall_ms, l.memory_kb, l.output_kb, l.processes})
    FUZZ_CHECK(!v || (*v >= 1 && *v <= kLimitCeiling), std::to_string(*v));
}

// What the parser promises of a request it accepts, shared by /run and /judge.
void checkParsedCommon(const jobs::RunSpec& spec, const InputLimits& in) {
  const auto& all = harness().backend.languages().all();
  FUZZ_CHECK(spec.language != nullptr && spec.language >= all.data() &&
                 spec.language < all.data() + all.size(),
             "language");
  FUZZ_CHECK(spec.source.size() <= in.max_source_bytes && validUtf8(spec.source), spec.source);
  FUZZ_CHECK(spec.args.size() <= in.max_args, std::to_string(spec.args.size()));
  for (const auto& a : spec.args)
    FUZZ_CHECK(a.size() <= in.max_arg_bytes && validUtf8(a) && a.find('\0') == std::string::npos,
               a);
  checkRequested(spec.limits);
}

// The limits an answer shows: what was asked (or the default), clamped to both maxima.
void checkAnswerLimits(const json& shown, const jobs::RunSpec& spec) {
  const LanguageProfile& lang = *spec.language;
  struct Field {
    const char* key;
    std::optional<uint64_t> asked;
    uint64_t def, lang_max, op_max;
  };
  const jobs::RequestedLimits& r = spec.limits;
  const Field fields[] = {
      {"cpu_ms", r.cpu_ms, lang.default_limits.cpu_ms, lang.max_limits.cpu_ms, kOperatorMax.cpu_ms},
      {"wall_ms", r.wall_ms, lang.default_limits.wall_ms, lang.max_limits.wall_ms,
       kOperatorMax.wall_ms},
      {"memory_kb", r.memory_kb, lang.default_limits.memory_kb, lang.max_limits.memory_kb,
       kOperatorMax.memory_kb},
      {"output_kb", r.output_kb, lang.default_limits.output_kb, lang.max_limits.output_kb,
       kOperatorMax.output_kb},
      {"processes", r.processes, lang.default_limits.processes, lang.max_limits.processes,
       kOperatorMax.processes},
  };
  FUZZ_CHECK(shown.is_object() && shown.size() == 5, shown.dump());
  for (const auto& f : fields) {
    const uint64_t want = std::min({f.asked.value_or(f.def), f.lang_max, f.op_max});
    FUZZ_CHECK(shown.contains(f.key) && shown[f.key] == want && want >= 1,
               std::string(f.key) + " = " + shown.dump() + ", want " + std::to_string(want));
  }
}

// The job got exactly what the parser produced.
void checkSubmitted(const jobs::RunSpec& parsed) {
  const auto& got = *harness().backend.last_run;
  FUZZ_CHECK(got.language == parsed.language && got.source == parsed.source &&
                 got.args == parsed.args && got.limits.cpu_ms == parsed.limits.cpu_ms &&
                 got.limits.wall_ms == parsed.limits.wall_ms &&
                 got.limits.memory_kb == parsed.limits.memory_kb &&
                 got.limits.output_kb == parsed.limits.output_kb &&
                 got.limits.processes == parsed.limits.processes,
             "the job differs from the parsed request");
}

// A refused request: the same answer from Api::handle as from the parser, and no job. (A
// parse error may quote invalid UTF-8 from the body; the answer shows it as U+FFFD.)
void checkRefused(const ApiError& e, const HttpResponse& r, const json& j, int submitted_before) {
  FUZZ_CHECK(e.status == 400 || e.status == 413, e.message);
  FUZZ_CHECK(
      r.status == e.status && j["code"] == e.code && j["error"] == json::parse(quote(e.message)),
      e.message + " vs " + r.body);
  FUZZ_CHECK(harness().backend.submitted == submitted_before, "a refused request ran a job");
}

// Statuses other than 200 that an accepted request may get: the magic sources' answers.
bool magicAnswer(const jobs::RunSpec& spec, const HttpResponse& r) {
  const std::string& s = spec.source;
  return (r.status == 503 && (s == "BUSY" || s == "REJECT")) || (r.status == 500 && s == "FAULT");
}

bool compileFailed(const jobs::RunSpec& spec) {
  return spec.language->compile && spec.source.find("#error") != std::string::npos;
}

void checkRunAnswer(const ParsedRun& p, const HttpResponse& r, const json& j) {
  const jobs::RunSpec& spec = p.spec;
  FUZZ_CHECK(r.status == 200, r.body);
  for (const char* key : {"language", "version", "status", "error", "stdout", "stderr", "exit_code",
                          "signal", "time_ms", "wall_ms", "memory_kb", "stdout_truncated",
                          "stderr_truncated", "compile", "encoding", "limits"})
    FUZZ_CHECK(j.contains(key), key);
  FUZZ_CHECK(j["language"] == spec.language->name, r.body);
  FUZZ_CHECK(j["encoding"] == (p.encoding == TextEncoding::kBase64 ? "base64" : "utf-8"), r.body);
  checkAnswerLimits(j["limits"], spec);
  const bool failed = compileFailed(spec);
  FUZZ_CHECK(j["status"] == (failed ? "compile_error" : "ok"), r.body);
  FUZZ_CHECK(decodeOutput(j["stdout"], p.encoding) == (failed ? "" : spec.stdin_data), r.body);
  FUZZ_CHECK(decodeOutput(j["stderr"], p.encoding) == spec.source, r.body);
  FUZZ_CHECK(Api::lastLogFields().language == spec.language->name &&
                 j["status"] == Api::lastLogFields().status,
             "log fields");
}

void checkRun(std::string_view body) {
  Harness& h = harness();
  g_context = "POST /api/v1/run";
  std::variant<ParsedRun, ApiError> parsed;
  try {
    parsed = parseRunRequest(body, h.backend.languages(), h.options.input);
  } catch (const std::exception& e) {
    violated("parseRunRequest does not throw", e.what());
  }
  const int before = h.backend.submitted;
  h.backend.faulted = false;
  const HttpResponse r = h.api.handle(HttpRequest{"POST", "/api/v1/run", std::string(body), {}});
  const json j = checkResponse(r);
  if (const auto* e = std::get_if<ApiError>(&parsed)) return checkRefused(*e, r, j, before);
  const ParsedRun& p = std::get<ParsedRun>(parsed);
  checkParsedCommon(p.spec, h.options.input);
  const auto& in = p.spec.stdin_data;
  FUZZ_CHECK(in.size() <= h.options.input.max_stdin_bytes && validUtf8(in), in);
  checkSubmitted(p.spec);
  FUZZ_CHECK(h.backend.last_run->stdin_data == in, "stdin");
  if (!magicAnswer(p.spec, r)) checkRunAnswer(p, r, j);
}

// The checkers' algebra on one pair: reflexive, and each looser checker accepts what a
// stricter one does.
void checkCheckers(const jobs::JudgeTest& t, double epsilon) {
  using judge::CheckerType;
  auto match = [&](CheckerType type, std::string_view e, std::string_view a) {
    return judge::outputMatches(judge::Checker{type, epsilon}, e, a);
  };
  const CheckerType order[] = {CheckerType::kExact, CheckerType::kLines, CheckerType::kTokens,
                               CheckerType::kFloat};
  bool stricter = false;
  for (CheckerType type : order) {
    FUZZ_CHECK(match(type, t.expected_output, t.expected_output), t.expected_output);
    const bool m = match(type, t.expected_output, t.stdin_data);
    FUZZ_CHECK(m || !stricter, std::string(judge::checkerName(type)) + " refuses what a " +
                                   "stricter checker accepts: " + quote(t.expected_output) +
                                   " vs " + quote(t.stdin_data));
    stricter = m;
  }
}

void checkJudgeAnswer(const ParsedJudge& p, const HttpResponse& r, const json& j) {
  const jobs::JudgeSpec& spec = p.spec;
  FUZZ_CHECK(r.status == 200, r.body);
  for (const char* key : {"language", "version", "verdict", "compile", "tests", "max_time_ms",
                          "max_memory_kb", "checker", "limits", "encoding"})
    FUZZ_CHECK(j.contains(key), key);
  const bool program = spec.program.has_value();
  const bool interactor = program && spec.program->role == jobs::JudgeProgram::Role::kInteractor;
  FUZZ_CHECK(j["checker"] == (!program     ? judge::checkerName(spec.checker.type)
                              : interactor ? "interactor"
                                           : "program"),
             r.body);
  checkAnswerLimits(j["limits"], spec.run);
  const json& tests = j["tests"];
  FUZZ_CHECK(tests.is_array() && tests.size() == spec.tests.size(), r.body);
  const bool failed = compileFailed(spec.run);
  std::string want = failed ? "compile_error" : "accepted";
  bool stopped = false, points = false;
  for (size_t i = 0; i < spec.tests.size(); ++i) {
    const auto& t = spec.tests[i];
    const json& got = tests[i];
    if (failed || stopped) {
      FUZZ_CHECK(got == json({{"verdict", "skipped"}}), got.dump());
      continue;
    }
    // The echo backend's judge program exits with the input's size modulo 9.
    static const char* const kByCode[9] = {
        "accepted",           "wrong_answer",   "presentation_error", "internal_error",
        "presentation_error", "internal_error", "internal_error",     "points",
        "presentation_error"};
    const std::string verdict =
        program ? kByCode[t.stdin_data.size() % 9]
        : judge::outputMatches(spec.checker, t.expected_output, t.stdin_data) ? "accepted"
                                                                              : "wrong_answer";
    FUZZ_CHECK(got["verdict"] == verdict, got.dump());
    if (program) {
      FUZZ_CHECK(got["judge_exit_code"] == t.stdin_data.size() % 9, got.dump());
      FUZZ_CHECK(verdict != "points" || got["points"] == 1.5, got.dump());
    }
    points = points || verdict == "points";
    if (judge::passes(verdict)) continue;
    FUZZ_CHECK(decodeOutput(got["stdout"], p.encoding) == t.stdin_data, got.dump());
    if (want == "accepted") want = verdict;
    stopped = spec.stop_on_first_failure;
  }
  if (want == "accepted" && points) want = "points";
  FUZZ_CHECK(j["verdict"] == want, r.body);
  if (program)
    FUZZ_CHECK(j.contains("points") && j.contains(interactor ? "interactor" : "checker_program"),
               r.body);
  FUZZ_CHECK(Api::lastLogFields().status == want, "log fields");
}

void checkJudge(std::string_view body) {
  Harness& h = harness();
  g_context = "POST /api/v1/judge";
  std::variant<ParsedJudge, ApiError> parsed;
  try {
    parsed = parseJudgeRequest(body, h.backend.languages(), h.options.input);
  } catch (const std::exception& e) {
    violated("parseJudgeRequest does not throw", e.what());
  }
  const int before = h.backend.submitted;
  h.backend.faulted = false;
  const HttpResponse r = h.api.handle(HttpRequest{"POST", "/api/v1/judge", std::string(body), {}});
  const json j = checkResponse(r);
  if (const auto* e = std::get_if<ApiError>(&parsed)) return checkRefused(*e, r, j, before);
  const ParsedJudge& p = std::get<ParsedJudge>(parsed);
  const InputLimits& in = h.options.input;
  checkParsedCommon(p.spec.run, in);
  FUZZ_CHECK(!p.spec.tests.empty() && p.spec.tests.size() <= in.max_tests, "tests");
  for (const auto& t : p.spec.tests) {
    FUZZ_CHECK(t.stdin_data.size() <= in.max_stdin_bytes && validUtf8(t.stdin_data), t.stdin_data);
    FUZZ_CHECK(t.expected_output.size() <= in.max_expected_bytes && validUtf8(t.expected_output),
               t.expected_output);
    checkCheckers(t, p.spec.checker.epsilon);
  }
  const double eps = p.spec.checker.epsilon;
  FUZZ_CHECK(std::isfinite(eps) && eps >= 0, std::to_string(eps));
  checkSubmitted(p.spec.run);
  FUZZ_CHECK(h.backend.last_judge && h.backend.last_judge->tests.size() == p.spec.tests.size() &&
                 h.backend.last_judge->stop_on_first_failure == p.spec.stop_on_first_failure,
             "judge spec");
  if (!magicAnswer(p.spec.run, r)) checkJudgeAnswer(p, r, j);
}

// The body as a Piston execute: the parser never throws, and the adapter refuses exactly
// what it refuses (in Piston's error shape) or answers with a run stage.
void checkPiston(std::string_view body) {
  Harness& h = harness();
  g_context = "POST /api/v2/execute";
  h.backend.faulted = false;
  std::variant<jobs::RunSpec, ApiError> parsed;
  try {
    parsed = piston::parseExecute(body, h.backend.languages(), h.options.input);
  } catch (const std::exception& e) {
    violated("piston::parseExecute does not throw", e.what());
  }
  const int submitted = h.backend.submitted;
  const HttpResponse r =
      h.api.handle(HttpRequest{"POST", "/api/v2/execute", std::string(body), {}});
  const json j = checkResponse(r, Shape::kPiston);
  if (auto* e = std::get_if<ApiError>(&parsed)) {
    FUZZ_CHECK(r.status == e->status && j["message"] == json::parse(quote(e->message)),
               "refused differently: " + r.body);
    FUZZ_CHECK(h.backend.submitted == submitted, "a job was submitted for a refused request");
    return;
  }
  const auto& spec = std::get<jobs::RunSpec>(parsed);
  FUZZ_CHECK(spec.language != nullptr && spec.files.size() < 64, "parsed files");
  if (r.status != 200) return;  // busy or a sandbox fault the backend chose to play
  FUZZ_CHECK(j["language"] == spec.language->name && j["run"].is_object(), r.body);
  for (const char* key : {"stdout", "stderr", "output", "code", "signal", "message", "status",
                          "cpu_time", "wall_time", "memory"})
    FUZZ_CHECK(j["run"].contains(key), std::string("run.") + key + " missing: " + r.body);
}

// The body as the interactive-execution server's POST /execute: the parser never throws,
// the adapter refuses exactly what it refuses, and an answer has that server's four fields.
void checkExecServer(std::string_view body) {
  Harness& h = harness();
  g_context = "POST /execute";
  h.backend.faulted = false;
  std::variant<jobs::RunSpec, ApiError> parsed;
  try {
    parsed = exec_server::parseExecute(body, h.backend.languages(), h.options.input);
  } catch (const std::exception& e) {
    violated("exec_server::parseExecute does not throw", e.what());
  }
  const int submitted = h.backend.submitted;
  const HttpResponse r = h.api.handle(HttpRequest{"POST", "/execute", std::string(body), {}});
  const json j = checkResponse(r, Shape::kExecServer);
  if (auto* e = std::get_if<ApiError>(&parsed)) {
    FUZZ_CHECK(r.status == e->status && j["error"] == json::parse(quote(e->message)),
               "refused differently: " + r.body);
    FUZZ_CHECK(h.backend.submitted == submitted, "a job was submitted for a refused request");
    return;
  }
  if (r.status != 200) return;  // busy or a sandbox fault the backend chose to play
  FUZZ_CHECK(j.size() == 4 && j["executionId"].is_string() && j["output"].is_string() &&
                 j["exitCode"].is_number_integer() &&
                 (j["status"] == "success") == (j["exitCode"] == 0),
             r.body);
}

// The body as the queue-based runner's POST /api: the parser never throws, the route
// refuses exactly what it refuses, and an answer has the runner's five fields.
void checkQueueRunner(std::string_view body) {
  Harness& h = harness();
  g_context = "POST /api";
  h.backend.faulted = false;
  std::variant<jobs::RunSpec, ApiError> parsed;
  try {
    parsed = queue_runner::parseRun(body, h.backend.languages(), h.options.input);
  } catch (const std::exception& e) {
    violated("queue_runner::parseRun does not throw", e.what());
  }
  const int submitted = h.backend.submitted;
  const HttpResponse r = h.api.handle(HttpRequest{"POST", "/api", std::string(body), {}});
  const json j = checkResponse(r);
  if (auto* e = std::get_if<ApiError>(&parsed)) return checkRefused(*e, r, j, submitted);
  if (r.status != 200) return;  // busy or a sandbox fault the backend chose to play
  FUZZ_CHECK(j.size() == 5 && j["stdout"].is_string() && j["stderr"].is_string() &&
                 j["exit_code"].is_number_integer() && j["timeout"].is_boolean() &&
                 j["exec_time_ms"].is_number_integer(),
             r.body);
}

// The body as the code-executor adapter's POST /v1/runs and POST /v1/files: the parsers
// never throw, the routes refuse exactly what they refuse, a run names only files that
// were uploaded (a fuzzed id never is), and an answer is a run or a file object.
void checkExecutor(std::string_view body) {
  Harness& h = harness();
  g_context = "POST /v1/runs";
  h.backend.faulted = false;
  std::variant<code_executor::ParsedRun, ApiError> parsed;
  try {
    parsed = code_executor::parseRun(body, h.backend.languages(), h.options.input);
  } catch (const std::exception& e) {
    violated("code_executor::parseRun does not throw", e.what());
  }
  int submitted = h.backend.submitted;
  HttpRequest req{"POST", "/v1/runs", std::string(body), {{"content-type", "application/json"}}};
  HttpResponse r = h.api.handle(req);
  json j = checkResponse(r);
  if (auto* e = std::get_if<ApiError>(&parsed)) {
    checkRefused(*e, r, j, submitted);
  } else if (!std::get<code_executor::ParsedRun>(parsed).files.empty()) {
    FUZZ_CHECK(r.status == 400 && h.backend.submitted == submitted,
               "a run of files nobody uploaded: " + r.body);
  } else if (r.status == 200) {
    FUZZ_CHECK(
        j["object"] == "run" && j["id"].is_string() && j["artifacts"].is_array() &&
            (j["status"] == "completed" || j["status"] == "failed" || j["status"] == "timeout"),
        r.body);
  }

  g_context = "POST /v1/files";
  std::variant<code_executor::Upload, ApiError> upload;
  try {
    upload = code_executor::parseUpload(req, h.options.input);
  } catch (const std::exception& e) {
    violated("code_executor::parseUpload does not throw", e.what());
  }
  req.path = "/v1/files";
  submitted = h.backend.submitted;
  r = h.api.handle(req);
  j = checkResponse(r);
  if (auto* e = std::get_if<ApiError>(&upload)) return checkRefused(*e, r, j, submitted);
  FUZZ_CHECK(r.status == 201 || r.status == 507, r.body);
  if (r.status == 201)
    FUZZ_CHECK(j["object"] == "file" && j["name"] == std::get<code_executor::Upload>(upload).name &&
                   j["size"] == std::get<code_executor::Upload>(upload).content.size(),
               r.body);
}

// "PATH\nBODY": the routing, with every method an API client might use.
void checkRoute(std::string_view data) {
  Harness& h = harness();
  const size_t nl = data.find('\n');
  const std::string path(data.substr(0, nl));
  const std::string body(nl == std::string_view::npos ? "" : data.substr(nl + 1));
  for (const char* method : {"GET", "HEAD", "POST", "PUT"}) {
    g_context = std::string(method) + " " + quote(path);
    h.backend.faulted = false;
    const HttpResponse r = h.api.handle(HttpRequest{method, path, body, {}});
    // A request the Piston routes let through to their handler answers in Piston's shape.
    const std::string route = Api::routeOf(path);
    const bool handled = r.status != 404 && r.status != 405;
    const Shape shape = !handled                          ? Shape::kNative
                        : route.rfind("/api/v2/", 0) == 0 ? Shape::kPiston
                        : route == "/execute"             ? Shape::kExecServer
                                                          : Shape::kNative;
    const json j = checkResponse(r, shape);
    if (r.status == 404) FUZZ_CHECK(j["code"] == "not_found", r.body);
    if (r.status == 405)
      FUZZ_CHECK(Api::routeOf(path) != "other" || path.back() == '/', "405 for " + path);
  }
}

// "name: value" lines as the server hands them to the API (names in lower case).
std::map<std::string, std::string> headerLines(std::string_view data) {
  std::map<std::string, std::string> headers;
  size_t at = 0;
  while (at < data.size()) {
    size_t nl = data.find('\n', at);
    if (nl == std::string_view::npos) nl = data.size();
    const std::string_view line = data.substr(at, nl - at);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      headers[name] = std::string(line.substr(colon + 1));
    }
    at = nl + 1;
  }
  return headers;
}

std::string lowerTrimmed(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// "O" then header lines: Host, Origin and Content-Encoding through precheck and handle.
void checkOriginHeaders(std::string_view data) {
  static const std::string kAllowedOrigin = "https://judge.example.org";
  static Api* api = [] {
    ApiOptions o{fuzzInputLimits()};
    o.origins.loopback_bind = true;
    o.origins.allowed_hosts = {"judge.example.org"};
    o.origins.allowed_origins = {kAllowedOrigin};
    return new Api(harness().backend, harness().metrics, o);
  }();
  const HttpRequest req{"GET", "/health", "", headerLines(data.substr(1))};
  g_context = "precheck with " + std::to_string(req.headers.size()) + " headers";
  const auto checked = api->precheck(req);
  const HttpResponse* refusal = std::get_if<HttpResponse>(&checked);
  const HttpResponse r = api->handle(req);
  FUZZ_CHECK(refusal == nullptr ? r.status == 200 : r.status == refusal->status,
             "precheck and handle disagree: " + std::to_string(r.status));
  checkResponse(r);
  const auto header = [&](const char* name) -> std::optional<std::string> {
    const auto it = req.headers.find(name);
    if (it == req.headers.end()) return std::nullopt;
    return lowerTrimmed(it->second);
  };
  const auto host = header("host"), origin = header("origin"), coding = header("content-encoding");
  if (!host && !origin && !coding) FUZZ_CHECK(refusal == nullptr, r.body);
  if (refusal != nullptr && refusal->status == 415) FUZZ_CHECK(coding.has_value(), r.body);
  if (refusal != nullptr) FUZZ_CHECK(refusal->status == 403 || refusal->status == 415, r.body);
  if (refusal != nullptr && refusal->status == 403) FUZZ_CHECK(host || origin, r.body);
  // The host's name without the port, as a loose oracle (the policy's own parser is
  // stricter).
  std::string name;
  if (host) {
    const size_t colon = host->rfind(':');
    name = host->substr(
        0, colon == std::string::npos || host->back() == ']' ? std::string::npos : colon);
    const bool loopback = name == "localhost" || name == "127.0.0.1" || name == "[::1]" ||
                          name == "judge.example.org";
    const bool plain_port =
        name.size() == host->size() ||
        host->find_first_not_of("0123456789", name.size() + 1) == std::string::npos;
    if (loopback && plain_port && host->size() <= name.size() + 6 && !coding &&
        (!origin || *origin == "http://" + *host))
      FUZZ_CHECK(refusal == nullptr, "a loopback request was refused: " + r.body);
    if (refusal == nullptr)
      FUZZ_CHECK(host->rfind("localhost", 0) == 0 || host->rfind("127.", 0) == 0 ||
                     host->rfind("[::1]", 0) == 0 || host->rfind("judge.example.org", 0) == 0,
                 "a foreign host was let in: " + *host);
  }
  if (origin && origin->rfind(kAllowedOrigin, 0) != 0 &&
      (name.empty() || origin->find(name) == std::string::npos))
    FUZZ_CHECK(refusal != nullptr && refusal->status == 403, "a foreign origin was let in");
}

// "K" then header lines: the key check alone and through Api::handle.
void checkAccess(std::string_view data) {
  static const std::string kOpen = "open-key-0123456789abcdef";
  static const std::string kSlow = "slow-key-0123456789abcdef";
  static std::chrono::steady_clock::time_point now{};
  static AccessControl access({{"open", kOpen, 0, 0}, {"slow", kSlow, 60, 2}}, [] { return now; });
  now += std::chrono::milliseconds(data.size() * 37);
  HttpRequest req{"GET", "/api/v1/languages", "", headerLines(data.substr(1))};
  g_context = "key check with " + std::to_string(req.headers.size()) + " headers";
  const std::string presented = presentedKey(req);
  const AccessControl::Verdict v = access.check(req);
  const bool known = presented == kOpen || presented == kSlow;
  if (!known) {
    FUZZ_CHECK(v.refusal && v.refusal->status == 401, "an unknown key was let in");
  } else if (presented == kOpen) {
    FUZZ_CHECK(!v.refusal && v.key_name == "open", "the unlimited key was refused");
  } else {
    FUZZ_CHECK(v.key_name == "slow", "the slow key was not recognized");
    FUZZ_CHECK(!v.refusal || v.refusal->status == 429,
               "the slow key got " + std::to_string(v.refusal->status));
  }
  if (v.refusal) {
    const json j = checkResponse(*v.refusal);
    FUZZ_CHECK(j.is_object() && j.size() == 2, v.refusal->body);
    FUZZ_CHECK(v.refusal->body.find(kOpen) == std::string::npos &&
                   v.refusal->body.find(kSlow) == std::string::npos,
               "a refusal names a key");
    std::string auth, retry;
    for (const auto& [k, val] : v.refusal->headers) {
      if (k == "WWW-Authenticate") auth = val;
      if (k == "Retry-After") retry = val;
    }
    if (v.refusal->status == 401) FUZZ_CHECK(!auth.empty(), "401 without WWW-Authenticate");
    if (v.refusal->status == 429) {
      FUZZ_CHECK(!retry.empty() && retry.size() <= 2, "429 Retry-After: " + retry);
      const int s = std::atoi(retry.c_str());
      FUZZ_CHECK(s >= 1 && s <= 60, "429 Retry-After: " + retry);
    }
  }
}

// The body as a live session's first message, in both dialects: planning never throws, it
// refuses exactly what the batch route refuses, and a plan has one live-capable run whose
// stdin comes from the session (Piston's init stdin is dropped, as Piston drops it).
void checkSessionStart(std::string_view body) {
  Harness& h = harness();
  for (const SessionDialect dialect : {SessionDialect::kNative, SessionDialect::kPiston}) {
    const bool piston = dialect == SessionDialect::kPiston;
    g_context = piston ? "first message of /api/v2/connect" : "first message of /api/v1/sessions";
    std::variant<SessionStart, ApiError> planned;
    try {
      planned = h.api.planSession(std::string(body), {}, dialect);
    } catch (const std::exception& e) {
      violated("Api::planSession does not throw", e.what());
    }
    bool batch_refuses = false;
    if (piston)
      batch_refuses = std::holds_alternative<ApiError>(
          piston::parseExecute(body, h.backend.languages(), h.options.input));
    else
      batch_refuses = std::holds_alternative<ApiError>(
          parseRunRequest(body, h.backend.languages(), h.options.input));
    FUZZ_CHECK(std::holds_alternative<ApiError>(planned) == batch_refuses,
               "a session's first message is judged like the batch request");
    if (auto* e = std::get_if<ApiError>(&planned)) {
      FUZZ_CHECK(e->status >= 400 && e->status < 500 && !e->message.empty(), e->message);
      continue;
    }
    const SessionStart& s = std::get<SessionStart>(planned);
    FUZZ_CHECK(s.language != nullptr && s.plan.runs.size() == 1, "one run");
    FUZZ_CHECK(s.plan.runs[0].stdin_data.empty(), "a session's stdin comes over the socket");
    if (piston) FUZZ_CHECK(s.stdin_data.empty(), "Piston's init stdin is not written");
    FUZZ_CHECK(s.limits.wall_ms >= 1 && s.limits.wall_ms <= kOperatorMax.wall_ms,
               "wall limit within the maximum");
  }
}

}  // namespace
}  // namespace codecanvas::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace codecanvas::http;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Harness& h = harness();
  if (!input.empty() && input[0] == '/') {
    checkRoute(input);
  } else if (!input.empty() && input[0] == 'K') {
    checkAccess(input);
  } else if (!input.empty() && input[0] == 'O') {
    checkOriginHeaders(input);
  } else {
    checkRun(input);
    checkJudge(input);
    checkPiston(input);
    checkExecServer(input);
    checkExecutor(input);
    checkQueueRunner(input);
    checkSessionStart(input);
  }
  // However many distinct paths, languages and bodies arrive, the page keeps its size.
  if (++h.calls % 4096 == 0) {
    g_context = "GET /metrics";
    const std::string page = h.metrics.render(h.backend.gauges());
    FUZZ_CHECK(page.size() < 64 * 1024, page.substr(0, 2000));
  }
  return 0;
}
