#include "api.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "code_executor_api.h"
#include "exec_server_api.h"
#include "jobs/result_json.h"
#include "piston_api.h"
#include "queue_runner_api.h"

namespace codecanvas::http {

namespace {

using jobs::JobOutcome;
using jobs::TextEncoding;
using nlohmann::json;

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

// Whether `path` (trailing slashes removed) is the route `pattern`, where a segment
// "{id}" stands for any one non-empty segment.
bool routeMatches(std::string_view pattern, std::string_view path) {
  const size_t brace = pattern.find('{');
  if (brace == std::string_view::npos) return pattern == path;
  const std::string_view prefix = pattern.substr(0, brace);
  if (path.size() <= prefix.size() || path.substr(0, prefix.size()) != prefix) return false;
  return path.find('/', prefix.size()) == std::string_view::npos;
}

// The last segment of a path: a route's {id}.
std::string lastSegment(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path.substr(path.rfind('/') + 1);
}

// An adapter's run in the native terms, for the log and the metrics: the run's status, or
// compile_error.
std::string nativeStatus(const JobOutcome& o) {
  const bool ran = !o.runs.empty() && !jobs::compileFailed(o);
  return ran ? sandbox::statusName(o.runs.front().status) : std::string("compile_error");
}

HttpResponse faultResponse(const JobOutcome& o) {
  return errorResponse(
      ApiError{500, "internal", "sandbox failure in " + *o.fault + "; please retry"});
}

}  // namespace

const Api::Route Api::kRoutes[] = {
    {"/api/v1/run", "POST", &Api::run},
    {"/api/v1/judge", "POST", &Api::judge},
    {"/api/v1/languages", "GET", &Api::languages},
    {"/api/v1/runtimes", "GET", &Api::runtimes},
    {"/api/v1/sessions", "GET", &Api::sessionsWithoutUpgrade},
    {"/health", "GET", &Api::health},
    {"/metrics", "GET", &Api::metrics},
    {"/api/v2/runtimes", "GET", &Api::pistonRuntimes},
    {"/api/v2/piston/runtimes", "GET", &Api::pistonRuntimes},
    {"/api/v2/packages", "GET", &Api::pistonPackages},
    {"/api/v2/piston/packages", "GET", &Api::pistonPackages},
    {"/api/v2/execute", "POST", &Api::pistonExecute},
    {"/api/v2/connect", "GET", &Api::pistonConnectWithoutUpgrade},
    {"/api/v2/piston/connect", "GET", &Api::pistonConnectWithoutUpgrade},
    {"/api/v2/piston/execute", "POST", &Api::pistonExecute},
    {"/openapi.json", "GET", &Api::openApi},
    {"/execute", "POST", &Api::execServerExecute},
    {"/languages", "GET", &Api::execServerLanguages},
    {"/v1/runs", "POST", &Api::executorRun},
    {"/v1/runs/{id}", "GET", &Api::executorGetRun},
    {"/v1/files", "POST", &Api::executorUpload},
    {"/v1/artifacts/{id}", "GET", &Api::executorArtifact},
    {"/api", "POST", &Api::queueRunnerRun},
};

// src/http/openapi.json, embedded by the build (embed_text.py).
extern const std::string_view kOpenApiDocument;

std::vector<std::string> Api::routeList() {
  std::vector<std::string> out;
  for (const Route& r : kRoutes) out.push_back(std::string(r.method) + " " + r.path);
  return out;
}

HttpResponse Api::openApi(const HttpRequest&) {
  HttpResponse r;
  r.body = std::string(kOpenApiDocument);
  return r;
}

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
  for (const Route& r : kRoutes)
    if (routeMatches(r.path, path)) return r.path;
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
    // the web page's files (route null; the page asks for the key itself) and the API's
    // description, which a client reads before it has one.
    // An artifact's signed URL is its own credential: it is handed to whoever should
    // fetch the file (a browser, another service), who holds no key.
    const bool open = route == nullptr || std::string(route->path) == "/health" ||
                      std::string(route->path) == "/openapi.json" ||
                      std::string(route->path) == "/v1/artifacts/{id}";
    if (options_.access != nullptr && !open) {
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
  std::string path = req.path;
  // "/api/v1/run/" is the same route as "/api/v1/run".
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const Route* route = nullptr;
  for (const auto& r : kRoutes)
    if (routeMatches(r.path, path)) route = &r;
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
        // The route's name, not the path: "/v1/runs/{id}" matches paths of any length.
        req.method.substr(0, 16) + " is not allowed on " + route->path + "; use " + route->method});
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
  return (this->*route->handler)(req);
}

