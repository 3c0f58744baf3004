// The codecanvas HTTP API as a function from request to response (routing, validation,
// job submission, JSON). The HTTP server, the unit tests and the fuzz target all call it;
// it never throws and never blocks longer than the job it waits for.
//
// In two steps, so that the server reads a body only for a request that may send one:
// precheck() needs the request line and the headers (Host and Origin, route, method, API
// key and rate, Content-Encoding); handle(request, admission) answers the whole request
// that precheck() let in. handle(request) does both, for callers that hold the whole
// request at once.
#pragma once

#include <future>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "access.h"
#include "api_types.h"
#include "jobs/code_runner.h"
#include "metrics.h"
#include "object_store.h"
#include "origin_policy.h"
#include "request_parser.h"
#include "static_site.h"

namespace codecanvas::http {

struct HealthInfo {
  size_t slots = 0, busy = 0, broken = 0, queued = 0, queue_capacity = 0;
  std::string cpu = "none", memory = "none", pids = "none";  // "v1", "v2" or "none"
  std::vector<std::string> warnings;
  // The worker mode (broker_backend.h): whether the broker is reachable, the jobs waiting
  // in its queue and the workers consuming it. `broker` is empty without one.
  std::string broker;  // "", "connected" or "unreachable"
  size_t broker_queue = 0, workers = 0;
};

// What the API needs from the rest of the service. The server's implementation wraps the
// CodeRunner and the slot pool; unit tests give one that answers without a sandbox.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual const jobs::LanguageRegistry& languages() const = 0;
  virtual sandbox::Limits limitsFor(const jobs::RunSpec& spec) const = 0;
  // The limits of a judge's own program (an interactor, a checker): the operator's.
  virtual sandbox::Limits judgeProgramLimits(const jobs::LanguageProfile& language) const = 0;
  virtual jobs::JobPlan planRun(const jobs::RunSpec& spec) const = 0;
  virtual jobs::JobPlan planJudge(const jobs::JudgeSpec& spec) const = 0;
  // Nullopt when the queue is full: the API answers 503 and nothing runs.
  virtual std::optional<std::future<jobs::JobOutcome>> submit(jobs::JobPlan plan) = 0;
  // The same without a thread waiting (a live session): `done` gets the outcome on a
  // thread of the backend's. False: not admitted (queue full, stopping, or a backend that
  // runs no live jobs), and `done` is never called.
  virtual bool submit(jobs::JobPlan /*plan*/, std::function<void(jobs::JobOutcome)> /*done*/) {
    return false;
  }
  virtual HealthInfo health() const = 0;
  virtual Metrics::Gauges gauges() const = 0;
  // Why submit() refuses right now when that is neither a full queue nor a shutdown (the
  // worker mode: the broker is unreachable, or its queue is too deep); "" otherwise.
  virtual std::string refusal() const { return ""; }
  // True once the service refuses new jobs for good (shutting down).
  virtual bool stopping() const { return false; }
};

// The code-executor adapter's state (code_executor_api.h), owned by the server.
struct CodeExecutorOptions {
  ObjectStore* store = nullptr;  // uploads and artifacts
  RunStore* runs = nullptr;
  const UrlSigner* signer = nullptr;
  int64_t file_retention_seconds = 3600;  // uploads and artifacts
  jobs::OutputCollection outputs;         // the caps on one run's artifacts
};

struct ApiOptions {
  InputLimits input;
  int retry_after_seconds = 1;
  // The web page's files, served at "/" for GET and HEAD; when null, `site_missing` says
  // why (a GET of "/" answers 404 with that sentence).
  const StaticSite* site = nullptr;
  std::string site_missing = "this server does not serve the web page";
  // API keys and rate limits; null or open(): every request is let in.
  AccessControl* access = nullptr;
  // Which Host and Origin headers are accepted (cross-site requests, DNS rebinding).
  OriginPolicy origins;
  // GET /health answers {"status": "UP"} (200) or {"status": "DOWN"} (503) as the
  // interactive-execution server's monitors expect, instead of the native shape.
  bool exec_server_health = false;
  // Unset: the /v1/ routes answer 503 (this server keeps no files).
  std::optional<CodeExecutorOptions> executor;
  // POST /api (the queue-based runner's route): how long a job may wait in the queue,
  // beyond its own limits, before the answer is 504.
  uint64_t queue_runner_wait_ms = 30000;
};

// What precheck() let in: the request may send its body, and handle() answers it.
struct Admission {
  std::string key_name;  // the API key the request used ("" when none or open)
};

// The protocol a live session speaks (live_session.h): codecanvas's own at
// /api/v1/sessions, or Piston's at /api/v2/connect.
enum class SessionDialect { kNative, kPiston };

// A live session's job, planned from its first message (live_session.h).
struct SessionStart {
  jobs::JobPlan plan;
  const jobs::LanguageProfile* language = nullptr;
  sandbox::Limits limits;
  jobs::TextEncoding encoding = jobs::TextEncoding::kUtf8;
  std::string stdin_data;  // the first message's "stdin": the program reads it first
};

class Api {
 public:
  Api(Backend& backend, Metrics& metrics, ApiOptions options)
      : backend_(backend), metrics_(metrics), options_(std::move(options)) {}

