// The judge's own programs end to end over HTTP: an interactor beside each test and a
// checker program after it, each in a slot of its own, in the conventions of testlib
// (argv input tout answer / input output answer; exit codes 0 accepted, 1 wrong answer,
// 2 presentation error, 3 judge failure, 7 points; the message on stderr).
//
// The programs (judge_programs.h) keep those conventions by hand, so they need nothing
// beyond the C compiler. The same problems written against a real testlib.h are
// testlib_test.cc, a program of its own outside the test command.
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <vector>

#include "judge_programs.h"
#include "server_process.h"
#include "test_support.h"

namespace codecanvas {
namespace {

using nlohmann::json;
using namespace testing;

class JudgeProgramTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    server_ = testing::sharedServer(SERVER_PATH);
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(server_->port(), 0) << "the server did not start:\n" << server_->log();
    port_ = server_->port();
  }
  ServerProcess* server_ = nullptr;
  int port_ = 0;
};

TEST_F(JudgeProgramTest, AnInteractorAcceptsRightSolutionsAndSaysWhy) {
  for (const auto& [language, source] :
       {std::pair<std::string, std::string>{"python3", kBinarySearchPython},
        {"c", kBinarySearchC}}) {
    json j = judgeOn(port_, interactive(language, source, guessTests()));
    EXPECT_EQ(j["verdict"], "accepted") << language << ": " << j.dump();
    EXPECT_EQ(j["checker"], "interactor");
    EXPECT_EQ(j["interactor"]["compile"]["status"], "ok") << j.dump();
    EXPECT_EQ(j["interactor"]["limits"]["wall_ms"].get<uint64_t>() > 5000, true)
        << "the interactor runs with the operator's limits, not the user's: " << j.dump();
    ASSERT_EQ(j["tests"].size(), 3u);
    EXPECT_EQ(j["tests"][0]["message"], "ok guessed 777 in 16 queries") << j.dump();
    EXPECT_EQ(j["tests"][1]["message"], "ok guessed 1 in 19 queries");
    for (const auto& t : j["tests"]) {
      EXPECT_EQ(t["verdict"], "accepted") << language << ": " << t.dump();
      EXPECT_EQ(t["judge_exit_code"], 0);
    }
  }
  // Both programs come from the compile cache the second time.
  json again = judgeOn(port_, interactive("c", kBinarySearchC, guessTests()));
  EXPECT_EQ(again["verdict"], "accepted");
  EXPECT_EQ(again["compile"]["cached"], true);
  EXPECT_EQ(again["interactor"]["compile"]["cached"], true);
}

TEST_F(JudgeProgramTest, AWrongStrategyIsAWrongAnswerWithTheInteractorsMessage) {
  // Always guesses 1; it ends cleanly at end of input (and ignores SIGPIPE, so that a
  // guess written after the interactor gave up is no crash).
  json j = judgeOn(port_, interactive("c", kAlwaysOne, guessTests()));
  EXPECT_EQ(j["verdict"], "wrong_answer") << j.dump();
  EXPECT_EQ(j["tests"][0]["verdict"], "wrong_answer");
  EXPECT_EQ(j["tests"][0]["message"], "wrong answer too many queries");
  EXPECT_EQ(j["tests"][0]["judge_exit_code"], 1);
  EXPECT_EQ(j["tests"][1]["verdict"], "accepted") << "1 is the secret of the second test";
  // Garbage instead of a number: the interactor's presentation error.
  json pe = judgeOn(port_, interactive("python3", "print('hello', flush=True)", guessTests()));
  EXPECT_EQ(pe["tests"][0]["verdict"], "presentation_error") << pe.dump();
}

