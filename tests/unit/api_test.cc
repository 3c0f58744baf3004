// The HTTP API as a pure function: routing, validation and the response shapes, with a
// backend that answers from canned outcomes instead of a sandbox (the sandbox itself is
// covered end to end over real HTTP in tests/integration/http_test.cc).
#include "api.h"
#include "exec_server_api.h"
#include "fake_backend.h"
#include "piston_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

namespace codecanvas::http {
namespace {

using jobs::JobOutcome;
using nlohmann::json;
using sandbox::RunResult;
using sandbox::RunStatus;
using unit::FakeBackend;
using unit::okRun;
using unit::profile;

class ApiTest : public ::testing::Test {
 protected:
  HttpResponse call(const std::string& method, const std::string& path,
                    const std::string& body = "") {
    return api_.handle(HttpRequest{method, path, body, {}});
  }
  json post(const std::string& path, const std::string& body, int expect_status) {
    HttpResponse r = call("POST", path, body);
    EXPECT_EQ(r.status, expect_status) << body << " -> " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  // A bad request: the contract's error shape, a sentence that mentions `hint`, no job.
  void expectRefused(const std::string& body, int status, const std::string& code,
                     const std::string& hint, const std::string& path = "/api/v1/run") {
    const int before = backend_.submitted;
    json j = post(path, body, status);
    EXPECT_EQ(j.value("code", ""), code) << body;
    EXPECT_NE(j.value("error", "").find(hint), std::string::npos) << body << " -> " << j.dump();
    EXPECT_EQ(backend_.submitted, before) << "nothing may run for a refused request";
  }

  FakeBackend backend_;
  Metrics metrics_;
  ApiOptions options_ = [] {
    ApiOptions o;
    o.input.max_body_bytes = 4096;
    o.input.max_source_bytes = 1024;
    o.input.max_stdin_bytes = 512;
    o.input.max_tests = 3;
    return o;
  }();
  Api api_{backend_, metrics_, options_};
};

TEST_F(ApiTest, TheOriginalRequestGetsTheOriginalFields) {
  backend_.outcome.runs.push_back(okRun("hello world\n"));
  json j =
      post("/api/v1/run", R"J({"language":"python3","source":"print(\"hello world\")"})J", 200);
  EXPECT_EQ(j["stdout"], "hello world\n");
  EXPECT_EQ(j["stderr"], "");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_EQ(j["time_ms"], 1.5);
  EXPECT_EQ(j["memory_kb"], 1000);
  EXPECT_TRUE(j["compile"].is_null());
  EXPECT_EQ(j["limits"]["cpu_ms"], 1000);
  EXPECT_EQ(backend_.last_run.source, "print(\"hello world\")");
}

TEST_F(ApiTest, AliasesStdinArgsAndClampedLimitsReachTheJob) {
  backend_.outcome.runs.push_back(okRun(""));
  json j = post("/api/v1/run",
                R"({"language":"PY","source":"x","stdin":"in\n","args":["a","b"],
                    "limits":{"cpu_ms":999999,"memory_kb":65536},"unknown_field":[1,2]})",
                200);
  EXPECT_EQ(backend_.last_run.language->name, "python3");
  EXPECT_EQ(backend_.last_run.stdin_data, "in\n");
  EXPECT_EQ(backend_.last_run.args, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(j["limits"]["cpu_ms"], 5000) << "clamped to the language's maximum";
  EXPECT_EQ(j["limits"]["memory_kb"], 65536);
}

TEST_F(ApiTest, ASessionIsPlannedFromTheRunRequestWithItsStdinApart) {
  auto planned = api_.planSession(
      R"({"language":"py","source":"x","stdin":"first\n","limits":{"cpu_ms":700}})", {"judge"});
  ASSERT_TRUE(std::holds_alternative<SessionStart>(planned));
  const SessionStart& s = std::get<SessionStart>(planned);
  EXPECT_EQ(s.language->name, "python3");
  EXPECT_EQ(s.stdin_data, "first\n");
  EXPECT_EQ(backend_.last_run.stdin_data, "") << "the program reads its stdin from the session";
  EXPECT_EQ(backend_.last_run.cache_scope, "judge");
  EXPECT_EQ(s.limits.cpu_ms, 700u);
  // Without a wall limit a person types: the language's maximum.
  EXPECT_EQ(s.limits.wall_ms, backend_.languages().find("python3")->max_limits.wall_ms);
  auto asked = api_.planSession(R"({"language":"py","source":"x","limits":{"wall_ms":1500}})", {});
  EXPECT_EQ(std::get<SessionStart>(asked).limits.wall_ms, 1500u);
}

TEST_F(ApiTest, ABadFirstSessionMessageSaysWhatToFix) {
  for (const auto& [message, hint] : std::vector<std::pair<std::string, std::string>>{
           {"{not json", "JSON"},
           {R"({"language":"intercal","source":"x"})", "intercal"},
           {R"({"language":"py"})", "source"},
           {"[1]", "object"}}) {
    auto planned = api_.planSession(message, {});
    ASSERT_TRUE(std::holds_alternative<ApiError>(planned)) << message;
    EXPECT_EQ(std::get<ApiError>(planned).status / 100, 4) << message;
    EXPECT_NE(std::get<ApiError>(planned).message.find(hint), std::string::npos)
        << message << " -> " << std::get<ApiError>(planned).message;
  }
  EXPECT_EQ(backend_.submitted, 0);
}

TEST_F(ApiTest, ASessionsLastMessageIsTheRunAnswerOrAnError) {
  auto planned = api_.planSession(R"({"language":"py","source":"x"})", {});
  const SessionStart& s = std::get<SessionStart>(planned);
  JobOutcome o;
  RunResult killed = okRun("partial");
  killed.status = RunStatus::kKilled;
  killed.exit_code.reset();
  killed.signal = 9;
  o.runs.push_back(killed);
  json last = api_.sessionResult(s, o);
  EXPECT_EQ(last["type"], "result");
  EXPECT_EQ(last["result"]["status"], "killed");
  EXPECT_EQ(last["result"]["stdout"], "partial");
  EXPECT_EQ(last["result"]["signal"], 9);
  JobOutcome fault;
  fault.fault = "run 1: keeper lost";
  last = api_.sessionResult(s, fault);
  EXPECT_EQ(last["type"], "error");
  EXPECT_EQ(last["code"], "internal");
  JobOutcome rejected;
  rejected.rejected = true;
  EXPECT_EQ(api_.sessionResult(s, rejected)["code"], "busy");
  // The fake backend runs no live jobs: the default refuses.
  EXPECT_FALSE(api_.submitSession(jobs::JobPlan{}, [](JobOutcome) {}));
}

TEST_F(ApiTest, TheSessionsRouteWithoutAnUpgradeSaysHowToConnect) {
  HttpResponse r = call("GET", "/api/v1/sessions");
  EXPECT_EQ(r.status, 426);
  json j = json::parse(r.body);
  EXPECT_EQ(j["code"], "upgrade_required");
  EXPECT_NE(j["error"].get<std::string>().find("WebSocket"), std::string::npos);
  bool upgrade = false;
  for (const auto& [name, value] : r.headers) upgrade |= name == "Upgrade" && value == "websocket";
  EXPECT_TRUE(upgrade);
  EXPECT_EQ(call("POST", "/api/v1/sessions").status, 405);
}

TEST_F(ApiTest, BadInputGetsA4xxThatSaysWhatToFix) {
  expectRefused("", 400, "bad_request", "empty");
  expectRefused("{not json", 400, "bad_request", "not valid JSON");
  expectRefused("[1,2]", 400, "bad_request", "JSON object");
  expectRefused(R"({"source":"x"})", 400, "bad_request", "\"language\" is required");
  expectRefused(R"({"language":"python3"})", 400, "bad_request", "\"source\" is required");
  expectRefused(R"({"language":42,"source":"x"})", 400, "bad_request", "must be a string");
  expectRefused(R"({"language":"cobol","source":"x"})", 400, "bad_request",
                "unknown language \"cobol\"; available: ");
  {
    // A long unknown name is cut in the message to 100 bytes.
    const json e =
        post("/api/v1/run", json{{"language", std::string(200, 'x')}, {"source", "x"}}.dump(), 400);
    const std::string message = e.value("error", "");
    EXPECT_NE(message.find(std::string(100, 'x') + "\""), std::string::npos) << message;
    EXPECT_EQ(message.find(std::string(101, 'x')), std::string::npos) << message;
  }
  expectRefused(R"({"language":"python3","source":["x"]})", 400, "bad_request",
                "\"source\" must be a string");
  expectRefused(R"({"language":"python3","source":"x","stdin":5})", 400, "bad_request", "stdin");
  expectRefused(R"({"language":"python3","source":"x","args":"a b"})", 400, "bad_request", "args");
  expectRefused(R"({"language":"python3","source":"x","args":[1]})", 400, "bad_request", "args");
  expectRefused(R"({"language":"python3","source":"x","args":["a\u0000b"]})", 400, "bad_request",
                "NUL");
  expectRefused(R"({"language":"python3","source":"x","limits":5})", 400, "bad_request", "limits");
  expectRefused(R"({"language":"python3","source":"x","limits":{"cpu_ms":-5}})", 400, "bad_request",
                "limits.cpu_ms");
  expectRefused(R"({"language":"python3","source":"x","limits":{"cpu_ms":0}})", 400, "bad_request",
                "at least 1");
  expectRefused(R"({"language":"python3","source":"x","limits":{"cpu_ms":1.5}})", 400,
                "bad_request", "integer");
  expectRefused(R"({"language":"python3","source":"x","limits":{"cpu_ms":"100"}})", 400,
                "bad_request", "integer");
  expectRefused(R"({"language":"python3","source":"x","limits":{"memory_kb":1e300}})", 400,
                "bad_request", "memory_kb");
  expectRefused(R"({"language":"python3","source":"x","limits":{"wall_ms":18446744073709551615}})",
                400, "bad_request", "out of range");
  expectRefused(R"({"language":"python3","source":"x","encoding":"latin1"})", 400, "bad_request",
                "encoding");
  // Invalid UTF-8 inside a JSON string.
  expectRefused("{\"language\":\"python3\",\"source\":\"\xff\xfe\"}", 400, "bad_request", "UTF-8");
}

TEST_F(ApiTest, OversizedInputGets413) {
  expectRefused(R"({"language":"python3","source":")" + std::string(5000, 'x') + "\"}", 413,
                "too_large", "maximum");
  expectRefused(R"({"language":"python3","source":")" + std::string(2000, 'x') + "\"}", 413,
                "too_large", "\"source\"");
  expectRefused(R"({"language":"python3","source":"x","stdin":")" + std::string(600, 'x') + "\"}",
                413, "too_large", "\"stdin\"");
}