std::variant<JobOutcome, HttpResponse> Api::execute(jobs::JobPlan plan,
                                                    const jobs::LanguageProfile& lang,
                                                    const HttpRequest& request,
                                                    std::optional<uint64_t> deadline_ms) {
  tls_log_fields.language = lang.name;
  plan.cancel = request.cancel;
  if (deadline_ms && !plan.cancel) plan.cancel = std::make_shared<jobs::JobCancel>();
  const std::shared_ptr<jobs::JobCancel> cancel = plan.cancel;
  auto busy = [&](const std::string& why) {
    HttpResponse r = errorResponse(ApiError{503, "busy", why});
    r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
    return r;
  };
  const char* const stopping = "the server is shutting down; nothing was run, retry later";
  auto future = backend_.submit(std::move(plan));
  if (!future) {
    if (backend_.stopping()) return busy(stopping);
    const std::string why = backend_.refusal();
    return busy(!why.empty() ? why : "the job queue is full; nothing was run, retry later");
  }
  bool late = false;
  if (deadline_ms &&
      future->wait_for(std::chrono::milliseconds(*deadline_ms)) == std::future_status::timeout) {
    late = true;
    cancel->request();
  }
  JobOutcome o = future->get();
  if (o.rejected) return busy(o.rejected_reason.empty() ? stopping : o.rejected_reason);
  observe(o);
  if (late && o.cancelled) {
    tls_log_fields.status = "timeout";
    return errorResponse(ApiError{504, "timeout",
                                  "the job did not finish within " + std::to_string(*deadline_ms) +
                                      " ms (its limits and the time it may wait in the queue); "
                                      "it was stopped"});
  }
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

  json j = jobs::runAnswer(lang, *outcome, backend_.limitsFor(p.spec), p.encoding);
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
  std::optional<jobs::JudgeProgramInfo> program;
  std::string checker = judge::checkerName(p.spec.checker.type);
  if (auto& prog = p.spec.program) {
    prog->run.cache_scope = tls_log_fields.key;
    const bool interactor = prog->role == jobs::JudgeProgram::Role::kInteractor;
    checker = interactor ? "interactor" : "program";
    program =
        jobs::JudgeProgramInfo{interactor ? "interactor" : "checker_program", prog->run.language,
                               backend_.judgeProgramLimits(*prog->run.language)};
    // The judge's program runs in a slot of its own beside the solution's.
    if (backend_.health().slots == 1)
      return errorResponse(ApiError{
          503, "busy",
          "this server has one sandbox slot, and a judge with an interactor or a checker "
          "program needs two at once (the operator's \"slots\" setting); nothing was run"});
  }
  auto executed = execute(backend_.planJudge(p.spec), lang, req);
  if (auto* r = std::get_if<HttpResponse>(&executed)) return *r;
  const auto outcome = &std::get<JobOutcome>(executed);

  json j = jobs::judgeAnswer(lang, *outcome, backend_.limitsFor(p.spec.run), p.encoding, checker,
                             p.spec.tests.size(), program ? &*program : nullptr);
  const std::string verdict = j["verdict"].get<std::string>();
  tls_log_fields.status = verdict;
  metrics_.countRun(lang.name, verdict);
  return jsonResponse(200, j);
}

HttpResponse Api::sessionsWithoutUpgrade(const HttpRequest&) {
  HttpResponse r = errorResponse(
      ApiError{426, "upgrade_required",
               "this route is a WebSocket: connect with Upgrade: websocket (docs/api.md, "
               "\"Live sessions\")"});
  r.headers.emplace_back("Upgrade", "websocket");
  r.headers.emplace_back("Connection", "Upgrade");
  return r;
}