TEST_F(JudgeProgramTest, ASolutionThatNeverAnswersHitsItsLimitAndNothingHangs) {
  json request = interactive("python3", "import time\ntime.sleep(600)", guessTests());
  request["limits"] = {{"wall_ms", 1500}};
  request["stop_on_first_failure"] = true;
  const auto t0 = std::chrono::steady_clock::now();
  json j = judgeOn(port_, request);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(j["verdict"], "wall_time_limit") << j.dump();
  EXPECT_EQ(j["tests"][1]["verdict"], "skipped");
  EXPECT_LT(s, 20.0) << "the interactor, left waiting, must not hold the job";
  // Spinning instead of sleeping: the CPU limit.
  request["source"] = "while True:\n    pass";
  request["limits"] = {{"cpu_ms", 500}};
  EXPECT_EQ(judgeOn(port_, request)["verdict"], "time_limit");
}

TEST_F(JudgeProgramTest, ASolutionThatFloodsTheInteractorEndsQuickly) {
  // Writes guesses without end and never reads: the interactor gives up after 30, and the
  // solution's next write finds no reader (SIGPIPE), a crash after a wrong answer.
  const char* flood = R"(#include <stdio.h>
int main(void) { for (;;) fputs("1\n", stdout); })";
  const auto t0 = std::chrono::steady_clock::now();
  json j = judgeOn(port_, interactive("c", flood, json::array({guessTests()[0]})));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(j["tests"].size(), 1u) << j.dump();
  EXPECT_EQ(j["tests"][0]["verdict"], "runtime_error") << j.dump();
  EXPECT_EQ(j["tests"][0]["signal"], 13) << "SIGPIPE";
  EXPECT_EQ(j["tests"][0]["message"], "wrong answer too many queries");
  EXPECT_LT(s, 20.0);
  // The same flood after the interactor accepted: no crash, the interactor's verdict.
  const char* right_then_flood = R"(#include <stdio.h>
int main(void) { printf("1\n"); fflush(stdout); for (;;) { fputs("1\n", stdout); fflush(stdout); } })";
  json k = judgeOn(port_, interactive("c", right_then_flood, json::array({guessTests()[1]})));
  EXPECT_EQ(k["verdict"], "accepted") << k.dump();
  EXPECT_EQ(k["tests"][0]["signal"], 13);
}

TEST_F(JudgeProgramTest, AnInteractorThatFailsIsTheJudgesFaultNeverTheUsers) {
  // The answer file disagrees with the input: the interactor says FAIL (exit 3), and the
  // solution, left without replies, ends with an error of its own.
  json tests = json::array({{{"stdin", "5\n"}, {"expected_output", "6\n"}}});
  json j = judgeOn(port_, interactive("python3", kBinarySearchPython, tests));
  EXPECT_EQ(j["verdict"], "internal_error") << j.dump();
  EXPECT_EQ(j["tests"][0]["judge_exit_code"], 3);
  EXPECT_EQ(j["tests"][0]["message"], "FAIL the answer file disagrees");
  // An interactor that crashes, and one that does not compile.
  json crash = judgeOn(port_, interactive("python3", kBinarySearchPython, guessTests(),
                                          "int main(void) { return *(volatile int*)0; }"));
  EXPECT_EQ(crash["verdict"], "internal_error") << crash.dump();
  json broken = judgeOn(port_, interactive("python3", kBinarySearchPython, guessTests(),
                                           "int main(void) { return x; }"));
  EXPECT_EQ(broken["verdict"], "internal_error") << broken.dump();
  EXPECT_EQ(broken["interactor"]["compile"]["status"], "compile_error");
  EXPECT_EQ(broken["tests"][0]["verdict"], "skipped");
  // The solution's own compile error comes first: no judge is needed for it.
  json mine = judgeOn(port_, interactive("c", "int main(void) { return y; }", guessTests(),
                                         "int main(void) { return x; }"));
  EXPECT_EQ(mine["verdict"], "compile_error") << mine.dump();
  EXPECT_EQ(mine["interactor"]["compile"], nullptr);
}