TEST_F(ApiTest, DeeplyNestedJsonIsRefusedWithoutACrash) {
  // Within the body limit, but far deeper than any request.
  const std::string deep = std::string(2000, '[') + std::string(2000, ']');
  expectRefused(deep, 400, "bad_request", "JSON object");
}

TEST_F(ApiTest, AFullQueueGets503WithRetryAfter) {
  backend_.full = true;
  HttpResponse r = call("POST", "/api/v1/run", R"({"language":"python3","source":"x"})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body)["code"], "busy");
  bool retry_after = false;
  for (const auto& [k, v] : r.headers)
    retry_after = retry_after || (k == "Retry-After" && !v.empty());
  EXPECT_TRUE(retry_after);
  EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find("queue is full"),
            std::string::npos);
}

TEST_F(ApiTest, AServerThatStopsSays503ShuttingDown) {
  backend_.full = true;  // a stopping pool admits nothing
  backend_.shutting_down = true;
  json j = post("/api/v1/run", R"({"language":"python3","source":"x"})", 503);
  EXPECT_EQ(j["code"], "busy");
  EXPECT_NE(j["error"].get<std::string>().find("shutting down"), std::string::npos) << j.dump();
}

TEST_F(ApiTest, ASandboxFaultGets500NamingTheStep) {
  backend_.outcome.fault = "run 1: lost the slot keeper";
  json j = post("/api/v1/run", R"({"language":"python3","source":"x"})", 500);
  EXPECT_EQ(j["code"], "internal");
  EXPECT_NE(j["error"].get<std::string>().find("lost the slot keeper"), std::string::npos);
}

TEST_F(ApiTest, ACompileErrorStopsTheJobAndShowsTheCompilersMessage) {
  RunResult c;
  c.status = RunStatus::kRuntimeError;
  c.exit_code = 1;
  c.stderr_data = "main.c:1: error: expected ';'";
  backend_.outcome.compile = c;
  json j = post("/api/v1/run", R"J({"language":"c","source":"int main("})J", 200);
  EXPECT_EQ(j["status"], "compile_error");
  EXPECT_EQ(j["error"], "compile error");
  EXPECT_EQ(j["compile"]["status"], "compile_error");
  EXPECT_EQ(j["compile"]["stderr"], "main.c:1: error: expected ';'");
  EXPECT_EQ(j["stderr"], "main.c:1: error: expected ';'");
  EXPECT_TRUE(j["exit_code"].is_null());
}

TEST_F(ApiTest, OutputIsValidUtf8OrBase64OnRequest) {
  backend_.outcome.runs.push_back(okRun(std::string("a\xff\0b", 4)));
  json j = post("/api/v1/run", R"({"language":"python3","source":"x"})", 200);
  EXPECT_EQ(j["stdout"], std::string("a\xEF\xBF\xBD") + std::string("\0b", 2));
  json b = post("/api/v1/run", R"({"language":"python3","source":"x","encoding":"base64"})", 200);
  EXPECT_EQ(b["stdout"], "Yf8AYg==");
  EXPECT_EQ(b["encoding"], "base64");
}

TEST_F(ApiTest, JudgeComparesEveryTestAndTakesTheFirstFailingVerdict) {
  backend_.outcome.runs = {okRun("3\n"), okRun("11\n"), okRun("7\n")};
  backend_.outcome.runs[2].status = RunStatus::kTimeLimit;
  json j = post("/api/v1/judge", R"({"language":"c","source":"x","checker":{"type":"tokens"},
      "stop_on_first_failure":false,
      "tests":[{"stdin":"1 2","expected_output":"3"},{"stdin":"5 5","expected_output":"10"},
               {"stdin":"3 4","expected_output":"7"}]})",
                200);
  EXPECT_EQ(j["verdict"], "wrong_answer");
  ASSERT_EQ(j["tests"].size(), 3u);
  EXPECT_EQ(j["tests"][0]["verdict"], "accepted");
  EXPECT_FALSE(j["tests"][0].contains("stdout"));
  EXPECT_EQ(j["tests"][1]["verdict"], "wrong_answer");
  EXPECT_EQ(j["tests"][1]["stdout"], "11\n");
  EXPECT_EQ(j["tests"][2]["verdict"], "time_limit");
  EXPECT_EQ(j["max_time_ms"], 1.5);
  EXPECT_EQ(j["checker"], "tokens");
  EXPECT_EQ(backend_.last_judge.tests.size(), 3u);
  EXPECT_EQ(backend_.last_judge.checker.type, judge::CheckerType::kTokens);
}