HttpResponse Api::pistonConnectWithoutUpgrade(const HttpRequest& req) {
  return piston::asPistonError(sessionsWithoutUpgrade(req));
}

std::variant<SessionStart, ApiError> Api::planSession(const std::string& message,
                                                      const Admission& admission,
                                                      SessionDialect dialect) {
  try {
    ParsedRun p;
    if (dialect == SessionDialect::kPiston) {
      auto parsed = piston::parseExecute(message, backend_.languages(), options_.input);
      if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
      p.spec = std::move(std::get<jobs::RunSpec>(parsed));
      p.spec.stdin_data.clear();
    } else {
      auto parsed = parseRunRequest(message, backend_.languages(), options_.input);
      if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
      p = std::move(std::get<ParsedRun>(parsed));
    }
    p.spec.cache_scope = admission.key_name;
    if (!p.spec.limits.wall_ms) p.spec.limits.wall_ms = p.spec.language->max_limits.wall_ms;
    SessionStart start;
    start.stdin_data = std::move(p.spec.stdin_data);
    p.spec.stdin_data.clear();
    start.language = p.spec.language;
    start.limits = backend_.limitsFor(p.spec);
    start.encoding = p.encoding;
    start.plan = backend_.planRun(p.spec);
    return start;
  } catch (const std::exception& e) {
    return ApiError{500, "internal", std::string("internal error: ") + e.what()};
  }
}

bool Api::submitSession(jobs::JobPlan plan, std::function<void(JobOutcome)> done) {
  return backend_.submit(std::move(plan), std::move(done));
}

nlohmann::json Api::sessionResult(const SessionStart& start, const JobOutcome& o) {
  auto error = [](const std::string& code, const std::string& message) {
    return json{{"type", "error"}, {"code", code}, {"message", message}};
  };
  metrics_.countRequest("/api/v1/sessions", 101);
  if (o.rejected) return error("busy", "the server is shutting down; nothing was run");
  observe(o);
  if (o.cancelled) return error("cancelled", "the session was stopped where it was");
  if (o.fault) {
    metrics_.countRun(start.language->name, "internal_error");
    return error("internal", "sandbox failure in " + *o.fault + "; please retry");
  }
  json answer = jobs::runAnswer(*start.language, o, start.limits, start.encoding);
  metrics_.countRun(start.language->name, answer["status"].get<std::string>());
  return json{{"type", "result"}, {"result", std::move(answer)}};
}

void Api::countSession(int status) {
  metrics_.countRequest("/api/v1/sessions", status);
}

HttpResponse Api::languages(const HttpRequest&) {
  json names = json::array();
  for (const auto& l : backend_.languages().all()) names.push_back(l.name);
  return jsonResponse(200, json{{"languages", names}});
}

HttpResponse Api::runtimes(const HttpRequest&) {
  json list = json::array();
  for (const auto& l : backend_.languages().all()) {
    list.push_back({{"language", l.name},
                    {"version", l.version},
                    {"aliases", l.aliases},
                    {"compiled", l.compile.has_value()},
                    {"source_file", l.source_file},
                    {"sample", l.sample},
                    {"limits",
                     {{"default", jobs::limitsJson(l.default_limits)},
                      {"max", jobs::limitsJson(l.max_limits)}}}});
  }
  return jsonResponse(200, list);
}

HttpResponse Api::health(const HttpRequest&) {
  const HealthInfo h = backend_.health();
  // A server without slots of its own (the worker mode's API node) has no cgroups to
  // check; it is degraded while the broker is unreachable or no worker consumes its queue.
  const bool slots_degraded =
      h.slots > 0 && (h.broken > 0 || h.cpu == "none" || h.memory == "none" || h.pids == "none");
  const bool broker_degraded = !h.broker.empty() && (h.broker != "connected" || h.workers == 0);
  const bool degraded = slots_degraded || broker_degraded || backend_.languages().all().empty();
  if (options_.exec_server_health)
    return jsonResponse(degraded ? 503 : 200, {{"status", degraded ? "DOWN" : "UP"}});
  json j = {{"status", degraded ? "degraded" : "ok"},
            {"slots", {{"total", h.slots}, {"busy", h.busy}, {"broken", h.broken}}},
            {"queue", {{"length", h.queued}, {"capacity", h.queue_capacity}}},
            {"cgroup", {{"cpu", h.cpu}, {"memory", h.memory}, {"pids", h.pids}}},
            {"warnings", h.warnings}};
  if (!h.broker.empty())
    j["broker"] = {{"status", h.broker}, {"queue", h.broker_queue}, {"workers", h.workers}};
  return jsonResponse(200, j);
}