  // The checks that need only the request line and the headers, in this order: Host and
  // Origin (403), route (404) and method (405), the API key (401) and its rate (429, which
  // takes one request from the key's bucket), a compressed body (415). A refusal is counted
  // in the metrics and its log fields are set on this thread. `request.body` is not read.
  std::variant<Admission, HttpResponse> precheck(const HttpRequest& request);
  // The answer to a request precheck() admitted, body read; checks nothing of precheck's
  // again (the rate is charged once).
  HttpResponse handle(const HttpRequest& request, const Admission& admission);
  // precheck(), then handle() when it lets the request in.
  HttpResponse handle(const HttpRequest& request);

  // The route a path belongs to (its pattern, "/v1/runs/{id}", for a route with an id), for
  // logs and metrics ("static" for the web page's files,
  // "other" for unknown paths, so a scan of random URLs cannot grow the metrics without
  // bound).
  static std::string routeOf(const std::string& path);
  // Every route as "METHOD path", in the table's order (the OpenAPI document must list
  // exactly these).
  static std::vector<std::string> routeList();

  // Extra fields for the request log line, filled by precheck() and handle()
  // (thread-local: the server reads them right after the call returns, on its thread).
  struct LogFields {
    std::string language;
    std::string status;  // the run status or judge verdict
    std::string key;     // the name of the API key the request used
  };
  static const LogFields& lastLogFields();

  // Live sessions (GET /api/v1/sessions, upgraded to a WebSocket by the server):
  // The first message, the JSON of POST /api/v1/run (Piston: its "init", the JSON of its
  // execute, whose "stdin" Piston does not write over the socket either): the job to run,
  // or what is wrong. Without a wall limit the run may take the language's maximum wall
  // time: a person types.
  std::variant<SessionStart, ApiError> planSession(
      const std::string& message, const Admission& admission,
      SessionDialect dialect = SessionDialect::kNative);
  // Submits the session's job; `done` gets its outcome on a backend thread. False: the
  // queue is full or the server stops.
  bool submitSession(jobs::JobPlan plan, std::function<void(jobs::JobOutcome)> done);
  // The session's last message for `outcome`, counted in the metrics like a run:
  // {"type": "result", "result": <the answer of POST /api/v1/run>}, or
  // {"type": "error", "code", "message"} when the sandbox failed or nothing ran.
  nlohmann::json sessionResult(const SessionStart& start, const jobs::JobOutcome& outcome);
  // Counts a session that ended before it had a result (refused, or its client left).
  void countSession(int status);

 private:
  // The API's routes, one table: resolve() finds a request's route in it, dispatch()
  // calls its handler, routeOf() names it in the metrics.
  struct Route {
    const char* path;
    const char* method;
    HttpResponse (Api::*handler)(const HttpRequest&);
  };
  static const Route kRoutes[];
  // The API route a request reaches (null: a page of the web site), or the 404 or 405 to
  // answer instead. Pure.
  std::variant<const Route*, HttpResponse> resolve(const HttpRequest& request) const;
  HttpResponse dispatch(const HttpRequest& request);
  HttpResponse finish(const HttpRequest& request, HttpResponse response);
  HttpResponse run(const HttpRequest& request);
  HttpResponse judge(const HttpRequest& request);
  HttpResponse languages(const HttpRequest&);
  HttpResponse runtimes(const HttpRequest&);
  HttpResponse health(const HttpRequest&);
  HttpResponse metrics(const HttpRequest&);
  // The Piston v2 adapter (piston_api.h), at /api/v2/ and /api/v2/piston/.
  HttpResponse pistonRuntimes(const HttpRequest&);
  HttpResponse pistonPackages(const HttpRequest&);
  HttpResponse pistonExecute(const HttpRequest& request);
  HttpResponse openApi(const HttpRequest&);
  // GET /api/v1/sessions without a WebSocket upgrade: 426, which says how to connect.
  HttpResponse sessionsWithoutUpgrade(const HttpRequest&);
  // The same 426 in Piston's error shape ({"message": ...}), as every Piston route answers.
  HttpResponse pistonConnectWithoutUpgrade(const HttpRequest&);
  // The interactive-execution server's REST path (exec_server_api.h).
  HttpResponse execServerExecute(const HttpRequest& request);
  HttpResponse execServerLanguages(const HttpRequest&);
  // The code-executor adapter (code_executor_api.h).
  HttpResponse executorRun(const HttpRequest& request);
  HttpResponse executorGetRun(const HttpRequest& request);
  HttpResponse executorUpload(const HttpRequest& request);
  HttpResponse executorArtifact(const HttpRequest& request);
  // The queue-based runner's POST /api (queue_runner_api.h).
  HttpResponse queueRunnerRun(const HttpRequest& request);
  // Submits a job and waits for it: its outcome, or the answer to give instead (503 when
  // the queue is full or the server stops, 500 on a sandbox fault). With `deadline_ms`,
  // a job not done by then is stopped and the answer is 504.
  std::variant<jobs::JobOutcome, HttpResponse> execute(
      jobs::JobPlan plan, const jobs::LanguageProfile& lang, const HttpRequest& request,
      std::optional<uint64_t> deadline_ms = std::nullopt);
  void observe(const jobs::JobOutcome& o);

  Backend& backend_;
  Metrics& metrics_;
  ApiOptions options_;
};

}  // namespace codecanvas::http