TEST_F(ApiTest, JudgeMarksTestsThatDidNotRunAsSkipped) {
  backend_.outcome.runs = {okRun("wrong\n")};
  json j = post("/api/v1/judge", R"({"language":"python3","source":"x","stop_on_first_failure":true,
      "tests":[{"expected_output":"3"},{"expected_output":"4"}]})",
                200);
  EXPECT_EQ(j["verdict"], "wrong_answer");
  EXPECT_EQ(j["tests"][1]["verdict"], "skipped");
  EXPECT_TRUE(backend_.last_judge.stop_on_first_failure);
}

// Without stop_on_first_failure the judge stops at the first failing test: a judge of 500
// tests that all fail must not hold a slot (and memory) for all 500.
TEST_F(ApiTest, JudgeStopsAtTheFirstFailureUnlessAskedForAll) {
  backend_.outcome.runs = {okRun("1\n"), okRun("wrong\n"), okRun("3\n")};
  json j = post("/api/v1/judge", R"({"language":"python3","source":"x",
      "tests":[{"expected_output":"1"},{"expected_output":"2"},{"expected_output":"3"}]})",
                200);
  EXPECT_TRUE(backend_.last_judge.stop_on_first_failure);
  EXPECT_EQ(j["verdict"], "wrong_answer");
  EXPECT_EQ(j["tests"][2]["verdict"], "skipped");
  EXPECT_EQ(j["stopped"], nullptr);
}

// A job stopped by its budget: every test that ran passed, yet not all ran.
TEST_F(ApiTest, JudgeStoppedByItsBudgetIsNotAccepted) {
  backend_.outcome.runs = {okRun("1\n")};
  backend_.outcome.stopped = "job_wall_ms";
  json j = post("/api/v1/judge", R"({"language":"python3","source":"x",
      "job_limits":{"wall_ms":5000,"cpu_ms":1000.0,"output_kb":64},
      "tests":[{"expected_output":"1"},{"expected_output":"2"}]})",
                200);
  EXPECT_EQ(j["verdict"], "job_limit_exceeded");
  EXPECT_EQ(j["stopped"], "job_wall_ms");
  EXPECT_EQ(j["tests"][0]["verdict"], "accepted");
  EXPECT_EQ(j["tests"][1]["verdict"], "skipped");
  EXPECT_EQ(backend_.last_judge.budget.wall_ms, 5000u);
  EXPECT_EQ(backend_.last_judge.budget.cpu_ms, 1000u);
  EXPECT_EQ(backend_.last_judge.budget.output_bytes, 64u * 1024);
  expectRefused(R"({"language":"c","source":"x","tests":[{"expected_output":""}],
      "job_limits":{"wall_ms":0}})",
                400, "bad_request", "job_limits.wall_ms", "/api/v1/judge");
  expectRefused(R"({"language":"c","source":"x","tests":[{"expected_output":""}],
      "job_limits":[1]})",
                400, "bad_request", "job_limits", "/api/v1/judge");
}

TEST(ResolveBudgetTest, AskedFiguresAreClampedToTheOperatorsMaximum) {
  const jobs::JobBudget max{60000, 0, 1024};
  const auto b = jobs::resolveBudget({1000, 5000, 0}, max);
  EXPECT_EQ(b.wall_ms, 1000u);       // asked less
  EXPECT_EQ(b.cpu_ms, 5000u);        // no operator maximum
  EXPECT_EQ(b.output_bytes, 1024u);  // not asked: the maximum
  EXPECT_EQ(jobs::resolveBudget({90000, 0, 4096}, max).wall_ms, 60000u);
  EXPECT_EQ(jobs::resolveBudget({90000, 0, 4096}, max).output_bytes, 1024u);
}

TEST_F(ApiTest, JudgeValidatesItsOwnFields) {
  expectRefused(R"({"language":"c","source":"x"})", 400, "bad_request", "\"tests\" is required",
                "/api/v1/judge");
  expectRefused(R"({"language":"c","source":"x","tests":[]})", 400, "bad_request", "non-empty",
                "/api/v1/judge");
  expectRefused(R"({"language":"c","source":"x","tests":[{"stdin":"1"}]})", 400, "bad_request",
                "tests[0].expected_output", "/api/v1/judge");
  expectRefused(R"({"language":"c","source":"x","tests":[1]})", 400, "bad_request", "tests[0]",
                "/api/v1/judge");
  expectRefused(
      R"({"language":"c","source":"x","tests":[{"expected_output":""},{"expected_output":""},{"expected_output":""},{"expected_output":""}]})",
      413, "too_large", "tests", "/api/v1/judge");
  expectRefused(
      R"({"language":"c","source":"x","tests":[{"expected_output":""}],"checker":{"type":"diff"}})",
      400, "bad_request", "checker.type", "/api/v1/judge");
  expectRefused(
      R"({"language":"c","source":"x","tests":[{"expected_output":""}],"checker":{"type":"float","epsilon":-1}})",
      400, "bad_request", "epsilon", "/api/v1/judge");
  expectRefused(
      R"({"language":"c","source":"x","tests":[{"expected_output":""}],"stop_on_first_failure":1})",
      400, "bad_request", "stop_on_first_failure", "/api/v1/judge");
}

