// The codecanvas command-line client end to end, against the real server the HTTP tests
// share: run (streams, stdin from a file and from -, exit statuses), languages, judge over
// a folder, an unreachable server, --help.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "server_process.h"
#include "test_support.h"

namespace codecanvas {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    server_ = testing::sharedServer(SERVER_PATH);
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(server_->port(), 0) << server_->log();
    dir_ = fs::temp_directory_path() / ("codecanvas-client-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // Runs `codecanvas ARGS` through the shell (ARGS are shell words); `prefix` goes before
  // the command (environment, a pipe into it).
  Outcome cli(const std::string& args, const std::string& prefix = "", bool with_server = true) {
    const std::string server =
        with_server ? " --server http://127.0.0.1:" + std::to_string(server_->port()) : "";
    const std::string cmd = prefix + std::string(CODECANVAS_CLI) + " " + args + server + " >" +
                            (dir_ / "out").string() + " 2>" + (dir_ / "err").string();
    const int status = std::system(cmd.c_str());
    Outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = slurp(dir_ / "out");
    o.err = slurp(dir_ / "err");
    return o;
  }

  testing::ServerProcess* server_ = nullptr;
  fs::path dir_;
};

TEST_F(ClientTest, RunSendsOutputToTheMatchingStreamsAndMirrorsTheExitCode) {
  const std::string file =
      write("greet.py",
            "import sys\nprint('out', sys.argv[1:])\nsys.stderr.write('err\\n')\nsys.exit(4)\n");
  Outcome o = cli("run " + file + " --arg one --arg 'two words'");
  EXPECT_EQ(o.exit_code, 4) << o.err;
  EXPECT_EQ(o.out, "out ['one', 'two words']\n");
  EXPECT_EQ(o.err.rfind("err\n", 0), 0u) << o.err;
  EXPECT_NE(o.err.find("python3: runtime_error"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("memory"), std::string::npos);
}

TEST_F(ClientTest, RunTakesStdinFromAFileOrFromItsOwnStdin) {
  const std::string file =
      write("echo.c",
            "#include <stdio.h>\nint main(void) { int c; while ((c = getchar()) != EOF) "
            "putchar(c); return 0; }\n");
  const std::string input = write("input.txt", "from a file\n");
  Outcome from_file = cli("run " + file + " --stdin " + input);
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(from_file.out, "from a file\n");
  Outcome from_pipe = cli("run " + file + " --stdin -", "printf 'piped\\n' | ");
  EXPECT_EQ(from_pipe.exit_code, 0) << from_pipe.err;
  EXPECT_EQ(from_pipe.out, "piped\n");
  EXPECT_NE(from_pipe.err.find("c: ok"), std::string::npos) << from_pipe.err;
}

TEST_F(ClientTest, BytesThatAreNotUtf8ArriveUnchanged) {
  const std::string file = write("bytes.sh", "printf 'a\\377\\000b'\n");
  Outcome o = cli("run " + file);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, std::string("a\xff\0b", 4));
}

TEST_F(ClientTest, ExitStatusesForCompileErrorsAndLimits) {
  Outcome compile = cli("run " + write("bad.cpp", "int main( {\n"));
  EXPECT_EQ(compile.exit_code, 100);
  EXPECT_NE(compile.err.find("error"), std::string::npos) << "the compiler's message is shown";
  Outcome loop =
      cli("run " + write("loop.c", "int main(void) { for (;;) {} }\n") + " --cpu-ms 300");
  EXPECT_EQ(loop.exit_code, 101) << loop.err;
  Outcome hog =
      cli("run " + write("hog.py", "a = []\nwhile True:\n    a.append(b'x' * (1 << 20))\n") +
          " --memory-kb 32768");
  EXPECT_EQ(hog.exit_code, 102) << hog.err;
  Outcome signal = cli("run " + write("segv.c", "int main(void) { *(volatile int*)0 = 1; }\n"));
  EXPECT_EQ(signal.exit_code, 128 + 11) << signal.err;
}

TEST_F(ClientTest, TheLanguageComesFromTheExtensionOrFromLang) {
  Outcome cpp =
      cli("run " + write("prog.cc", "#include <cstdio>\nint main() { std::puts(\"cc\"); }\n"));
  EXPECT_EQ(cpp.out, "cc\n") << cpp.err;
  Outcome lang = cli("run " + write("noext", "echo bash") + " --lang bash");
  EXPECT_EQ(lang.out, "bash\n") << lang.err;
  Outcome unknown = cli("run " + write("x.unknown", "?"));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--lang"), std::string::npos);
  Outcome refused = cli("run " + write("y.txt", "?") + " --lang intercal");
  EXPECT_EQ(refused.exit_code, 110);
  EXPECT_NE(refused.err.find("unknown language \"intercal\""), std::string::npos)
      << "the server's sentence";
  EXPECT_EQ(refused.err.find("httplib"), std::string::npos);
}

TEST_F(ClientTest, LanguagesListsTheRuntimes) {
  Outcome o = cli("languages");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("LANGUAGE"), std::string::npos);
  EXPECT_NE(o.out.find("python3"), std::string::npos);
  EXPECT_NE(o.out.find("py, python"), std::string::npos);
  Outcome env = cli("languages --json",
                    "CODECANVAS_SERVER=http://127.0.0.1:" + std::to_string(server_->port()) + " ",
                    /*with_server=*/false);
  EXPECT_EQ(env.exit_code, 0) << env.err;
  EXPECT_EQ(env.out.find("["), 0u) << env.out;
}

