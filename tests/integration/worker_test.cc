// The worker mode end to end, with a real RabbitMQ (rabbitmq_server.h starts one of the
// test's own): an API node without slots (codecanvas-server --broker) and two
// codecanvas-worker processes of one slot each. Every language's sample and a judge give
// the answers a single server gives; a worker killed mid-job leaves the job to the other;
// a stopped broker makes the API answer 503 and /health "degraded", and a started one
// brings everything back without a restart; a deep queue is refused; a job its workers
// kept dying on is answered with an error instead of being run again.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "broker/amqp_client.h"
#include "broker/job_wire.h"
#include "http_client.h"
#include "rabbitmq_server.h"
#include "server_process.h"
#include "test_support.h"

namespace codecanvas::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::unique_ptr<ServerProcess> startWorker(const std::string& url, const std::string& uid_base,
                                           std::vector<std::string> more = {}) {
  return codecanvas::testing::startWorker(WORKER_PATH, url, uid_base, std::move(more));
}

// Polls `path` until `done` holds for its answer, at most `timeout`.
HttpAnswer waitFor(int port, const std::string& path,
                   const std::function<bool(const HttpAnswer&)>& done,
                   std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  HttpAnswer a;
  while (std::chrono::steady_clock::now() < deadline) {
    a = httpCall(port, "GET", path);
    if (done(a)) return a;
    std::this_thread::sleep_for(200ms);
  }
  return a;
}

// A counter's value on the /metrics page (-1 when absent).
double metric(int port, const std::string& name) {
  const HttpAnswer a = httpCall(port, "GET", "/metrics");
  std::smatch m;
  if (std::regex_search(a.raw, m, std::regex("\n" + name + " ([0-9.e+]+)"))) return std::stod(m[1]);
  return -1;
}

json runBody(const std::string& language, const std::string& source, const std::string& stdin) {
  return {{"language", language}, {"source", source}, {"stdin", stdin}};
}

class WorkerModeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0 || !RabbitMqServer::installed()) return;
    broker_ = new RabbitMqServer();
    if (!broker_->start()) return;
    const std::string url = broker_->urlText();
    api_ = new ServerProcess(SERVER_PATH, {"--broker", url, "--web-dir", "none", "--store-dir",
                                           "none", "--queue", "32", "--broker-wait-s", "30"});
    workers_[0] = startWorker(url, "62200").release();
    workers_[1] = startWorker(url, "62210").release();
    single_ = new ServerProcess(SERVER_PATH, {"--slots", "1", "--uid-base", "62220", "--web-dir",
                                              "none", "--store-dir", "none"});
  }
  static void TearDownTestSuite() {
    for (auto*& w : workers_) {
      if (w != nullptr && w->port() != 0) w->terminate();
      delete w;
      w = nullptr;
    }
    if (api_ != nullptr && api_->port() != 0) api_->terminate();
    delete api_;
    if (single_ != nullptr && single_->port() != 0) single_->terminate();
    delete single_;
    delete broker_;
    api_ = single_ = nullptr;
    broker_ = nullptr;
  }
  void SetUp() override {
    CODECANVAS_REQUIRE(::geteuid() == 0, "the worker mode's tests build sandbox slots: root only");
    CODECANVAS_REQUIRE(RabbitMqServer::installed(),
                       "rabbitmq-server is not installed (scripts/setup.sh installs it)");
    ASSERT_TRUE(broker_ != nullptr && broker_->running()) << "the test's broker did not start:\n"
                                                          << (broker_ ? broker_->log() : "");
    ASSERT_NE(api_->port(), 0) << api_->log();
    ASSERT_NE(single_->port(), 0) << single_->log();
    for (auto* w : workers_) ASSERT_TRUE(w != nullptr && w->port() != 0) << (w ? w->log() : "");
    // Both workers consume before a test relies on them.
    const HttpAnswer h = waitFor(
        api_->port(), "/health",
        [](const HttpAnswer& a) { return a.body.value("/broker/workers"_json_pointer, 0) >= 2; },
        30s);
    ASSERT_EQ(h.body.value("/broker/workers"_json_pointer, 0), 2) << h.raw << api_->log();
  }

  static RabbitMqServer* broker_;
  static ServerProcess* api_;
  static ServerProcess* single_;
  static ServerProcess* workers_[2];
};
RabbitMqServer* WorkerModeTest::broker_ = nullptr;
ServerProcess* WorkerModeTest::api_ = nullptr;
ServerProcess* WorkerModeTest::single_ = nullptr;
ServerProcess* WorkerModeTest::workers_[2] = {nullptr, nullptr};