TEST_F(ApiTest, JudgeProgramsAreCheckedBeforeAnythingRuns) {
  const char* tests = R"("tests":[{"stdin":"1"}])";
  auto body = [&](const std::string& more) {
    return std::string(R"({"language":"c","source":"x",)") + tests + "," + more + "}";
  };
  expectRefused(body(R"("interactor":"x")"), 400, "bad_request", "\"interactor\" must be an object",
                "/api/v1/judge");
  expectRefused(body(R"("interactor":{"source":"x"})"), 400, "bad_request", "interactor.language",
                "/api/v1/judge");
  expectRefused(body(R"("interactor":{"language":"cobol","source":"x"})"), 400, "bad_request",
                "unknown interactor language \"cobol\"", "/api/v1/judge");
  expectRefused(body(R"("interactor":{"language":"c"})"), 400, "bad_request", "interactor.source",
                "/api/v1/judge");
  expectRefused(
      body(R"("interactor":{"language":"c","source":"x","files":[{"name":"a/b","content":""}]})"),
      400, "bad_request", "plain file name", "/api/v1/judge");
  expectRefused(
      body(
          R"("interactor":{"language":"c","source":"x","files":[{"name":"test-1.in","content":""}]})"),
      400, "bad_request", "test-", "/api/v1/judge");
  expectRefused(
      body(
          R"("interactor":{"language":"c","source":"x","files":[{"name":"h","content":""},{"name":"h","content":""}]})"),
      400, "bad_request", "two files", "/api/v1/judge");
  expectRefused(
      body(
          R"("interactor":{"language":"c","source":"x"},"checker":{"type":"program","language":"c","source":"y"})"),
      400, "bad_request", "cannot go with an \"interactor\"", "/api/v1/judge");
  // A checker program still needs the expected outputs, an interactor does not.
  expectRefused(body(R"("checker":{"type":"program","language":"c","source":"y"})"), 400,
                "bad_request", "tests[0].expected_output", "/api/v1/judge");

  HttpResponse ok = call(
      "POST", "/api/v1/judge",
      body(
          R"("interactor":{"language":"python3","source":"i","files":[{"name":"lib.py","content":"z"}]})"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  ASSERT_TRUE(backend_.last_judge.program.has_value());
  EXPECT_EQ(backend_.last_judge.program->role, jobs::JudgeProgram::Role::kInteractor);
  EXPECT_EQ(backend_.last_judge.program->run.language->name, "python3");
  ASSERT_EQ(backend_.last_judge.program->run.files.size(), 1u);
  EXPECT_EQ(backend_.last_judge.program->run.files[0].name, "lib.py");
  json j = json::parse(ok.body);
  EXPECT_EQ(j["checker"], "interactor");
  EXPECT_EQ(j["interactor"]["language"], "python3");
  EXPECT_TRUE(j.contains("points"));
}

TEST_F(ApiTest, RoutesMethodsAndReadOnlyEndpoints) {
  EXPECT_EQ(call("GET", "/nope").status, 404);
  EXPECT_EQ(json::parse(call("GET", "/nope").body)["code"], "not_found");
  HttpResponse wrong = call("GET", "/api/v1/run");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(json::parse(wrong.body)["code"], "method_not_allowed");
  ASSERT_EQ(wrong.headers.size(), 1u);
  EXPECT_EQ(wrong.headers[0], std::make_pair(std::string("Allow"), std::string("POST")));
  EXPECT_EQ(call("DELETE", "/health").status, 405);

  json langs = json::parse(call("GET", "/api/v1/languages").body);
  EXPECT_EQ(langs["languages"], json({"c", "python3"}));
  json rt = json::parse(call("GET", "/api/v1/runtimes/").body);
  ASSERT_EQ(rt.size(), 2u);
  EXPECT_EQ(rt[0]["language"], "c");
  EXPECT_EQ(rt[0]["compiled"], true);
  EXPECT_EQ(rt[0]["version"], "1.0");
  EXPECT_EQ(rt[1]["aliases"], json({"py"}));
  json h = json::parse(call("GET", "/health").body);
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["slots"]["total"], 2);
  EXPECT_EQ(h["queue"]["capacity"], 8);
  EXPECT_EQ(h["cgroup"]["memory"], "v2");

  HttpResponse m = call("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.content_type.find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find("codecanvas_http_requests_total{route=\"/api/v1/run\",code=\"405\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("codecanvas_http_requests_total{route=\"other\",code=\"404\"} 2"),
            std::string::npos);
  EXPECT_NE(m.body.find("codecanvas_job_seconds_bucket{phase=\"total\",le=\"+Inf\"}"),
            std::string::npos);
}

TEST_F(ApiTest, MetricsCountRunsAndObserveLatency) {
  backend_.outcome.runs.push_back(okRun(""));
  backend_.outcome.total_ms = 3;
  post("/api/v1/run", R"({"language":"python3","source":"x"})", 200);
  const std::string m = call("GET", "/metrics").body;
  EXPECT_NE(m.find("codecanvas_runs_total{language=\"python3\",status=\"ok\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("codecanvas_job_seconds_bucket{phase=\"total\",le=\"0.005\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("codecanvas_job_seconds_bucket{phase=\"total\",le=\"0.0025\"} 0"),
            std::string::npos)
      << m;
}

// The web page next to the API: its files for GET and HEAD, the API routes unchanged.
TEST(ApiPageTest, ServesThePageBesideTheApi) {
  FakeBackend backend;
  Metrics metrics;
  const auto site = StaticSite::fromFiles(
      {{"/index.html", "<html>page</html>"}, {"/assets/app-ABCDEFGH.js", "run()"}});
  ApiOptions options;
  options.site = &site;
  Api api(backend, metrics, options);
  auto page = api.handle(HttpRequest{"GET", "/", "", {}});
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "<html>page</html>");
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  auto head = api.handle(HttpRequest{"HEAD", "/assets/app-ABCDEFGH.js", "", {}});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_type, "text/javascript; charset=utf-8");
  auto post = api.handle(HttpRequest{"POST", "/", "{}", {}});
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.content_type, "application/json");
  bool allow = false;
  for (const auto& [k, v] : post.headers) allow |= k == "Allow" && v == "GET, HEAD";
  EXPECT_TRUE(allow);
  EXPECT_EQ(api.handle(HttpRequest{"GET", "/assets/other.js", "", {}}).status, 404);
  EXPECT_EQ(api.handle(HttpRequest{"GET", "/api/v1/languages", "", {}}).status, 200);
  EXPECT_EQ(Api::routeOf("/"), "static");
  EXPECT_EQ(Api::routeOf("/assets/app-ABCDEFGH.js"), "static");
  EXPECT_EQ(Api::routeOf("/wp-login.php"), "other");
  EXPECT_EQ(Api::routeOf("/api/v1/run/"), "/api/v1/run");  // served as the run route
  EXPECT_EQ(Api::routeOf("/health//"), "/health");
}

TEST(ApiPageTest, WithoutAPageTheRootSaysWhy) {
  FakeBackend backend;
  Metrics metrics;
  ApiOptions options;
  options.site_missing = "the web page is not built: /x is not a directory";
  Api api(backend, metrics, options);
  auto page = api.handle(HttpRequest{"GET", "/", "", {}});
  EXPECT_EQ(page.status, 404);
  json j = json::parse(page.body);
  EXPECT_EQ(j["code"], "not_found");
  EXPECT_EQ(j["error"], "the web page is not built: /x is not a directory");
  EXPECT_EQ(api.handle(HttpRequest{"GET", "/index.html", "", {}}).status, 404);
}

// With API keys (access_test.cc tests the keys themselves).
TEST(ApiKeyTest, TheApiAsksForAKeyOnEveryRouteButHealthAndThePage) {
  const std::string kKey = "k3y-0123456789abcdef";
  FakeBackend backend;
  Metrics metrics;
  AccessControl access({{"judge", kKey, 0, 0}});
  const auto site = StaticSite::fromFiles({{"/index.html", "<html>page</html>"}});
  ApiOptions options;
  options.access = &access;
  options.site = &site;
  Api api(backend, metrics, options);
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/api/v1/run"},
                                                        {"POST", "/api/v1/judge"},
                                                        {"GET", "/api/v1/languages"},
                                                        {"GET", "/api/v1/runtimes"},
                                                        {"GET", "/metrics"}}) {
    auto r = api.handle(HttpRequest{method, path, "{\"language\":\"c\",\"source\":\"x\"}", {}});
    EXPECT_EQ(r.status, 401) << method << " " << path;
  }
  EXPECT_EQ(backend.submitted, 0);
  EXPECT_EQ(api.handle(HttpRequest{"GET", "/health", "", {}}).status, 200);
  EXPECT_EQ(api.handle(HttpRequest{"GET", "/", "", {}}).status, 200);
  // Routing and method errors come first: they cost nothing and reveal nothing new.
  EXPECT_EQ(api.handle(HttpRequest{"GET", "/nope", "", {}}).status, 404);
  EXPECT_EQ(api.handle(HttpRequest{"GET", "/api/v1/run", "", {}}).status, 405);
  HttpRequest ok{"GET", "/api/v1/languages", "", {{"authorization", "Bearer " + kKey}}};
  EXPECT_EQ(api.handle(ok).status, 200);
  EXPECT_EQ(Api::lastLogFields().key, "judge");
  // Counted by key name; requests without a valid key are not (their label would be
  // whatever a client sends).
  const std::string page = metrics.render({});
  EXPECT_NE(page.find("codecanvas_api_key_requests_total{key=\"judge\",code=\"200\"} 1"),
            std::string::npos)
      << page;
  EXPECT_EQ(page.find(kKey), std::string::npos) << "the key itself must not appear";
}

}  // namespace
}  // namespace codecanvas::http

