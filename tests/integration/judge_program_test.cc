// The judge's own programs end to end over HTTP: an interactor beside each test and a
// checker program after it, each in a slot of its own, in the conventions of testlib
// (argv input tout answer / input output answer; exit codes 0 accepted, 1 wrong answer,
// 2 presentation error, 3 judge failure, 7 points; the message on stderr).
//
// The programs here keep those conventions by hand, so they need nothing beyond the C
// compiler. The same problems written against a real testlib.h run too when
// CODECANVAS_TESTLIB_H names one: testlib is not packaged by Debian or npm, so the test
// cannot fetch it on a machine that reaches nothing else, and says so when it skips.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "http_client.h"
#include "server_process.h"
#include "test_support.h"

namespace codecanvas {
namespace {

using nlohmann::json;
using testing::ServerProcess;

// Guess the number: the secret is the test's input; up to 30 guesses, each answered with
// "<", ">" or "="; the answer file must hold the secret too.
constexpr const char* kInteractor = R"(#include <stdio.h>
int main(int argc, char** argv) {
  if (argc != 4) { fprintf(stderr, "FAIL usage: interactor input tout answer"); return 3; }
  FILE* in = fopen(argv[1], "r");
  FILE* ans = fopen(argv[3], "r");
  FILE* tout = fopen(argv[2], "w");
  int n = 0, expected = -1;
  if (!in || !ans || !tout || fscanf(in, "%d", &n) != 1 || fscanf(ans, "%d", &expected) != 1) {
    fprintf(stderr, "FAIL cannot read the test's files");
    return 3;
  }
  if (expected != n) { fprintf(stderr, "FAIL the answer file disagrees"); return 3; }
  for (int q = 1; q <= 30; ++q) {
    int g;
    if (scanf("%d", &g) != 1) { fprintf(stderr, "wrong output format: no guess"); return 2; }
    if (g == n) {
      printf("=\n");
      fflush(stdout);
      fprintf(tout, "%d\n", q);
      fprintf(stderr, "ok guessed %d in %d queries", n, q);
      return 0;
    }
    printf(n < g ? "<\n" : ">\n");
    fflush(stdout);
  }
  fprintf(stderr, "wrong answer too many queries");
  return 1;
}
)";

constexpr const char* kBinarySearchPython = R"(lo, hi = 1, 1000000
while True:
    mid = (lo + hi) // 2
    print(mid, flush=True)
    r = input()
    if r == "=":
        break
    if r == "<":
        hi = mid - 1
    else:
        lo = mid + 1
)";

// The same in C; it first makes sure it cannot read the test's input or answer (they live
// in the interactor's slot): exit 5 if it can.
constexpr const char* kBinarySearchC = R"(#include <stdio.h>
#include <unistd.h>
int main(void) {
  const char* peeks[] = {"test-1.in", "test-1.ans", "/box/test-1.in", "/box/test-1.ans",
                         "../test-1.ans", "/tmp/tout"};
  for (int i = 0; i < 6; ++i)
    if (access(peeks[i], F_OK) == 0) return 5;
  int lo = 1, hi = 1000000;
  char r[8];
  for (;;) {
    int mid = (lo + hi) / 2;
    printf("%d\n", mid);
    fflush(stdout);
    if (scanf("%7s", r) != 1) return 4;
    if (r[0] == '=') return 0;
    if (r[0] == '<') hi = mid - 1; else lo = mid + 1;
  }
}
)";

constexpr const char* kAlwaysOne = R"(#include <signal.h>
#include <stdio.h>
int main(void) {
  signal(SIGPIPE, SIG_IGN);
  char r[8];
  for (;;) {
    printf("1\n");
    fflush(stdout);
    if (scanf("%7s", r) != 1 || r[0] == '=') return 0;
  }
}
)";

// A sum checker: the answer must be the sum of the input's two numbers; "partial" after a
// right sum earns half a point; anything that is not a number is a presentation error.
constexpr const char* kChecker = R"(#include <stdio.h>
#include <string.h>
int main(int argc, char** argv) {
  if (argc != 4) { fprintf(stderr, "FAIL usage: checker input output answer"); return 3; }
  FILE* in = fopen(argv[1], "r");
  FILE* out = fopen(argv[2], "r");
  FILE* ans = fopen(argv[3], "r");
  long long a, b, jury, got;
  if (!in || !out || !ans || fscanf(in, "%lld %lld", &a, &b) != 2 || fscanf(ans, "%lld", &jury) != 1) {
    fprintf(stderr, "FAIL cannot read the test");
    return 3;
  }
  if (jury != a + b) { fprintf(stderr, "FAIL the answer file is wrong"); return 3; }
  if (fscanf(out, "%lld", &got) != 1) { fprintf(stderr, "wrong output format: expected a number"); return 2; }
  if (got != jury) { fprintf(stderr, "wrong answer expected %lld, found %lld", jury, got); return 1; }
  char word[16] = "";
  if (fscanf(out, "%15s", word) == 1 && strcmp(word, "partial") == 0) {
    fprintf(stderr, "points 0.5 half");
    return 7;
  }
  fprintf(stderr, "ok %lld", got);
  return 0;
}
)";

json judgeOn(int port, const json& request) {
  auto a = testing::httpCall(port, "POST", "/api/v1/judge", request.dump());
  EXPECT_EQ(a.status, 200) << a.raw;
  return a.body;
}

json guessTests() {
  return json::array({{{"stdin", "777\n"}, {"expected_output", "777\n"}},
                      {{"stdin", "1\n"}, {"expected_output", "1\n"}},
                      {{"stdin", "1000000\n"}, {"expected_output", "1000000\n"}}});
}