TEST_F(WorkerModeTest, TheHealthOfAnApiNodeNamesTheBrokerAndItsWorkers) {
  const HttpAnswer h = httpCall(api_->port(), "GET", "/health");
  ASSERT_EQ(h.status, 200);
  EXPECT_EQ(h.body["status"], "ok") << h.raw;
  EXPECT_EQ(h.body["broker"]["status"], "connected");
  EXPECT_EQ(h.body["slots"]["total"], 0);
  EXPECT_EQ(metric(api_->port(), "codecanvas_broker_up"), 1);
  EXPECT_EQ(metric(api_->port(), "codecanvas_broker_workers"), 2);
}

TEST_F(WorkerModeTest, EveryLanguageAnswersAsASingleServerDoes) {
  const HttpAnswer list = httpCall(api_->port(), "GET", "/api/v1/runtimes");
  ASSERT_EQ(list.status, 200);
  const HttpAnswer single_list = httpCall(single_->port(), "GET", "/api/v1/runtimes");
  ASSERT_EQ(list.body.size(), single_list.body.size()) << "the two offer other languages";
  ASSERT_GE(list.body.size(), 7u);
  for (const json& lang : list.body) {
    const std::string name = lang["language"];
    const std::string body = runBody(name, lang["sample"], "Ada\n").dump();
    const HttpAnswer remote = httpCall(api_->port(), "POST", "/api/v1/run", body);
    const HttpAnswer local = httpCall(single_->port(), "POST", "/api/v1/run", body);
    ASSERT_EQ(remote.status, 200) << name << ": " << remote.raw;
    ASSERT_EQ(local.status, 200) << name << ": " << local.raw;
    EXPECT_EQ(remote.body["status"], "ok") << name << ": " << remote.raw;
    EXPECT_NE(remote.body["stdout"].get<std::string>().find("Ada"), std::string::npos) << name;
    for (const char* field : {"status", "exit_code", "stdout", "language", "version", "limits"})
      EXPECT_EQ(remote.body[field], local.body[field]) << name << " differs in " << field;
  }
  EXPECT_GE(metric(api_->port(), "codecanvas_broker_jobs_total"), list.body.size());
}