namespace codecanvas::http {
namespace {

// precheck: what the server asks before it reads a body.
TEST(ApiPrecheckTest, RefusesOnTheHeadersAloneAndChargesTheRateOnce) {
  const std::string kKey = "k3y-0123456789abcdef";
  FakeBackend backend;
  backend.outcome.runs.push_back(okRun("hi\n"));
  Metrics metrics;
  AccessControl access({{"judge", kKey, 60, 1}});  // one request, then one a second
  ApiOptions options;
  options.access = &access;
  Api api(backend, metrics, options);
  auto refused = [&](HttpRequest r) {
    auto v = api.precheck(r);
    return std::holds_alternative<HttpResponse>(v) ? std::get<HttpResponse>(v).status : 0;
  };
  // The body is not there yet; the answers do not depend on it.
  EXPECT_EQ(refused({"POST", "/api/v1/run", "", {}}), 401);
  EXPECT_EQ(refused({"POST", "/api/v1/nope", "", {}}), 404);
  EXPECT_EQ(refused({"PUT", "/api/v1/run", "", {}}), 405);
  EXPECT_EQ(refused({"POST", "/api/v1/run", "", {{"content-encoding", "gzip"}}}), 401);
  const HttpRequest keyed{"POST", "/api/v1/run", "", {{"x-api-key", kKey}}};
  auto gzip = keyed;
  gzip.headers["content-encoding"] = "gzip";
  EXPECT_EQ(refused(gzip), 415);  // takes the key's one request
  auto checked = api.precheck(keyed);
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(checked));
  EXPECT_EQ(std::get<HttpResponse>(checked).status, 429);
  EXPECT_EQ(Api::lastLogFields().key, "judge");
  EXPECT_EQ(backend.submitted, 0);

  // Admitted: handle() answers without asking the bucket again (it is empty now).
  AccessControl fresh({{"judge", kKey, 60, 1}});
  options.access = &fresh;
  Api api2(backend, metrics, options);
  auto admitted = api2.precheck(keyed);
  ASSERT_TRUE(std::holds_alternative<Admission>(admitted));
  EXPECT_EQ(std::get<Admission>(admitted).key_name, "judge");
  HttpRequest full = keyed;
  full.body = R"J({"language":"python3","source":"print('hi')"})J";
  const HttpResponse r = api2.handle(full, std::get<Admission>(admitted));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Api::lastLogFields().key, "judge");
  EXPECT_EQ(backend.submitted, 1);
  // Counted once, under the key.
  const std::string page = metrics.render({});
  EXPECT_NE(page.find("codecanvas_api_key_requests_total{key=\"judge\",code=\"200\"} 1"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("codecanvas_http_requests_total{route=\"/api/v1/run\",code=\"200\"} 1"),
            std::string::npos)
      << page;
}

TEST(ApiPrecheckTest, IdentityEncodingIsNoEncoding) {
  FakeBackend backend;
  Metrics metrics;
  Api api(backend, metrics, ApiOptions{});
  for (const char* coding : {"identity", " Identity ", ""}) {
    auto v = api.precheck({"POST", "/api/v1/run", "", {{"content-encoding", coding}}});
    EXPECT_TRUE(std::holds_alternative<Admission>(v)) << coding;
  }
  for (const char* coding : {"gzip", "deflate", "br", "gzip, identity"}) {
    const HttpResponse r =
        api.handle({"POST", "/api/v1/run", "{}", {{"content-encoding", coding}}});
    EXPECT_EQ(r.status, 415) << coding;
    EXPECT_EQ(json::parse(r.body)["code"], "unsupported_encoding");
  }
}

// Cross-site requests and DNS rebinding (origin_policy.h).
TEST(ApiOriginTest, APageOfAnotherSiteIsRefused) {
  FakeBackend backend;
  backend.outcome.runs.push_back(okRun(""));
  Metrics metrics;
  ApiOptions options;
  options.origins.loopback_bind = true;
  options.origins.allowed_origins = {"https://judge.example.org"};
  Api api(backend, metrics, options);
  const std::string body = R"({"language":"python3","source":"x"})";
  auto post = [&](std::map<std::string, std::string> headers) {
    return api.handle(HttpRequest{"POST", "/api/v1/run", body, std::move(headers)});
  };
  // Clients that are not browsers send no Origin, and any Content-Type.
  EXPECT_EQ(post({}).status, 200);
  EXPECT_EQ(post({{"host", "127.0.0.1:10100"}, {"content-type", "text/plain"}}).status, 200);
  // The server's own page, and a configured site.
  EXPECT_EQ(post({{"host", "127.0.0.1:10100"}, {"origin", "http://127.0.0.1:10100"}}).status, 200);
  EXPECT_EQ(post({{"host", "localhost:10100"}, {"origin", "http://LOCALHOST:10100"}}).status, 200);
  EXPECT_EQ(post({{"host", "127.0.0.1:10100"}, {"origin", "https://judge.example.org"}}).status,
            200);
  // Anything else.
  for (const char* origin :
       {"https://evil.example", "null", "http://127.0.0.1:10101",
        "http://127.0.0.1:10100.evil.example", "https://judge.example.org.x"}) {
    const HttpResponse r = post({{"host", "127.0.0.1:10100"}, {"origin", origin}});
    EXPECT_EQ(r.status, 403) << origin;
    EXPECT_EQ(json::parse(r.body)["code"], "forbidden");
  }
  EXPECT_EQ(post({{"origin", "https://evil.example"}}).status, 403);  // no Host either
  EXPECT_EQ(backend.submitted, 5);
}

TEST(ApiOriginTest, ALoopbackServerAnswersOnlyToLoopbackNames) {
  FakeBackend backend;
  Metrics metrics;
  ApiOptions options;
  options.origins.loopback_bind = true;
  options.origins.allowed_hosts = {"judge.example.org"};
  Api api(backend, metrics, options);
  auto get = [&](const std::string& host) {
    return api.handle(HttpRequest{"GET", "/health", "", {{"host", host}}}).status;
  };
  for (const char* ok : {"localhost", "localhost:10100", "127.0.0.1", "127.1.2.3:80", "[::1]",
                         "[::1]:10100", "LOCALHOST", "judge.example.org", "judge.example.org:443"})
    EXPECT_EQ(get(ok), 200) << ok;
  for (const char* bad : {"evil.example", "evil.example:10100", "127.0.0.1.evil.example",
                          "128.0.0.1", "[::2]", "localhost:http", "", "judge.example.org.evil"})
    EXPECT_EQ(get(bad), 403) << bad;
  // No Host at all (HTTP/1.0): not a browser.
  EXPECT_EQ(api.handle(HttpRequest{"GET", "/health", "", {}}).status, 200);

  // Bound beyond loopback: any name, unless allowed_hosts is configured.
  options.origins.loopback_bind = false;
  options.origins.allowed_hosts.clear();
  Api open(backend, metrics, options);
  EXPECT_EQ(open.handle(HttpRequest{"GET", "/health", "", {{"host", "judge.example.org"}}}).status,
            200);
  options.origins.allowed_hosts = {"judge.example.org"};
  Api named(backend, metrics, options);
  EXPECT_EQ(named.handle(HttpRequest{"GET", "/health", "", {{"host", "judge.example.org"}}}).status,
            200);
  EXPECT_EQ(named.handle(HttpRequest{"GET", "/health", "", {{"host", "localhost"}}}).status, 403);
}

TEST(ApiOriginTest, LoopbackAddresses) {
  for (const char* a : {"127.0.0.1", "127.255.0.9", "::1", "localhost"})
    EXPECT_TRUE(isLoopbackAddress(a)) << a;
  for (const char* a : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "::ffff:127.0.0.1x"})
    EXPECT_FALSE(isLoopbackAddress(a)) << a;
}

