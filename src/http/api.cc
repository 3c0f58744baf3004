#include "api.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "jobs/result_json.h"

namespace codecanvas::http {

namespace {

using jobs::JobOutcome;
using jobs::TextEncoding;
using nlohmann::json;
using sandbox::RunResult;
using sandbox::RunStatus;

thread_local Api::LogFields tls_log_fields;

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

HttpResponse jsonResponse(int status, const json& j) {
  HttpResponse r;
  r.status = status;
  r.body = dump(j);
  return r;
}

double roundMs(double ms) {
  return std::round(ms * 1000.0) / 1000.0;
}

template <class T>
json orNull(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json limitsJson(const sandbox::Limits& l) {
  return {{"cpu_ms", l.cpu_ms},
          {"wall_ms", l.wall_ms},
          {"memory_kb", l.memory_kb},
          {"output_kb", l.output_kb},
          {"processes", l.processes}};
}

// The compile step's own status: a compiler that exits non-zero is a compile error; a
// compiler stopped by a limit keeps that limit's name.
std::string compileStatus(const RunResult& r) {
  return r.status == RunStatus::kRuntimeError ? "compile_error" : sandbox::statusName(r.status);
}

json compileJson(const JobOutcome& o, TextEncoding enc) {
  if (!o.compile) return nullptr;
  const RunResult& c = *o.compile;
  return {{"status", compileStatus(c)},
          {"exit_code", orNull(c.exit_code)},
          {"signal", orNull(c.signal)},
          {"stdout", jobs::outputText(c.stdout_data, enc)},
          {"stderr", jobs::outputText(c.stderr_data, enc)},
          {"time_ms", c.time_ms ? json(roundMs(*c.time_ms)) : json(nullptr)},
          {"wall_ms", roundMs(c.wall_ms)},
          {"memory_kb", orNull(c.memory_kb)},
          {"cached", o.compile_cached}};
}

bool compileFailed(const JobOutcome& o) {
  return o.compile && o.compile->status != RunStatus::kOk;
}

HttpResponse faultResponse(const JobOutcome& o) {
  return errorResponse(
      ApiError{500, "internal", "sandbox failure in " + *o.fault + "; please retry"});
}

const char* encodingName(TextEncoding e) {
  return e == TextEncoding::kBase64 ? "base64" : "utf-8";
}

// The fields every /run and /judge answer starts with.
json answerHead(const jobs::LanguageProfile& lang, const JobOutcome& o,
                const sandbox::Limits& limits, TextEncoding enc) {
  return {{"language", lang.name},
          {"version", lang.version},
          {"compile", compileJson(o, enc)},
          {"limits", limitsJson(limits)},
          {"encoding", encodingName(enc)}};
}

}  // namespace

HttpResponse errorResponse(const ApiError& e) {
  return jsonResponse(e.status, json{{"error", e.message}, {"code", e.code}});
}

const Api::LogFields& Api::lastLogFields() {
  return tls_log_fields;
}

std::string Api::routeOf(const std::string& raw_path) {
  // "/api/v1/run/" is the route "/api/v1/run", as in dispatch().
  std::string path = raw_path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  static const char* kRoutes[] = {"/api/v1/run",      "/api/v1/judge", "/api/v1/languages",
                                  "/api/v1/runtimes", "/health",       "/metrics"};
  for (const char* r : kRoutes)
    if (path == r) return r;
  if (path == "/" || path == "/index.html" || path.rfind("/assets/", 0) == 0) return "static";
  return "other";
}

std::variant<Admission, HttpResponse> Api::precheck(const HttpRequest& req) {
  tls_log_fields = {};
  Admission admission;
  try {
    if (auto refusal = checkOrigin(req, options_.origins)) return finish(req, *refusal);
    auto target = resolve(req);
    if (auto* refusal = std::get_if<HttpResponse>(&target)) return finish(req, *refusal);
    const Route* route = std::get<const Route*>(target);
    // Health checks stay open: load balancers and supervisors probe without a key. So do
    // the web page's files (route null): the page asks for the key itself.
    if (options_.access != nullptr && route != nullptr && std::string(route->path) != "/health") {
      AccessControl::Verdict v = options_.access->check(req);
      tls_log_fields.key = admission.key_name = v.key_name;
      if (v.refusal) return finish(req, *v.refusal);
    }
    // The server never inflates a body: a small gzip body could stand for gigabytes.
    if (auto it = req.headers.find("content-encoding"); it != req.headers.end()) {
      std::string coding;
      for (char c : it->second)
        if (c != ' ' && c != '\t')
          coding += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!coding.empty() && coding != "identity")
        return finish(req, errorResponse(ApiError{415, "unsupported_encoding",
                                                  "compressed request bodies (Content-Encoding: " +
                                                      it->second.substr(0, 40) +
                                                      ") are not accepted; send the JSON as is"}));
    }
  } catch (const std::exception& e) {
    return finish(
        req, errorResponse(ApiError{500, "internal", std::string("internal error: ") + e.what()}));
  }
  return admission;
}

HttpResponse Api::handle(const HttpRequest& request, const Admission& admission) {
  tls_log_fields = {};
  tls_log_fields.key = admission.key_name;
  HttpResponse response;
  try {
    response = dispatch(request);
  } catch (const std::exception& e) {
    response = errorResponse(ApiError{500, "internal", std::string("internal error: ") + e.what()});
  }
  return finish(request, std::move(response));
}

HttpResponse Api::handle(const HttpRequest& request) {
  auto checked = precheck(request);
  if (auto* refusal = std::get_if<HttpResponse>(&checked)) return std::move(*refusal);
  return handle(request, std::get<Admission>(checked));
}

HttpResponse Api::finish(const HttpRequest& request, HttpResponse response) {
  metrics_.countRequest(routeOf(request.path), response.status);
  if (!tls_log_fields.key.empty()) metrics_.countKeyRequest(tls_log_fields.key, response.status);
  return response;
}

std::variant<const Api::Route*, HttpResponse> Api::resolve(const HttpRequest& req) const {
  static constexpr Route kRoutes[] = {
      {"/api/v1/run", "POST"},     {"/api/v1/judge", "POST"}, {"/api/v1/languages", "GET"},
      {"/api/v1/runtimes", "GET"}, {"/health", "GET"},        {"/metrics", "GET"},
  };
  std::string path = req.path;
  // "/api/v1/run/" is the same route as "/api/v1/run".
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const Route* route = nullptr;
  for (const auto& r : kRoutes)
    if (path == r.path) route = &r;
  if (route == nullptr) {
    // The web page: its files for GET and HEAD, 405 for other methods on them, and for "/"
    // a 404 that says why when this server has no page to serve.
    const StaticSite* site = options_.site;
    if (req.path == "/" && site == nullptr)
      return errorResponse(ApiError{404, "not_found", options_.site_missing});
    if (site == nullptr || !(req.path == "/" || site->has(req.path)))
      return errorResponse(ApiError{404, "not_found",
                                    "no such route: " + req.path.substr(0, 200) +
                                        "; see /api/v1/languages, /api/v1/run, /api/v1/judge"});
    if (req.method != "GET" && req.method != "HEAD") {
      HttpResponse r = errorResponse(ApiError{405, "method_not_allowed",
                                              req.method.substr(0, 16) + " is not allowed on " +
                                                  req.path.substr(0, 200) + "; use GET"});
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    return route;
  }
  const bool head = req.method == "HEAD" && std::string(route->method) == "GET";
  if (req.method != route->method && !head) {
    HttpResponse r = errorResponse(ApiError{
        405, "method_not_allowed",
        req.method.substr(0, 16) + " is not allowed on " + path + "; use " + route->method});
    r.headers.emplace_back("Allow", route->method);
    return r;
  }
  return route;
}

HttpResponse Api::dispatch(const HttpRequest& req) {
  auto target = resolve(req);
  if (auto* refusal = std::get_if<HttpResponse>(&target)) return std::move(*refusal);
  const Route* route = std::get<const Route*>(target);
  if (route == nullptr) {
    if (auto r = options_.site->serve(req)) return *r;
    return errorResponse(ApiError{404, "not_found", "no such file: " + req.path.substr(0, 200)});
  }
  const std::string path = route->path;
  if (path == "/api/v1/run") return run(req);
  if (path == "/api/v1/judge") return judge(req);
  if (path == "/api/v1/languages") return languages();
  if (path == "/api/v1/runtimes") return runtimes();
  if (path == "/health") return health();
  return metrics();
}

std::variant<JobOutcome, HttpResponse> Api::execute(jobs::JobPlan plan,
                                                    const jobs::LanguageProfile& lang,
                                                    const HttpRequest& request) {
  tls_log_fields.language = lang.name;
  plan.cancel = request.cancel;
  auto busy = [&](const std::string& why) {
    HttpResponse r = errorResponse(ApiError{503, "busy", why});
    r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
    return r;
  };
  const char* const stopping = "the server is shutting down; nothing was run, retry later";
  auto future = backend_.submit(std::move(plan));
  if (!future)
    return busy(backend_.stopping() ? stopping
                                    : "the job queue is full; nothing was run, retry later");
  JobOutcome o = future->get();
  if (o.rejected) return busy(stopping);
  observe(o);
  if (o.cancelled) {
    // Nobody reads this answer; the status (nginx's "client closed request") is for the
    // log and the metrics.
    tls_log_fields.status = "cancelled";
    return errorResponse(
        ApiError{499, "cancelled", "the client went away; the job was stopped where it was"});
  }
  if (o.fault) {
    tls_log_fields.status = "internal";
    metrics_.countRun(lang.name, "internal_error");
    return faultResponse(o);
  }
  return o;
}

void Api::observe(const JobOutcome& o) {
  metrics_.observe(Metrics::Phase::kQueue, o.queue_ms);
  if (o.compile && !o.compile_cached) metrics_.observe(Metrics::Phase::kCompile, o.compile_ms);
  if (!o.runs.empty()) metrics_.observe(Metrics::Phase::kRun, o.run_ms);
  metrics_.observe(Metrics::Phase::kTotal, o.total_ms);
}

HttpResponse Api::run(const HttpRequest& req) {
  auto parsed = parseRunRequest(req.body, backend_.languages(), options_.input);
  if (auto* e = std::get_if<ApiError>(&parsed)) return errorResponse(*e);
  ParsedRun& p = std::get<ParsedRun>(parsed);
  p.spec.cache_scope = tls_log_fields.key;
  const jobs::LanguageProfile& lang = *p.spec.language;
  auto executed = execute(backend_.planRun(p.spec), lang, req);
  if (auto* r = std::get_if<HttpResponse>(&executed)) return *r;
  const auto outcome = &std::get<JobOutcome>(executed);

  json j = answerHead(lang, *outcome, backend_.limitsFor(p.spec), p.encoding);
  if (compileFailed(*outcome) || outcome->runs.empty()) {
    // The program did not run. The compiler's messages also go to "stderr", where clients
    // of the original API look for them.
    j["status"] = "compile_error";
    j["error"] = "compile error";
    j["stdout"] = jobs::outputText("", p.encoding);
    j["stderr"] = outcome->compile ? jobs::outputText(outcome->compile->stderr_data, p.encoding)
                                   : jobs::outputText("", p.encoding);
    j["exit_code"] = nullptr;
    j["signal"] = nullptr;
    j["time_ms"] = nullptr;
    j["wall_ms"] = nullptr;
    j["memory_kb"] = nullptr;
    j["stdout_truncated"] = false;
    j["stderr_truncated"] = false;
  } else {
    const RunResult& r = outcome->runs.front();
    j["status"] = sandbox::statusName(r.status);
    j["error"] = r.status == RunStatus::kOk
                     ? json(nullptr)
                     : json(r.error.empty() ? sandbox::statusName(r.status) : r.error);
    j["stdout"] = jobs::outputText(r.stdout_data, p.encoding);
    j["stderr"] = jobs::outputText(r.stderr_data, p.encoding);
    j["exit_code"] = orNull(r.exit_code);
    j["signal"] = orNull(r.signal);
    j["time_ms"] = r.time_ms ? json(roundMs(*r.time_ms)) : json(nullptr);
    j["wall_ms"] = roundMs(r.wall_ms);
    j["memory_kb"] = orNull(r.memory_kb);
    j["stdout_truncated"] = r.stdout_truncated;
    j["stderr_truncated"] = r.stderr_truncated;
  }
  tls_log_fields.status = j["status"].get<std::string>();
  metrics_.countRun(lang.name, tls_log_fields.status);
  return jsonResponse(200, j);
}

HttpResponse Api::judge(const HttpRequest& req) {
  auto parsed = parseJudgeRequest(req.body, backend_.languages(), options_.input);
  if (auto* e = std::get_if<ApiError>(&parsed)) return errorResponse(*e);
  ParsedJudge& p = std::get<ParsedJudge>(parsed);
  p.spec.run.cache_scope = tls_log_fields.key;
  const jobs::LanguageProfile& lang = *p.spec.run.language;
  auto executed = execute(backend_.planJudge(p.spec), lang, req);
  if (auto* r = std::get_if<HttpResponse>(&executed)) return *r;
  const auto outcome = &std::get<JobOutcome>(executed);

  json j = answerHead(lang, *outcome, backend_.limitsFor(p.spec.run), p.encoding);
  j["checker"] = judge::checkerName(p.spec.checker.type);
  std::string verdict = "accepted";
  json tests = json::array();
  double max_time = 0;
  uint64_t max_memory = 0;
  if (compileFailed(*outcome)) {
    verdict = "compile_error";
    for (size_t i = 0; i < p.spec.tests.size(); ++i) tests.push_back({{"verdict", "skipped"}});
  } else {
    for (size_t i = 0; i < p.spec.tests.size(); ++i) {
      if (i >= outcome->runs.size() || i >= outcome->verdicts.size()) {
        tests.push_back({{"verdict", "skipped"}});
        continue;
      }
      const RunResult& r = outcome->runs[i];
      const std::string& v = outcome->verdicts[i];  // decided in the job, on the whole output
      if (v != "accepted" && verdict == "accepted") verdict = v;
      json t = {{"verdict", v},
                {"time_ms", r.time_ms ? json(roundMs(*r.time_ms)) : json(nullptr)},
                {"wall_ms", roundMs(r.wall_ms)},
                {"memory_kb", orNull(r.memory_kb)},
                {"exit_code", orNull(r.exit_code)},
                {"signal", orNull(r.signal)}};
      if (v != "accepted") {
        // What the program printed helps to see why; accepted tests leave it out to keep
        // a 100-test answer small.
        t["stdout"] = jobs::outputText(r.stdout_data, p.encoding);
        t["stderr"] = jobs::outputText(r.stderr_data, p.encoding);
        t["stdout_truncated"] = r.stdout_truncated;
        t["stderr_truncated"] = r.stderr_truncated;
        t["error"] = r.status == RunStatus::kOk ? json(nullptr) : json(r.error);
      }
      max_time = std::max(max_time, r.time_ms.value_or(0));
      max_memory = std::max(max_memory, r.memory_kb.value_or(0));
      tests.push_back(std::move(t));
    }
  }
  // Every test that ran passed, but the job's budget ended it before the others.
  if (verdict == "accepted" && !outcome->stopped.empty()) verdict = "job_limit_exceeded";
  j["verdict"] = verdict;
  j["stopped"] = outcome->stopped.empty() ? json(nullptr) : json(outcome->stopped);
  j["output_cut"] = outcome->output_cut;
  j["tests"] = std::move(tests);
  j["max_time_ms"] = roundMs(max_time);
  j["max_memory_kb"] = max_memory;
  tls_log_fields.status = verdict;
  metrics_.countRun(lang.name, verdict);
  return jsonResponse(200, j);
}

HttpResponse Api::languages() const {
  json names = json::array();
  for (const auto& l : backend_.languages().all()) names.push_back(l.name);
  return jsonResponse(200, json{{"languages", names}});
}

HttpResponse Api::runtimes() const {
  json list = json::array();
  for (const auto& l : backend_.languages().all()) {
    list.push_back(
        {{"language", l.name},
         {"version", l.version},
         {"aliases", l.aliases},
         {"compiled", l.compile.has_value()},
         {"source_file", l.source_file},
         {"sample", l.sample},
         {"limits",
          {{"default", limitsJson(l.default_limits)}, {"max", limitsJson(l.max_limits)}}}});
  }
  return jsonResponse(200, list);
}

HttpResponse Api::health() const {
  const HealthInfo h = backend_.health();
  const bool degraded = h.broken > 0 || h.cpu == "none" || h.memory == "none" || h.pids == "none" ||
                        backend_.languages().all().empty();
  json j = {{"status", degraded ? "degraded" : "ok"},
            {"slots", {{"total", h.slots}, {"busy", h.busy}, {"broken", h.broken}}},
            {"queue", {{"length", h.queued}, {"capacity", h.queue_capacity}}},
            {"cgroup", {{"cpu", h.cpu}, {"memory", h.memory}, {"pids", h.pids}}},
            {"warnings", h.warnings}};
  return jsonResponse(200, j);
}

HttpResponse Api::metrics() const {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = metrics_.render(backend_.gauges());
  return r;
}

}  // namespace codecanvas::http