TEST_F(WorkerModeTest, AJudgeCompileErrorsAndLimitsAnswerAsOnASingleServer) {
  const json judge = {
      {"language", "python"},
      {"source", "a, b = map(int, input().split())\nprint(a + b if a < 5 else a - b)\n"},
      {"tests",
       {{{"stdin", "1 2\n"}, {"expected_output", "3\n"}},
        {{"stdin", "7 1\n"}, {"expected_output", "8\n"}},
        {{"stdin", "2 2\n"}, {"expected_output", "4\n"}}}},
      {"stop_on_first_failure", false}};
  const HttpAnswer remote = httpCall(api_->port(), "POST", "/api/v1/judge", judge.dump());
  const HttpAnswer local = httpCall(single_->port(), "POST", "/api/v1/judge", judge.dump());
  ASSERT_EQ(remote.status, 200) << remote.raw;
  ASSERT_EQ(local.status, 200) << local.raw;
  EXPECT_EQ(remote.body["verdict"], "wrong_answer");
  ASSERT_EQ(remote.body["tests"].size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(remote.body["tests"][i]["verdict"], local.body["tests"][i]["verdict"]) << i;

  const json broken = runBody("c", "int main( { return 0; }", "");
  const HttpAnswer compile = httpCall(api_->port(), "POST", "/api/v1/run", broken.dump());
  ASSERT_EQ(compile.status, 200) << compile.raw;
  EXPECT_EQ(compile.body["status"], "compile_error");
  EXPECT_FALSE(compile.body["stderr"].get<std::string>().empty());

  json spin = runBody("python", "while True: pass\n", "");
  spin["limits"] = {{"cpu_ms", 500}};
  const HttpAnswer limited = httpCall(api_->port(), "POST", "/api/v1/run", spin.dump());
  ASSERT_EQ(limited.status, 200) << limited.raw;
  EXPECT_EQ(limited.body["status"], "time_limit");
  EXPECT_EQ(limited.body["limits"]["cpu_ms"], 500);

  // Bytes that are not UTF-8 come back byte for byte (base64 answer).
  json bytes = runBody("python", "import sys\nsys.stdout.buffer.write(bytes(range(256)))\n", "");
  bytes["encoding"] = "base64";
  const HttpAnswer raw_remote = httpCall(api_->port(), "POST", "/api/v1/run", bytes.dump());
  const HttpAnswer raw_local = httpCall(single_->port(), "POST", "/api/v1/run", bytes.dump());
  ASSERT_EQ(raw_remote.status, 200) << raw_remote.raw;
  EXPECT_EQ(raw_remote.body["stdout"], raw_local.body["stdout"]);
}

TEST_F(WorkerModeTest, AnInteractiveJudgeRunsOnAWorkerOfTwoSlotsAndIsRefusedByOneOfOne) {
  // Guess the number: the interactor (C) answers "<", ">" or "=" to each guess.
  const char* interactor = R"(#include <stdio.h>
int main(int argc, char** argv) {
  FILE* in = fopen(argv[1], "r");
  int n, g;
  if (argc != 4 || !in || fscanf(in, "%d", &n) != 1) return 3;
  for (int q = 1; q <= 30 && scanf("%d", &g) == 1; ++q) {
    printf(g == n ? "=\n" : n < g ? "<\n" : ">\n");
    fflush(stdout);
    if (g == n) { fprintf(stderr, "ok %d queries", q); return 0; }
  }
  fprintf(stderr, "wrong answer");
  return 1;
})";
  const json judge = {
      {"language", "python"},
      {"source",
       "lo, hi = 1, 1000\nwhile True:\n    m = (lo + hi) // 2\n    print(m, flush=True)\n"
       "    r = input()\n    if r == '=': break\n    if r == '<': hi = m - 1\n"
       "    else: lo = m + 1\n"},
      {"interactor", {{"language", "c"}, {"source", interactor}}},
      {"tests", {{{"stdin", "500\n"}}, {{"stdin", "3\n"}}}}};
  // The suite's workers have one slot each: the judge is answered, not passed around.
  const HttpAnswer refused = httpCall(api_->port(), "POST", "/api/v1/judge", judge.dump());
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_NE(refused.raw.find("needs two"), std::string::npos) << refused.raw;

  // An API node and a worker of two slots on a queue of their own.
  const std::string url = broker_->urlText();
  const std::string queue = "codecanvas.test.pairs";
  ServerProcess api(SERVER_PATH, {"--broker", url, "--broker-queue", queue, "--web-dir", "none",
                                  "--store-dir", "none", "--broker-wait-s", "60"});
  ASSERT_NE(api.port(), 0) << api.log();
  auto worker = startWorker(url, "62260", {"--broker-queue", queue, "--slots", "2"});
  ASSERT_NE(worker->port(), 0) << worker->log();
  const HttpAnswer ran = httpCall(api.port(), "POST", "/api/v1/judge", judge.dump());
  ASSERT_EQ(ran.status, 200) << ran.raw << worker->log();
  EXPECT_EQ(ran.body["verdict"], "accepted") << ran.raw;
  EXPECT_EQ(ran.body["checker"], "interactor");
  ASSERT_EQ(ran.body["tests"].size(), 2u);
  EXPECT_EQ(ran.body["tests"][0]["message"], "ok 1 queries") << "500 is the first guess";
  EXPECT_EQ(ran.body["tests"][1]["judge_exit_code"], 0);
  EXPECT_EQ(ran.body["interactor"]["compile"]["status"], "ok");
  EXPECT_EQ(worker->terminate(), 0) << worker->log();
  EXPECT_EQ(api.terminate(), 0) << api.log();
}