// ---- The Piston v2 adapter (piston_api.h)

TEST(PistonVersion, SemverRangesAsPistonClientsSendThem) {
  using piston::versionSatisfies;
  for (const char* r : {"*", "", "x", "3", "3.x", "3.11", "3.11.*", "3.11.2", "=3.11.2", ">=3.8",
                        ">3.10", "<4", "<=3.11", "^3.1", "~3.11.0", ">=3 <4", "2.x || 3.x"})
    EXPECT_TRUE(versionSatisfies("3.11.2", r)) << r;
  for (const char* r : {"2", "3.10", "3.12.x", "3.11.3", ">3.11.2", "<3.11", ">=4", "^2.7",
                        "~3.10.0", ">=3 <3.11", "2.x || 4.x", "latest", "3.11.2-beta"})
    EXPECT_FALSE(versionSatisfies("3.11.2", r)) << r;
  EXPECT_TRUE(versionSatisfies("0.4.2", "^0.4.1"));
  EXPECT_FALSE(versionSatisfies("0.5.0", "^0.4.1")) << "caret keeps the first non-zero part";
  EXPECT_TRUE(versionSatisfies("12.2.0", "12"));
}

class PistonTest : public ApiTest {
 protected:
  // A POST as the npm piston-client makes it: JSON sent as text/plain.
  json execute(const std::string& body, int expect_status,
               const std::string& path = "/api/v2/execute") {
    HttpResponse r = api_.handle(
        HttpRequest{"POST", path, body, {{"content-type", "text/plain;charset=UTF-8"}}});
    EXPECT_EQ(r.status, expect_status) << body << " -> " << r.body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  // A refusal in Piston's shape, {"message": ...} alone, with a sentence that contains
  // `message`, and no job.
  void expectMessage(const std::string& body, int status, const std::string& message) {
    const int before = backend_.submitted;
    json j = execute(body, status);
    EXPECT_EQ(j.size(), 1u) << j.dump();
    EXPECT_NE(j.value("message", "").find(message), std::string::npos)
        << body << " -> " << j.dump();
    EXPECT_EQ(backend_.submitted, before) << "nothing may run for a refused request";
  }
};

TEST_F(PistonTest, TheConnectSocketsMessages) {
  auto planned = api_.planSession(
      R"({"type":"init","language":"py","version":"*","files":[{"content":"x"}],"stdin":"ignored",
          "run_timeout":1500})",
      {}, SessionDialect::kPiston);
  ASSERT_TRUE(std::holds_alternative<SessionStart>(planned));
  const SessionStart& s = std::get<SessionStart>(planned);
  EXPECT_EQ(s.stdin_data, "") << "Piston does not write an init's stdin over the socket";
  EXPECT_EQ(s.limits.wall_ms, 1500u);
  EXPECT_EQ(piston::runtimeMessage(*s.language),
            json({{"type", "runtime"}, {"language", "python3"}, {"version", "1.0"}}));
  auto unknown = api_.planSession(R"({"type":"init","language":"cobol2","files":[]})", {},
                                  SessionDialect::kPiston);
  ASSERT_TRUE(std::holds_alternative<ApiError>(unknown));
  EXPECT_EQ(std::get<ApiError>(unknown).message, "cobol2-* runtime is unknown");

  RunResult ok = okRun("x");
  EXPECT_EQ(piston::exitMessage("run", ok),
            json({{"type", "exit"}, {"stage", "run"}, {"code", 0}, {"signal", nullptr}}));
  RunResult killed = okRun("");
  killed.status = RunStatus::kKilled;
  killed.exit_code.reset();
  killed.signal = 9;
  EXPECT_EQ(piston::exitMessage("run", killed)["signal"], "SIGKILL");
  EXPECT_TRUE(piston::exitMessage("run", killed)["code"].is_null());
  RunResult failed = okRun("");
  failed.status = RunStatus::kRuntimeError;
  failed.exit_code = 1;
  EXPECT_EQ(piston::exitMessage("compile", failed)["code"], 1);
  EXPECT_TRUE(piston::isSignalName("SIGKILL"));
  EXPECT_TRUE(piston::isSignalName("SIGTERM"));
  EXPECT_FALSE(piston::isSignalName("KILL"));
  EXPECT_FALSE(piston::isSignalName("SIGWHATEVER"));
  for (const char* path : {"/api/v2/connect", "/api/v2/piston/connect"}) {
    const HttpResponse r = call("GET", path);
    EXPECT_EQ(r.status, 426) << path;
    const json j = json::parse(r.body);  // Piston's error shape, as on its other routes
    EXPECT_EQ(j.size(), 1u) << r.body;
    EXPECT_TRUE(j["message"].is_string()) << r.body;
  }
}