TEST_F(JudgeProgramTest, ACheckerProgramJudgesEachOutput) {
  json ok = judgeOn(port_, withChecker("a, b = map(int, input().split())\nprint(a + b)"));
  EXPECT_EQ(ok["verdict"], "accepted") << ok.dump();
  EXPECT_EQ(ok["checker"], "program");
  EXPECT_EQ(ok["checker_program"]["language"], "c");
  EXPECT_EQ(ok["tests"][1]["message"], "ok 30");
  EXPECT_EQ(ok["points"], nullptr);

  json wa = judgeOn(port_, withChecker("a, b = map(int, input().split())\nprint(a + b + 1)"));
  EXPECT_EQ(wa["verdict"], "wrong_answer");
  EXPECT_EQ(wa["tests"][0]["message"], "wrong answer expected 5, found 6");
  EXPECT_EQ(wa["tests"][0]["stdout"], "6\n") << "a failing test keeps its output";

  json pe = judgeOn(port_, withChecker("print('five')"));
  EXPECT_EQ(pe["verdict"], "presentation_error") << pe.dump();

  json points =
      judgeOn(port_, withChecker("a, b = map(int, input().split())\nprint(a + b, 'partial')"));
  EXPECT_EQ(points["verdict"], "points") << points.dump();
  EXPECT_EQ(points["tests"][0]["verdict"], "points");
  EXPECT_EQ(points["tests"][0]["points"], 0.5);
  EXPECT_EQ(points["points"], 1.0) << "the sum over the tests";

  // A run that fails is judged by its own status; the checker does not run for it.
  json slow = judgeOn(port_, withChecker("while True:\n    pass"));
  EXPECT_EQ(slow["verdict"], "time_limit") << slow.dump();
  EXPECT_FALSE(slow["tests"][0].contains("message"));

  // A checker that fails: the judge's fault.
  json fail = judgeOn(port_, withChecker("print(5)", "int main(void) { return 3; }"));
  EXPECT_EQ(fail["verdict"], "internal_error") << fail.dump();
}

TEST_F(JudgeProgramTest, PairJobsAndSingleJobsShareTheSlotsAndAllAreAnswered) {
  // Two slots: each interactive judge needs both at once, a plain run one.
  std::vector<std::future<json>> judges, runs;
  for (int i = 0; i < 3; ++i) {
    judges.push_back(std::async(std::launch::async, [this] {
      return judgeOn(port_, interactive("python3", kBinarySearchPython, guessTests()));
    }));
    runs.push_back(std::async(std::launch::async, [this] {
      json request = {{"language", "python3"}, {"source", "print(6 * 7)"}};
      return testing::httpCall(port_, "POST", "/api/v1/run", request.dump()).body;
    }));
  }
  for (auto& f : judges) EXPECT_EQ(f.get()["verdict"], "accepted");
  for (auto& f : runs) EXPECT_EQ(f.get()["stdout"], "42\n");
  // Every slot is free and clean again: health says none is busy or broken.
  auto health = testing::httpCall(port_, "GET", "/health");
  EXPECT_EQ(health.body["slots"]["busy"], 0) << health.raw;
  EXPECT_EQ(health.body["slots"]["broken"], 0) << health.raw;
}

TEST(JudgeProgramServerTest, OneSlotCannotJudgeWithAProgramAndSaysSo) {
  CODECANVAS_REQUIRE_ROOT();
  ServerProcess server(SERVER_PATH, {"--slots", "1", "--uid-base", "60740"});
  ASSERT_GT(server.port(), 0) << server.log();
  auto a = testing::httpCall(server.port(), "POST", "/api/v1/judge",
                             interactive("python3", kBinarySearchPython, guessTests()).dump());
  EXPECT_EQ(a.status, 503) << a.raw;
  EXPECT_NE(a.raw.find("needs two"), std::string::npos) << a.raw;
  // An ordinary judge still works on it.
  json plain = {{"language", "python3"},
                {"source", "print(5)"},
                {"tests", json::array({{{"stdin", ""}, {"expected_output", "5\n"}}})}};
  EXPECT_EQ(judgeOn(server.port(), plain)["verdict"], "accepted");
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

}  // namespace
}  // namespace codecanvas
