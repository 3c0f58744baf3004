// The judge's own programs written against a real testlib.h, unchanged: a guess-the-number
// interactor and a sum checker with quitp, end to end over HTTP (accepted, wrong answer,
// presentation error, points, a silent and a flooding solution, a failing interactor).
//
// Not part of the test command: testlib is packaged by neither Debian nor npm, the test
// machines reach nothing else, and the project carries no copy of it. Run it by hand with
// one (it fails, saying so, without):
//   CODECANVAS_TESTLIB_H=/path/to/testlib.h build/tests/integration/codecanvas-testlib-tests
// judge_program_test.cc runs the same problems, written to testlib's conventions without
// the library, in the test command.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "judge_programs.h"
#include "server_process.h"
#include "test_support.h"

namespace codecanvas {
namespace {

using namespace testing;

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

// A server of two slots for this program's tests (uids 60750 and 60751).
class TestlibTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() == 0)
      server_ = new ServerProcess(SERVER_PATH, {"--slots", "2", "--uid-base", "60750"});
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr && server_->port() != 0) server_->terminate();
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    header_ = testlibHeader();
    ASSERT_FALSE(header_.empty())
        << "set CODECANVAS_TESTLIB_H to a testlib.h (github.com/MikeMirzayanov/testlib)";
    ASSERT_NE(server_->port(), 0) << server_->log();
    port_ = server_->port();
  }
  static ServerProcess* server_;
  std::string header_;
  int port_ = 0;
};
ServerProcess* TestlibTest::server_ = nullptr;

TEST_F(TestlibTest, ARealTestlibInteractorWorksUnchanged) {
  const std::string& header = header_;
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

TEST_F(TestlibTest, ARealTestlibCheckerWorksUnchanged) {
  const std::string& header = header_;
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