TEST_F(PistonTest, RuntimesAndPackagesUnderBothPrefixes) {
  for (const char* path : {"/api/v2/runtimes", "/api/v2/piston/runtimes/", "/api/v2/runtimes/"}) {
    HttpResponse r = call("GET", path);
    ASSERT_EQ(r.status, 200) << path;
    json j = json::parse(r.body);
    ASSERT_TRUE(j.is_array());
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["language"], "c");  // in the registry's order: by name
    EXPECT_EQ(j[1]["language"], "python3");
    EXPECT_EQ(j[1]["version"], "1.0");
    EXPECT_EQ(j[1]["aliases"], json::array({"py"}));
    EXPECT_EQ(j[1]["runtime"], "run");
  }
  json p = json::parse(call("GET", "/api/v2/piston/packages").body);
  EXPECT_EQ(p[0], (json{{"language", "c"}, {"language_version", "1.0"}, {"installed", true}}));
  EXPECT_EQ(call("POST", "/api/v2/runtimes").status, 405);
}

TEST_F(PistonTest, ExecuteMapsTheRequestAndAnswersInPistonsShape) {
  RunResult run = okRun("3\n");
  run.stderr_data = "warn\n";
  run.time_ms = 12.4;
  run.wall_ms = 20.6;
  backend_.outcome.runs = {run};
  const std::string body = R"j({"language":"py","version":"*",
      "files":[{"name":"a.py","content":"print(3)"},
               {"name":"data.bin","content":"AAEC","encoding":"base64"},
               {"name":"","content":"6869","encoding":"hex"}],
      "stdin":"in","args":["1","2"],"run_timeout":3000,"run_cpu_time":-1,
      "run_memory_limit":1048576,"compile_timeout":10000,"compile_memory_limit":-1,
      "unknown_key":true})j";
  json j = execute(body, 200, "/api/v2/piston/execute/");
  const jobs::RunSpec& spec = backend_.last_run;
  EXPECT_EQ(spec.language->name, "python3");
  EXPECT_EQ(spec.source, "print(3)");
  ASSERT_EQ(spec.files.size(), 2u);
  EXPECT_EQ(spec.files[0].name, "data.bin");
  EXPECT_EQ(spec.files[0].content, std::string("\0\1\2", 3));
  EXPECT_EQ(spec.files[1].name, "file2.code");
  EXPECT_EQ(spec.files[1].content, "hi");
  EXPECT_EQ(spec.stdin_data, "in\n") << "Piston ends stdin with a newline";
  EXPECT_EQ(spec.args, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(spec.limits.wall_ms, 3000u);
  EXPECT_FALSE(spec.limits.cpu_ms.has_value()) << "-1 is the default";
  EXPECT_EQ(spec.limits.memory_kb, 1024u) << "bytes to KiB";

  EXPECT_EQ(j["language"], "python3");
  EXPECT_EQ(j["version"], "1.0");
  EXPECT_FALSE(j.contains("compile")) << "python3 does not compile";
  const json& r = j["run"];
  EXPECT_EQ(r["stdout"], "3\n");
  EXPECT_EQ(r["stderr"], "warn\n");
  EXPECT_EQ(r["output"], "3\nwarn\n");
  EXPECT_EQ(r["code"], 0);
  EXPECT_TRUE(r["signal"].is_null());
  EXPECT_TRUE(r["status"].is_null());
  EXPECT_TRUE(r["message"].is_null());
  EXPECT_EQ(r["cpu_time"], 12);
  EXPECT_EQ(r["wall_time"], 21);
  EXPECT_EQ(r["memory"], 1000 * 1024);
}

TEST_F(PistonTest, StatusLettersSignalsAndCompileErrors) {
  struct Case {
    RunStatus status;
    std::optional<int> exit_code, signal;
    bool stderr_cut;
    const char* letter;
    const char* signal_name;  // nullptr: null
  };
  const Case cases[] = {
      {RunStatus::kRuntimeError, 3, {}, false, "RE", nullptr},
      {RunStatus::kRuntimeError, {}, 11, false, "SG", "SIGSEGV"},
      {RunStatus::kTimeLimit, {}, 9, false, "TO", "SIGKILL"},
      {RunStatus::kWallTimeLimit, {}, 9, false, "TO", "SIGKILL"},
      {RunStatus::kOutputLimit, {}, 9, false, "OL", "SIGKILL"},
      {RunStatus::kOutputLimit, {}, 9, true, "EL", "SIGKILL"},
      {RunStatus::kMemoryLimit, {}, 9, false, "SG", "SIGKILL"},
      {RunStatus::kSyscallBlocked, {}, 31, false, "SG", "SIGSYS"},
      {RunStatus::kInternalError, {}, {}, false, "XX", nullptr},
  };
  for (const auto& c : cases) {
    RunResult run;
    run.status = c.status;
    run.exit_code = c.exit_code;
    run.signal = c.signal;
    run.stderr_truncated = c.stderr_cut;
    run.error = "why";
    backend_.outcome.runs = {run};
    json r = execute(R"({"language":"python3","files":[{"content":"x"}]})", 200)["run"];
    EXPECT_EQ(r["status"], c.letter) << sandbox::statusName(c.status);
    EXPECT_EQ(r["signal"], c.signal_name ? json(c.signal_name) : json(nullptr)) << c.letter;
    if (c.signal_name != nullptr) {
      EXPECT_TRUE(r["code"].is_null()) << c.letter;
    } else if (c.exit_code) {
      EXPECT_EQ(r["code"], *c.exit_code) << c.letter;
    }
    EXPECT_EQ(r["message"], "why");
  }
  // A compile error: the compile stage, and the run stage repeats it (the program never ran).
  RunResult compile;
  compile.status = RunStatus::kRuntimeError;
  compile.exit_code = 1;
  compile.stderr_data = "main.c:1: error\n";
  backend_.outcome.compile = compile;
  backend_.outcome.runs.clear();
  json j = execute(R"({"language":"c","version":"1.x","files":[{"content":"int main("}]})", 200);
  EXPECT_EQ(j["compile"]["status"], "RE");
  EXPECT_EQ(j["compile"]["code"], 1);
  EXPECT_EQ(j["compile"]["stderr"], "main.c:1: error\n");
  EXPECT_EQ(j["run"], j["compile"]);
}

TEST_F(PistonTest, RefusalsInPistonsWords) {
  expectMessage(R"({"files":[{"content":"x"}]})", 400, "language is required as a string");
  expectMessage(R"({"language":"cobol","version":"*","files":[{"content":"x"}]})", 400,
                "cobol-* runtime is unknown");
  expectMessage(R"({"language":"python3","version":"9.x","files":[{"content":"x"}]})", 400,
                "python3-9.x runtime is unknown");
  expectMessage(R"({"language":"python3","version":3,"files":[]})", 400,
                "version is required as a string");
  expectMessage(R"j({"language":"python3","files":"print(1)"})j", 400,
                "files is required as an array");
  expectMessage(R"({"language":"python3","files":[{"content":5}]})", 400,
                "files[0].content is required as a string");
  expectMessage(R"({"language":"python3","files":[{"content":"AA","encoding":"base64"}]})", 400,
                "files must include at least one utf8 encoded file");
  expectMessage(R"({"language":"python3","files":[{"content":"x"},{"name":"../a","content":"y"}]})",
                400, "files[1].name must be a plain file name");
  expectMessage(
      R"({"language":"python3","files":[{"content":"x"},{"content":"zz","encoding":"hex"}]})", 400,
      "files[1].content is not valid hex");
  expectMessage(R"({"language":"python3","files":[{"content":"x"}],"run_timeout":"5"})", 400,
                "If specified, run_timeout must be a number");
  expectMessage(R"({"language":"python3","files":[{"content":"x"}],"args":[1]})", 400,
                "\"args\" must be a list of strings");
  expectMessage("not json", 400, "the request body is not valid JSON");
  backend_.full = true;
  json j = execute(R"({"language":"python3","files":[{"content":"x"}]})", 503);
  EXPECT_EQ(j.size(), 1u);
  EXPECT_NE(j.value("message", "").find("queue is full"), std::string::npos) << j.dump();
}

// ---- The interactive-execution server's REST path (exec_server_api.h)

TEST_F(ApiTest, ExecServerListsItsKeysForTheLanguagesThisServerOffers) {
  HttpResponse r = call("GET", "/languages");
  ASSERT_EQ(r.status, 200);
  // Of its fourteen keys, the fake backend offers python3 and c, in that server's order.
  EXPECT_EQ(json::parse(r.body), json::array({"python", "c"}));
  EXPECT_EQ(call("POST", "/languages").status, 405);
}

TEST_F(ApiTest, ExecServerExecuteMapsTheRequestAndAnswersInItsShape) {
  RunResult run = okRun("hi 5\n");
  run.stderr_data = "note\n";
  backend_.outcome.runs = {run};
  json j = post("/execute", R"j({"language":"python","code":"print(1)","input":"5"})j", 200);
  const jobs::RunSpec& spec = backend_.last_run;
  EXPECT_EQ(spec.language->name, "python3");
  EXPECT_EQ(spec.source, "print(1)");
  EXPECT_EQ(spec.stdin_data, "5\n") << "input ends with a newline";
  EXPECT_EQ(spec.limits.wall_ms, 10000u) << "that server's timeout";
  ASSERT_EQ(j.size(), 4u) << j.dump();
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["output"], "hi 5\nnote\n") << "stdout, then stderr";
  EXPECT_EQ(j["exitCode"], 0);
  const std::string id = j["executionId"];
  ASSERT_EQ(id.size(), 36u) << id;
  EXPECT_EQ(id[14], '4') << "a version 4 UUID: " << id;
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
  EXPECT_NE(post("/execute", R"j({"language":"python","code":"x"})j", 200)["executionId"], id)
      << "each run its own id";
  EXPECT_EQ(backend_.last_run.stdin_data, "") << "no input: empty stdin";
}

