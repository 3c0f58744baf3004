// The queue-based runner's POST /api through the Api, with a canned backend (and one that
// never finishes a job, for the 504). End to end over HTTP in tests/integration/http_test.cc.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api.h"
#include "fake_backend.h"

namespace codecanvas::http {
namespace {

using jobs::JobOutcome;
using nlohmann::json;
using sandbox::RunResult;
using sandbox::RunStatus;
using unit::FakeBackend;
using unit::okRun;

class QueueRunnerTest : public ::testing::Test {
 protected:
  HttpResponse call(const std::string& method, const std::string& body) {
    return api_.handle(HttpRequest{method, "/api", body, {}});
  }
  json ran(JobOutcome o, const std::string& body = R"({"language":"c","source_code":"x"})") {
    backend_.outcome = std::move(o);
    HttpResponse r = call("POST", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  FakeBackend backend_;
  Metrics metrics_;
  Api api_{backend_, metrics_, ApiOptions{}};
};

TEST_F(QueueRunnerTest, AnswersInTheRunnersShape) {
  JobOutcome ok;
  ok.compile = okRun("");
  ok.runs.push_back(okRun("hi\n"));
  ok.runs[0].stderr_data = "warn\n";
  ok.runs[0].wall_ms = 12.4;
  json j = ran(ok, R"({"language":"c","source_code":"int main(){}","stdin":"5\n","extra":1})");
  EXPECT_EQ(j, json::parse(R"({"stdout":"hi\n","stderr":"warn\n","exit_code":0,"timeout":false,
                               "exec_time_ms":12})"));
  EXPECT_EQ(backend_.last_run.stdin_data, "5\n");
  EXPECT_EQ(backend_.last_run.language->name, "c");

  JobOutcome exit3 = ok;
  exit3.runs[0].status = RunStatus::kRuntimeError;
  exit3.runs[0].exit_code = 3;
  EXPECT_EQ(ran(exit3)["exit_code"], 3);

  JobOutcome tle = ok;
  tle.runs[0].status = RunStatus::kWallTimeLimit;
  tle.runs[0].exit_code.reset();
  tle.runs[0].signal = 9;
  j = ran(tle);
  EXPECT_EQ(j["exit_code"], 137);
  EXPECT_EQ(j["timeout"], true);

  JobOutcome ce;
  ce.compile = okRun("main.c:1:1: error: x\n");
  ce.compile->status = RunStatus::kRuntimeError;
  ce.compile->exit_code = 1;
  ce.compile_ms = 88;
  j = ran(ce);
  EXPECT_EQ(j["stdout"], "");
  EXPECT_EQ(j["stderr"], "main.c:1:1: error: x\n");
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["timeout"], false);
  EXPECT_EQ(j["exec_time_ms"], 88);
}

TEST_F(QueueRunnerTest, RefusesWithTheRunnersStatuses) {
  const int before = backend_.submitted;
  for (const char* bad :
       {R"({"source_code":"x"})", R"({"language":"c"})", R"({"language":"","source_code":"x"})",
        R"({"language":"c","source_code":""})", R"({"language":"brainfork","source_code":"x"})",
        R"({"language":"c","source_code":"x","stdin":5})", "not json", "[]"}) {
    HttpResponse r = call("POST", bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_TRUE(json::parse(r.body)["error"].is_string()) << r.body;
  }
  EXPECT_EQ(backend_.submitted, before);
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    HttpResponse r = call(method, "");
    EXPECT_EQ(r.status, 405) << method;
    bool allow = false;
    for (const auto& [k, v] : r.headers) allow = allow || (k == "Allow" && v == "POST");
    EXPECT_TRUE(allow) << method;
  }
  backend_.full = true;
  HttpResponse full = call("POST", R"({"language":"py","source_code":"x"})");
  EXPECT_EQ(full.status, 429) << full.body;
  bool retry = false;
  for (const auto& [k, v] : full.headers) retry = retry || k == "Retry-After";
  EXPECT_TRUE(retry);
  backend_.shutting_down = true;
  EXPECT_EQ(call("POST", R"({"language":"py","source_code":"x"})").status, 503);
}

// A backend whose jobs finish only when they are cancelled.
class StuckBackend : public FakeBackend {
 public:
  jobs::JobPlan planRun(const jobs::RunSpec& spec) const override {
    jobs::JobPlan p = FakeBackend::planRun(spec);
    p.runs[0].limits.wall_ms = 100;
    return p;
  }
  std::optional<std::future<JobOutcome>> submit(jobs::JobPlan plan) override {
    auto promise = std::make_shared<std::promise<JobOutcome>>();
    auto future = promise->get_future();
    if (!plan.cancel) return std::nullopt;  // the test fails below: the API gave no way out
    plan.cancel->onRequest([promise] {
      JobOutcome o;
      o.cancelled = true;
      promise->set_value(std::move(o));
    });
    ++cancellable;
    return future;
  }
  int cancellable = 0;
};

TEST(QueueRunnerDeadline, AJobThatDoesNotFinishInTimeIs504AndStopped) {
  StuckBackend backend;
  Metrics metrics;
  ApiOptions options;
  options.queue_runner_wait_ms = 200;
  Api api(backend, metrics, options);
  const auto t0 = std::chrono::steady_clock::now();
  HttpResponse r =
      api.handle(HttpRequest{"POST", "/api", R"({"language":"py","source_code":"x"})", {}});
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(json::parse(r.body)["code"], "timeout");
  EXPECT_EQ(backend.cancellable, 1);
  // The run's 100 ms of wall time and 200 ms in the queue.
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(3));
}

}  // namespace
}  // namespace codecanvas::http