TEST_F(WorkerModeTest, AClientThatLeavesStopsItsWaitAtOnce) {
  json slow = runBody("python", "import time\ntime.sleep(4)\nprint('late')\n", "");
  slow["limits"] = {{"wall_ms", 20000}};
  const auto before = std::chrono::steady_clock::now();
  {
    httplib::Client cli("127.0.0.1", api_->port());
    cli.set_read_timeout(1, 0);
    auto res = cli.Post("/api/v1/run", slow.dump(), "application/json");
    EXPECT_FALSE(res) << "the job should still run when the client gives up";
  }
  // The node counts the request as cancelled (499) as soon as it sees the client gone,
  // not when the worker's answer comes 3 s later.
  const HttpAnswer m = waitFor(
      api_->port(), "/metrics",
      [](const HttpAnswer& a) { return a.raw.find("code=\"499\"") != std::string::npos; }, 10s);
  EXPECT_NE(m.raw.find("route=\"/api/v1/run\",code=\"499\""), std::string::npos) << m.raw;
  EXPECT_LT(std::chrono::steady_clock::now() - before, 3500ms);
  // The worker's late answer is dropped; the next job runs normally.
  std::this_thread::sleep_for(3500ms);
  const HttpAnswer next =
      httpCall(api_->port(), "POST", "/api/v1/run", runBody("python", "print(2)\n", "").dump());
  ASSERT_EQ(next.status, 200) << next.raw;
  EXPECT_EQ(next.body["stdout"], "2\n");
}

TEST_F(WorkerModeTest, ADeepQueueIsRefusedAndAnUnansweredJobIsGivenUp) {
  // An API node of its own on a queue nobody consumes, refusing more than 0 waiting jobs.
  ServerProcess lonely(SERVER_PATH,
                       {"--broker", broker_->urlText(), "--broker-queue", "codecanvas.test.deep",
                        "--max-queue-depth", "0", "--broker-wait-s", "2", "--web-dir", "none",
                        "--store-dir", "none"});
  ASSERT_NE(lonely.port(), 0) << lonely.log();
  const HttpAnswer h = httpCall(lonely.port(), "GET", "/health");
  EXPECT_EQ(h.body["status"], "degraded") << h.raw;
  EXPECT_EQ(h.body["broker"]["workers"], 0);
  json quick = runBody("python", "print(1)\n", "");
  quick["limits"] = {{"wall_ms", 1000}};
  auto first = std::async(std::launch::async, [&] {
    return httpCall(lonely.port(), "POST", "/api/v1/run", quick.dump());
  });
  // Once the node has seen the job wait, the next one is refused.
  waitFor(
      lonely.port(), "/health",
      [](const HttpAnswer& a) { return a.body.value("/broker/queue"_json_pointer, 0) >= 1; }, 10s);
  const HttpAnswer refused = httpCall(lonely.port(), "POST", "/api/v1/run", quick.dump());
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_NE(refused.raw.find("the job queue holds 1 jobs"), std::string::npos) << refused.raw;
  EXPECT_FALSE(refused.retry_after.empty());
  // The first one's answer is given up after its limits and the wait: 503, never a hang.
  const HttpAnswer given_up = first.get();
  EXPECT_EQ(given_up.status, 503) << given_up.raw;
  EXPECT_NE(given_up.raw.find("no worker answered"), std::string::npos) << given_up.raw;
  EXPECT_GE(metric(lonely.port(), "codecanvas_broker_lost_total"), 1);
  EXPECT_EQ(lonely.terminate(), 0);
}

TEST_F(WorkerModeTest, AJobItsWorkersKeptDyingOnIsAnsweredNotRunAgain) {
  const std::string queue = "codecanvas.test.poison";
  auto requester = broker::AmqpClient::connect(broker_->url(), 5s);
  ASSERT_TRUE(requester) << requester.error().message;
  auto& api = *requester.value();
  ASSERT_TRUE(api.declareQuorum(queue, 2));
  auto reply_queue = api.declareReplyQueue();
  ASSERT_TRUE(reply_queue);
  ASSERT_TRUE(api.consume(reply_queue.value(), 0));
  jobs::LanguageProfile python;
  python.name = "python";
  jobs::RunSpec spec;
  spec.language = &python;
  spec.source = "print('ran')\n";
  broker::PublishOptions po;
  po.correlation_id = "poison-1";
  po.reply_to = reply_queue.value();
  po.content_type = broker::kJobContentType;
  ASSERT_TRUE(api.publish(queue, broker::encodeRunJob(spec), po));
  {
    // A worker that takes the job and dies: its connection closes, the job unacknowledged.
    auto dying = broker::AmqpClient::connect(broker_->url(), 5s);
    ASSERT_TRUE(dying);
    ASSERT_TRUE(dying.value()->consume(queue, 1));
    auto m = dying.value()->next(10s);
    ASSERT_TRUE(m && m.value()) << "the job never came";
    EXPECT_EQ(m.value()->deliveries, 1u);
  }
  // A worker that runs a job delivered at most once.
  auto strict =
      startWorker(broker_->urlText(), "62230", {"--broker-queue", queue, "--max-deliveries", "1"});
  ASSERT_NE(strict->port(), 0) << strict->log();
  auto reply = api.next(30s);
  ASSERT_TRUE(reply && reply.value()) << strict->log();
  EXPECT_EQ(reply.value()->correlation_id, "poison-1");
  auto decoded = broker::decodeReply(reply.value()->body);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->deliveries, 2u);
  ASSERT_TRUE(decoded->outcome.fault.has_value());
  EXPECT_NE(decoded->outcome.fault->find("delivered 2 times"), std::string::npos)
      << *decoded->outcome.fault;
  EXPECT_TRUE(decoded->outcome.runs.empty()) << "the job ran again";
  EXPECT_EQ(strict->terminate(), 0) << strict->log();
}