TEST_F(ApiTest, ExecServerExitCodesAreAContainersAndCompileErrorsFail) {
  struct Case {
    RunStatus status;
    std::optional<int> exit_code, signal;
    int expect;
  };
  const Case cases[] = {
      {RunStatus::kRuntimeError, 3, {}, 3},
      {RunStatus::kRuntimeError, {}, 11, 139},  // 128 + SIGSEGV
      {RunStatus::kTimeLimit, {}, 9, 137},      // killed at the limit: 128 + SIGKILL
      {RunStatus::kMemoryLimit, {}, 9, 137},
      {RunStatus::kSyscallBlocked, {}, 31, 159},
      {RunStatus::kInternalError, {}, {}, 1},
  };
  for (const auto& c : cases) {
    RunResult run;
    run.status = c.status;
    run.exit_code = c.exit_code;
    run.signal = c.signal;
    run.stderr_data = "boom\n";
    backend_.outcome.runs = {run};
    json j = post("/execute", R"j({"language":"python","code":"x"})j", 200);
    EXPECT_EQ(j["status"], "error") << sandbox::statusName(c.status);
    EXPECT_EQ(j["exitCode"], c.expect) << sandbox::statusName(c.status);
    EXPECT_EQ(j["output"], "boom\n");
  }
  RunResult compile;
  compile.status = RunStatus::kRuntimeError;
  compile.exit_code = 1;
  compile.stderr_data = "main.c:1: error: expected\n";
  backend_.outcome.compile = compile;
  backend_.outcome.runs.clear();
  json j = post("/execute", R"j({"language":"c","code":"int main("})j", 200);
  EXPECT_EQ(j["status"], "error");
  EXPECT_EQ(j["exitCode"], 1);
  EXPECT_EQ(j["output"], "main.c:1: error: expected\n") << "the compiler's messages";
}

TEST_F(ApiTest, ExecServerRefusalsInItsWords) {
  for (const char* body :
       {R"j({"code":"x"})j", R"j({"language":"python"})j", R"j({"language":"python","code":""})j",
        R"j({"language":5,"code":"x"})j"})
    expectRefused(body, 400, "bad_request", "Language and code are required", "/execute");
  // That server answers 500 for a key it does not know; a key whose language this server
  // does not offer (java, here) is refused the same way.
  expectRefused(R"j({"language":"brainfuck","code":"x"})j", 500, "unsupported_language",
                "Unsupported language: brainfuck", "/execute");
  expectRefused(R"j({"language":"java","code":"x"})j", 500, "unsupported_language",
                "Unsupported language: java", "/execute");
  expectRefused(R"j({"language":"python","code":"x","input":7})j", 400, "bad_request",
                "input must be a string", "/execute");
  expectRefused("[1]", 400, "bad_request", "JSON object", "/execute");
  expectRefused(R"j({"language":"python","code":")j" + std::string(2000, 'x') + "\"}", 413,
                "too_large", "code is larger", "/execute");
  backend_.full = true;
  json j = post("/execute", R"j({"language":"python","code":"x"})j", 503);
  EXPECT_EQ(j["code"], "busy");
}

TEST(ApiHealthTest, TheExecServerHealthShapeOnRequest) {
  FakeBackend backend;
  Metrics metrics;
  ApiOptions options;
  Api native(backend, metrics, options);
  EXPECT_EQ(json::parse(native.handle(HttpRequest{"GET", "/health", "", {}}).body)["status"], "ok");
  options.exec_server_health = true;
  Api exec(backend, metrics, options);
  HttpResponse r = exec.handle(HttpRequest{"GET", "/health", "", {}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), (json{{"status", "UP"}}));
  backend.languages_ = jobs::LanguageRegistry{};  // no language: degraded
  r = exec.handle(HttpRequest{"GET", "/health", "", {}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body), (json{{"status", "DOWN"}}));
}

// ---- The OpenAPI document

TEST_F(ApiTest, TheOpenApiDocumentListsExactlyTheRoutesTheServerDispatches) {
  HttpResponse r = call("GET", "/openapi.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["openapi"], "3.1.0");
  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, operation] : item.items()) {
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(upper + " " + path);
      EXPECT_TRUE(operation.contains("responses")) << upper << " " << path;
    }
  const auto routes = Api::routeList();
  const std::set<std::string> dispatched(routes.begin(), routes.end());
  EXPECT_EQ(documented, dispatched) << "every route in the document, and nothing else";
  // Every reference points at a schema the document has.
  const std::string text = r.body;
  const std::string prefix = "#/components/schemas/";
  for (size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
    const size_t end = text.find('"', at);
    const std::string name = text.substr(at + prefix.size(), end - at - prefix.size());
    EXPECT_TRUE(doc["components"]["schemas"].contains(name)) << name;
  }
}

}  // namespace
}  // namespace codecanvas::http