HttpResponse Api::metrics(const HttpRequest&) {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  Metrics::Gauges g = backend_.gauges();
  if (options_.executor) {
    options_.executor->store->sweep();  // what has expired is not counted
    g.file_store = true;
    g.file_store_files = options_.executor->store->count();
    g.file_store_bytes = options_.executor->store->bytes();
  }
  r.body = metrics_.render(g);
  return r;
}

HttpResponse Api::pistonRuntimes(const HttpRequest&) {
  return jsonResponse(200, piston::runtimes(backend_.languages()));
}

HttpResponse Api::pistonPackages(const HttpRequest&) {
  return jsonResponse(200, piston::packages(backend_.languages()));
}

HttpResponse Api::pistonExecute(const HttpRequest& req) {
  auto parsed = piston::parseExecute(req.body, backend_.languages(), options_.input);
  if (auto* e = std::get_if<ApiError>(&parsed)) return piston::asPistonError(errorResponse(*e));
  jobs::RunSpec& spec = std::get<jobs::RunSpec>(parsed);
  spec.cache_scope = tls_log_fields.key;
  const jobs::LanguageProfile& lang = *spec.language;
  auto executed = execute(backend_.planRun(spec), lang, req);
  if (auto* r = std::get_if<HttpResponse>(&executed)) return piston::asPistonError(*r);
  const auto& outcome = std::get<JobOutcome>(executed);
  json j = piston::executeAnswer(lang, outcome);
  // The log and the metrics count it in the native terms, like a run of /api/v1/run.
  tls_log_fields.status = nativeStatus(outcome);
  metrics_.countRun(lang.name, tls_log_fields.status);
  return jsonResponse(200, j);
}

HttpResponse Api::execServerLanguages(const HttpRequest&) {
  return jsonResponse(200, exec_server::languages(backend_.languages()));
}

HttpResponse Api::execServerExecute(const HttpRequest& req) {
  auto parsed = exec_server::parseExecute(req.body, backend_.languages(), options_.input);
  // That server's errors are {"error": sentence}: the native shape has that field.
  if (auto* e = std::get_if<ApiError>(&parsed)) return errorResponse(*e);
  jobs::RunSpec& spec = std::get<jobs::RunSpec>(parsed);
  spec.cache_scope = tls_log_fields.key;
  const jobs::LanguageProfile& lang = *spec.language;
  auto executed = execute(backend_.planRun(spec), lang, req);
  if (auto* r = std::get_if<HttpResponse>(&executed)) return *r;
  const auto& outcome = std::get<JobOutcome>(executed);
  json j = exec_server::executeAnswer(outcome, exec_server::newExecutionId());
  tls_log_fields.status = j["status"].get<std::string>();
  metrics_.countRun(lang.name, tls_log_fields.status);
  return jsonResponse(200, j);
}

// ---- the code-executor adapter (code_executor_api.h)