TEST_F(ClientTest, JudgeOverATestFolder) {
  const std::string source = write("ab.cpp",
                                   "#include <iostream>\nint main() { long a, b; std::cin >> a >> "
                                   "b; std::cout << a + b << '\\n'; }\n");
  write("tests/1.in", "1 2\n");
  write("tests/1.out", "3\n");
  write("tests/2.in", "10 20\n");
  write("tests/2.ans", "30\n");
  Outcome ok =
      cli("judge " + source + " --tests " + (dir_ / "tests").string() + " --checker tokens");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("verdict: accepted"), std::string::npos) << ok.out;
  EXPECT_NE(ok.err.find("judging 2 tests"), std::string::npos) << "progress while it waits";
  write("tests/3.in", "2 2\n");
  write("tests/3.out", "5\n");
  Outcome wrong = cli("judge " + source + " --tests " + (dir_ / "tests").string());
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.out.find("wrong_answer"), std::string::npos) << wrong.out;
  write("tests/4.in", "orphan\n");
  Outcome orphan = cli("judge " + source + " --tests " + (dir_ / "tests").string());
  EXPECT_EQ(orphan.exit_code, 2);
  EXPECT_NE(orphan.err.find("4"), std::string::npos) << orphan.err;
}

TEST_F(ClientTest, JudgeWithAnInteractorOrACheckerProgram) {
  // Guess the number; the interactor keeps testlib's conventions and includes a header of
  // its own, sent with --judge-file.
  write("judge/limits.h", "#define MAX_QUERIES 30\n");
  const std::string interactor = write("judge/interactor.c", R"(#include <stdio.h>
#include "limits.h"
int main(int argc, char** argv) {
  FILE* in = fopen(argv[1], "r");
  int n, g;
  if (argc != 4 || !in || fscanf(in, "%d", &n) != 1) return 3;
  for (int q = 1; q <= MAX_QUERIES && scanf("%d", &g) == 1; ++q) {
    printf(g == n ? "=\n" : n < g ? "<\n" : ">\n");
    fflush(stdout);
    if (g == n) { fprintf(stderr, "ok found in %d\nsecond line", q); return 0; }
  }
  fprintf(stderr, "wrong answer");
  return 1;
}
)");
  const std::string solution = write("guess.py",
                                     "lo, hi = 1, 100\nwhile True:\n    m = (lo + hi) // 2\n"
                                     "    print(m, flush=True)\n    r = input()\n"
                                     "    if r == '=': break\n    if r == '<': hi = m - 1\n"
                                     "    else: lo = m + 1\n");
  write("itests/a.in", "50\n");  // no .out: the interactor knows the answer
  write("itests/b.in", "1\n");
  Outcome ok =
      cli("judge " + solution + " --tests " + (dir_ / "itests").string() + " --interactor " +
          interactor + " --judge-file " + (dir_ / "judge/limits.h").string());
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("MESSAGE"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("ok found in 1\n"), std::string::npos)
      << "the message's first line: " << ok.out;
  EXPECT_EQ(ok.out.find("second line"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("verdict: accepted"), std::string::npos) << ok.out;
  // Without the header the interactor does not compile: the judge's failure, said so.
  Outcome broken = cli("judge " + solution + " --tests " + (dir_ / "itests").string() +
                       " --interactor " + interactor);
  EXPECT_EQ(broken.exit_code, 1) << broken.out;
  EXPECT_NE(broken.err.find("the interactor did not compile"), std::string::npos) << broken.err;
  EXPECT_NE(broken.out.find("verdict: internal_error"), std::string::npos) << broken.out;

  // A checker program that gives half a point for a right sum followed by "partial".
  const std::string checker = write("judge/checker.c", R"(#include <stdio.h>
#include <string.h>
int main(int argc, char** argv) {
  FILE* in = fopen(argv[1], "r");
  FILE* out = fopen(argv[2], "r");
  long a, b, got;
  char word[16] = "";
  if (argc != 4 || !in || !out || fscanf(in, "%ld %ld", &a, &b) != 2) return 3;
  if (fscanf(out, "%ld", &got) != 1) return 2;
  if (got != a + b) { fprintf(stderr, "wrong answer %ld", got); return 1; }
  if (fscanf(out, "%15s", word) == 1 && strcmp(word, "partial") == 0) {
    fprintf(stderr, "points 0.5 half");
    return 7;
  }
  return 0;
}
)");
  write("ctests/1.in", "1 2\n");
  write("ctests/1.ans", "3\n");
  const std::string partial =
      write("partial.py", "a, b = map(int, input().split())\nprint(a + b, 'partial')\n");
  Outcome points = cli("judge " + partial + " --tests " + (dir_ / "ctests").string() +
                       " --checker-program " + checker);
  EXPECT_EQ(points.exit_code, 0) << points.out << points.err;
  EXPECT_NE(points.out.find("(0.5 points) points 0.5 half"), std::string::npos) << points.out;
  EXPECT_NE(points.out.find("verdict: points"), std::string::npos) << points.out;
  Outcome both = cli("judge " + partial + " --tests " + (dir_ / "ctests").string() +
                     " --checker-program " + checker + " --interactor " + interactor);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("do not go together"), std::string::npos) << both.err;
}

TEST_F(ClientTest, AnUnreachableServerHasItsOwnExitStatus) {
  const std::string file = write("hello.py", "print(1)\n");
  Outcome o = cli("run " + file + " --server http://127.0.0.1:1", "", /*with_server=*/false);
  EXPECT_EQ(o.exit_code, 111);
  EXPECT_NE(o.err.find("cannot reach the codecanvas server at http://127.0.0.1:1"),
            std::string::npos)
      << o.err;
}

TEST_F(ClientTest, EveryCommandHasHelp) {
  for (const char* command : {"--help", "run --help", "languages --help", "judge --help"}) {
    Outcome o = cli(command, "", /*with_server=*/false);
    EXPECT_EQ(o.exit_code, 0) << command;
    EXPECT_NE(o.out.find("usage: codecanvas"), std::string::npos) << command;
  }
  Outcome bad = cli("frobnicate", "", false);
  EXPECT_EQ(bad.exit_code, 2);
}

}  // namespace
}  // namespace codecanvas