json sumTests() {
  return json::array({{{"stdin", "2 3\n"}, {"expected_output", "5\n"}},
                      {{"stdin", "10 20\n"}, {"expected_output", "30\n"}}});
}

json interactive(const std::string& language, const std::string& source, json tests,
                 const std::string& interactor = kInteractor) {
  return {{"language", language},
          {"source", source},
          {"interactor", {{"language", "c"}, {"source", interactor}}},
          {"tests", std::move(tests)},
          {"stop_on_first_failure", false}};
}

json withChecker(const std::string& source, const std::string& checker = kChecker) {
  return {{"language", "python3"},
          {"source", source},
          {"checker", {{"type", "program"}, {"language", "c"}, {"source", checker}}},
          {"tests", sumTests()},
          {"stop_on_first_failure", false}};
}

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

// ---- the same problems against a real testlib.h ---------------------------------------

constexpr const char* kTestlibInteractor = R"(#include "testlib.h"
int main(int argc, char* argv[]) {
  registerInteraction(argc, argv);
  const int n = inf.readInt(1, 1000000, "n");
  if (ans.readInt() != n) quitf(_fail, "the answer file disagrees");
  for (int q = 1; q <= 30; ++q) {
    const int g = ouf.readInt(1, 1000000, "guess");
    if (g == n) {
      std::cout << "=" << std::endl;
      tout << q << std::endl;
      quitf(_ok, "guessed %d in %d queries", n, q);
    }
    std::cout << (n < g ? "<" : ">") << std::endl;
  }
  quitf(_wa, "too many queries");
}
)";

constexpr const char* kTestlibChecker = R"(#include "testlib.h"
int main(int argc, char* argv[]) {
  registerTestlibCmd(argc, argv);
  const long long a = inf.readLong(), b = inf.readLong();
  const long long jury = ans.readLong();
  if (jury != a + b) quitf(_fail, "the answer file is wrong");
  const long long got = ouf.readLong();
  if (got != jury) quitf(_wa, "expected %lld, found %lld", jury, got);
  if (!ouf.seekEof() && ouf.readToken() == "partial") quitp(0.5, "half");
  quitf(_ok, "sum is %lld", got);
}
)";

std::string testlibHeader() {
  const char* path = std::getenv("CODECANVAS_TESTLIB_H");
  if (path == nullptr || *path == '\0') return "";
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

#define REQUIRE_TESTLIB(header)                                                                 \
  const std::string header = testlibHeader();                                                   \
  if (header.empty())                                                                           \
  GTEST_SKIP() << "no testlib.h: set CODECANVAS_TESTLIB_H to one (testlib is not packaged by "  \
                  "Debian or npm, and this machine may reach nothing else); the same problems " \
                  "without testlib ran above"

TEST_F(JudgeProgramTest, ARealTestlibInteractorWorksUnchanged) {
  REQUIRE_TESTLIB(header);
  json files = json::array({{{"name", "testlib.h"}, {"content", header}}});
  auto request = [&](const std::string& language, const std::string& source) {
    json r = interactive(language, source, guessTests());
    r["interactor"] = {{"language", "c++"}, {"source", kTestlibInteractor}, {"files", files}};
    return r;
  };
  json ok = judgeOn(port_, request("python3", kBinarySearchPython));
  EXPECT_EQ(ok["verdict"], "accepted") << ok.dump();
  EXPECT_EQ(ok["tests"][0]["message"], "ok guessed 777 in 16 queries\n");
  json wa = judgeOn(port_, request("c", kAlwaysOne));
  EXPECT_EQ(wa["tests"][0]["verdict"], "wrong_answer") << wa.dump();
  EXPECT_EQ(wa["tests"][0]["message"], "wrong answer too many queries\n");
  json silent = request("python3", "import time\ntime.sleep(600)");
  silent["limits"] = {{"wall_ms", 1500}};
  EXPECT_EQ(judgeOn(port_, silent)["tests"][0]["verdict"], "wall_time_limit");
  json flood = request("c", R"(#include <stdio.h>
int main(void) { for (;;) fputs("1\n", stdout); })");
  EXPECT_EQ(judgeOn(port_, flood)["tests"][0]["message"], "wrong answer too many queries\n");
  json failing = request("python3", kBinarySearchPython);
  failing["tests"] = json::array({{{"stdin", "5\n"}, {"expected_output", "6\n"}}});
  EXPECT_EQ(judgeOn(port_, failing)["verdict"], "internal_error");
}

TEST_F(JudgeProgramTest, ARealTestlibCheckerWorksUnchanged) {
  REQUIRE_TESTLIB(header);
  json files = json::array({{{"name", "testlib.h"}, {"content", header}}});
  auto request = [&](const std::string& source) {
    json r = withChecker(source);
    r["checker"] = {
        {"type", "program"}, {"language", "c++"}, {"source", kTestlibChecker}, {"files", files}};
    return r;
  };
  EXPECT_EQ(judgeOn(port_, request("a, b = map(int, input().split())\nprint(a + b)"))["verdict"],
            "accepted");
  json wa = judgeOn(port_, request("a, b = map(int, input().split())\nprint(a + b + 1)"));
  EXPECT_EQ(wa["verdict"], "wrong_answer");
  EXPECT_EQ(wa["tests"][0]["message"], "wrong answer expected 5, found 6\n");
  EXPECT_EQ(judgeOn(port_, request("print('five')"))["verdict"], "presentation_error");
  json points =
      judgeOn(port_, request("a, b = map(int, input().split())\nprint(a + b, 'partial')"));
  EXPECT_EQ(points["verdict"], "points") << points.dump();
  EXPECT_EQ(points["points"], 1.0);
}

}  // namespace
}  // namespace codecanvas