namespace {

HttpResponse storeUnavailable() {
  HttpResponse r = errorResponse(ApiError{
      503, "busy", "this server keeps no files, so the /v1/ routes are off (see docs/api.md)"});
  r.headers.emplace_back("Retry-After", "60");
  return r;
}

HttpResponse storeFull(const Error& e) {
  HttpResponse r = errorResponse(ApiError{507, "store_full", e.message});
  r.headers.emplace_back("Retry-After", "60");
  return r;
}

// Where the client reached this server, for absolute artifact URLs: its Host header (the
// origin policy has vetted it), https when a proxy in front says so.
std::string baseUrl(const HttpRequest& req) {
  auto host = req.headers.find("host");
  if (host == req.headers.end() || host->second.empty()) return "";
  auto proto = req.headers.find("x-forwarded-proto");
  const bool https = proto != req.headers.end() && proto->second == "https";
  return (https ? "https://" : "http://") + host->second;
}

// A file name as a quoted-string of Content-Disposition: quotes, backslashes and control
// characters become '_' (the UTF-8 original goes in filename*).
std::string dispositionOf(const std::string& name) {
  std::string plain, encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    plain += (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c >= 0x80) ? '_' : char(c);
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      encoded += char(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return "attachment; filename=\"" + plain + "\"; filename*=UTF-8''" + encoded;
}

std::optional<int64_t> unixSeconds(const std::string& text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// All the uploaded files one run may bring, together.
constexpr uint64_t kMaxRunFileBytes = 64ULL << 20;

}  // namespace

HttpResponse Api::executorRun(const HttpRequest& req) {
  if (!options_.executor) return storeUnavailable();
  const CodeExecutorOptions& ex = *options_.executor;
  auto parsed = code_executor::parseRun(req.body, backend_.languages(), options_.input);
  if (auto* e = std::get_if<ApiError>(&parsed)) return errorResponse(*e);
  auto& p = std::get<code_executor::ParsedRun>(parsed);
  const std::string owner = tls_log_fields.key;
  const jobs::LanguageProfile& lang = *p.spec.language;
  uint64_t file_bytes = 0;
  for (const auto& ref : p.files) {
    auto object = ex.store->find(ref.id, owner);
    if (!object || ref.id.rfind("file_", 0) != 0)
      return errorResponse(badRequest("no uploaded file \"" + ref.id.substr(0, 64) +
                                      "\" (uploads are kept " +
                                      std::to_string(ex.file_retention_seconds) + " s)"));
    const std::string name = ref.name.value_or(object->name);
    if (auto e = code_executor::checkBoxName(name, lang)) return errorResponse(*e);
    for (const auto& f : p.spec.files)
      if (f.name == name) return errorResponse(badRequest("two files named \"" + name + "\""));
    file_bytes += object->size;
    if (file_bytes > kMaxRunFileBytes)
      return errorResponse(tooLarge("a run's files may hold " +
                                    std::to_string(kMaxRunFileBytes >> 20) + " MiB in all"));
    auto content = ex.store->read(*object);
    if (!content)
      return errorResponse(
          ApiError{500, "internal", "reading an upload: " + content.error().message});
    p.spec.files.push_back(sandbox::BoxFile{name, std::move(*content), "", 0644});
  }
  p.spec.cache_scope = owner;
  p.spec.outputs = ex.outputs;
  auto executed = execute(backend_.planRun(p.spec), lang, req);
  if (auto* r = std::get_if<HttpResponse>(&executed)) return *r;
  const JobOutcome& outcome = std::get<JobOutcome>(executed);

  const std::string id = randomId("run_");
  const int64_t created = ex.store->now();
  std::vector<code_executor::Artifact> artifacts;
  bool truncated = outcome.outputs_truncated;
  const std::string base = baseUrl(req);
  for (const auto& file : outcome.outputs) {
    auto stored = ex.store->put("art_", owner, file.name, file.content, ex.file_retention_seconds);
    if (!stored) {  // the store is full: the run's answer still goes out, without the file
      truncated = true;
      continue;
    }
    artifacts.push_back(
        {*stored, base + code_executor::artifactPath(stored->id, stored->expires, *ex.signer)});
  }
  json j = code_executor::runAnswer(id, created, lang, outcome, artifacts, truncated);
  ex.runs->put(id, owner, j, created);
  tls_log_fields.status = j["verdict"].get<std::string>();
  metrics_.countRun(lang.name, tls_log_fields.status);
  return jsonResponse(200, j);
}

HttpResponse Api::executorGetRun(const HttpRequest& req) {
  if (!options_.executor) return storeUnavailable();
  const std::string id = lastSegment(req.path);
  auto found =
      options_.executor->runs->find(id, tls_log_fields.key, options_.executor->store->now());
  if (!found)
    return errorResponse(ApiError{404, "not_found",
                                  "no run \"" + id.substr(0, 64) + "\" (runs are kept " +
                                      std::to_string(options_.executor->file_retention_seconds) +
                                      " s, and only the API key that made one sees it)"});
  return jsonResponse(200, *found);
}

HttpResponse Api::executorUpload(const HttpRequest& req) {
  if (!options_.executor) return storeUnavailable();
  const CodeExecutorOptions& ex = *options_.executor;
  auto parsed = code_executor::parseUpload(req, options_.input);
  if (auto* e = std::get_if<ApiError>(&parsed)) return errorResponse(*e);
  auto& upload = std::get<code_executor::Upload>(parsed);
  auto stored = ex.store->put("file_", tls_log_fields.key, upload.name, upload.content,
                              ex.file_retention_seconds);
  if (!stored) {
    if (stored.error().errno_value == ENOSPC) return storeFull(stored.error());
    return errorResponse(ApiError{500, "internal", "storing the file: " + stored.error().message});
  }
  return jsonResponse(201, code_executor::fileObject(*stored));
}

HttpResponse Api::executorArtifact(const HttpRequest& req) {
  if (!options_.executor) return storeUnavailable();
  const CodeExecutorOptions& ex = *options_.executor;
  const std::string id = lastSegment(req.path);
  auto forbidden = [](const std::string& why) {
    return errorResponse(ApiError{403, "forbidden", why});
  };
  const auto expires_text = queryParam(req.query, "expires");
  const auto sig = queryParam(req.query, "sig");
  if (!expires_text || !sig)
    return forbidden(
        "an artifact's URL carries its expiry and signature (?expires=...&sig=...); "
        "use the url of the run's answer as it is");
  const auto expires = unixSeconds(*expires_text);
  if (!expires || !ex.signer->valid(id, *expires, *sig))
    return forbidden("the signature does not match this artifact and expiry");
  if (*expires <= ex.store->now())
    return forbidden("this link expired at " + std::to_string(*expires) +
                     " (Unix time); run the program again for a new one");
  auto object = ex.store->find(id);
  if (!object || id.rfind("art_", 0) != 0)
    return errorResponse(ApiError{404, "not_found", "the artifact is gone"});
  auto content = ex.store->read(*object);
  if (!content)
    return errorResponse(
        ApiError{500, "internal", "reading an artifact: " + content.error().message});
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.body = std::move(*content);
  r.headers.emplace_back("Content-Disposition", dispositionOf(object->name));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back(
      "Cache-Control",
      "private, max-age=" + std::to_string(std::max<int64_t>(0, *expires - ex.store->now())));
  return r;
}

// ---- the queue-based runner's POST /api (queue_runner_api.h)

HttpResponse Api::queueRunnerRun(const HttpRequest& req) {
  auto parsed = queue_runner::parseRun(req.body, backend_.languages(), options_.input);
  if (auto* e = std::get_if<ApiError>(&parsed)) return errorResponse(*e);
  jobs::RunSpec& spec = std::get<jobs::RunSpec>(parsed);
  spec.cache_scope = tls_log_fields.key;
  const jobs::LanguageProfile& lang = *spec.language;
  jobs::JobPlan plan = backend_.planRun(spec);
  // What the job may take by its own limits, and the wait in the queue on top.
  uint64_t deadline = options_.queue_runner_wait_ms;
  if (plan.compile) deadline += plan.compile->request.limits.wall_ms;
  for (const auto& r : plan.runs) deadline += r.limits.wall_ms;
  auto executed = execute(std::move(plan), lang, req, deadline);
  if (auto* r = std::get_if<HttpResponse>(&executed)) {
    // A full queue is the client's cue to slow down, as that runner says it: 429.
    if (r->status == 503 && !backend_.stopping()) {
      HttpResponse slow = errorResponse(
          ApiError{429, "rate_limited", "the job queue is full; nothing was run, retry later"});
      slow.headers = r->headers;  // Retry-After
      return slow;
    }
    return *r;
  }
  const JobOutcome& outcome = std::get<JobOutcome>(executed);
  json j = queue_runner::runAnswer(outcome);
  tls_log_fields.status = nativeStatus(outcome);
  metrics_.countRun(lang.name, tls_log_fields.status);
  return jsonResponse(200, j);
}

}  // namespace codecanvas::http