TEST_F(WorkerModeTest, AWorkerKilledMidJobLeavesItsJobToTheOther) {
  json slow = runBody("python", "import time\ntime.sleep(3)\nprint('done')\n", "");
  slow["limits"] = {{"wall_ms", 20000}};
  const double redelivered = metric(api_->port(), "codecanvas_broker_redeliveries_total");
  const size_t seen[2] = {workers_[0]->log().size(), workers_[1]->log().size()};
  auto answer = std::async(std::launch::async, [&] {
    return httpCall(api_->port(), "POST", "/api/v1/run", slow.dump());
  });
  // The worker that took it is killed as it runs.
  int taker = -1;
  for (int i = 0; i < 100 && taker < 0; ++i) {
    for (int w = 0; w < 2; ++w)
      if (workers_[w]->log().find("taken (python", seen[w]) != std::string::npos) taker = w;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_GE(taker, 0) << "no worker took the job";
  ::kill(workers_[taker]->pid(), SIGKILL);
  EXPECT_EQ(workers_[taker]->waitExit(10s), 128 + SIGKILL);
  const HttpAnswer a = answer.get();
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["status"], "ok") << a.raw;
  EXPECT_EQ(a.body["stdout"], "done\n");
  EXPECT_NE(workers_[1 - taker]->log().find("delivery 2"), std::string::npos)
      << workers_[1 - taker]->log();
  EXPECT_EQ(metric(api_->port(), "codecanvas_broker_redeliveries_total"), redelivered + 1);
  // A new worker in its place, for the tests after this one.
  delete workers_[taker];
  workers_[taker] = startWorker(broker_->urlText(), taker == 0 ? "62240" : "62250").release();
}

TEST_F(WorkerModeTest, AStoppedBrokerDegradesTheApiAndAStartedOneRecoversIt) {
  broker_->stop();
  const HttpAnswer down = waitFor(
      api_->port(), "/health",
      [](const HttpAnswer& a) {
        return a.body.value("/broker/status"_json_pointer, std::string()) == "unreachable";
      },
      20s);
  EXPECT_EQ(down.body["status"], "degraded") << down.raw;
  EXPECT_EQ(down.body["broker"]["status"], "unreachable") << down.raw;
  const std::string hello = runBody("python", "print('back')\n", "").dump();
  const HttpAnswer refused = httpCall(api_->port(), "POST", "/api/v1/run", hello);
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_NE(refused.raw.find("broker is unreachable"), std::string::npos) << refused.raw;
  EXPECT_FALSE(refused.retry_after.empty());
  EXPECT_EQ(metric(api_->port(), "codecanvas_broker_up"), 0);

  ASSERT_TRUE(broker_->start()) << broker_->log();
  const HttpAnswer up = waitFor(
      api_->port(), "/health",
      [](const HttpAnswer& a) {
        return a.body.value("status", std::string()) == "ok" &&
               a.body.value("/broker/workers"_json_pointer, 0) == 2;
      },
      60s);
  EXPECT_EQ(up.body["status"], "ok") << up.raw << api_->log();
  const HttpAnswer again = httpCall(api_->port(), "POST", "/api/v1/run", hello);
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body["stdout"], "back\n");
}

}  // namespace
}  // namespace codecanvas::testing
