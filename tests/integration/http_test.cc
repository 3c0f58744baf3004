// End to end over real HTTP: a codecanvas-server started by the test on a free port, real
// slots, real toolchains. Needs root, and the toolchains scripts/setup.sh installs.
#include <httplib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "http_client.h"
#include "server_process.h"
#include "test_support.h"

namespace codecanvas {
namespace {

using nlohmann::json;
using testing::ServerProcess;

constexpr const char* kLanguages[] = {"bash", "c", "c++", "python3", "nodejs", "java", "go"};

using testing::sharedServer;
using testing::sharedServerSlot;

class StopSharedServer : public ::testing::Environment {
 public:
  void TearDown() override {
    if (auto& s = sharedServerSlot()) {
      EXPECT_EQ(s->terminate(), 0) << s->log();
      s.reset();
    }
  }
};
const auto* const kStop = ::testing::AddGlobalTestEnvironment(new StopSharedServer);

using Answer = testing::HttpAnswer;

Answer send(int port, const std::string& method, const std::string& path,
            const std::string& body = "", const std::string& key = "") {
  return testing::httpCall(port, method, path, body, key);
}

Answer run(int port, json request) {
  return send(port, "POST", "/api/v1/run", request.dump());
}

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    server_ = sharedServer(SERVER_PATH);
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(server_->port(), 0) << "the server did not start:\n" << server_->log();
    port_ = server_->port();
  }
  ServerProcess* server_ = nullptr;
  int port_ = 0;
};

// --- every language: the six cases the issue lists ---------------------------------------

struct Programs {
  std::string hello, echo, exit3, loop, hog, compile_error;  // compile_error empty: interpreted
  uint64_t hog_memory_kb = 65536;
};

Programs programsFor(const std::string& lang) {
  if (lang == "python3")
    return {"print(\"hello world\")",
            "import sys\nsys.stdout.write(sys.stdin.read())",
            "import sys\nsys.exit(3)",
            "while True:\n    pass",
            "a = []\nwhile True:\n    a.append(b'x' * (1 << 20))",
            ""};
  if (lang == "bash")
    return {"echo hello world",
            "cat",
            "exit 3",
            "while :; do :; done",
            "s=xxxxxxxxxxxxxxxx; while :; do s=\"$s$s\"; done",
            ""};
  if (lang == "nodejs")
    return {"console.log(\"hello world\")",
            "process.stdin.pipe(process.stdout)",
            "process.exit(3)",
            "for (;;) {}",
            "const a = [];\nfor (;;) a.push(Buffer.alloc(1 << 20, 1));",
            ""};
  if (lang == "c")
    return {
        "#include <stdio.h>\nint main(void) { puts(\"hello world\"); return 0; }",
        "#include <stdio.h>\nint main(void) { int c; while ((c = getchar()) != EOF) putchar(c); }",
        "int main(void) { return 3; }",
        "int main(void) { volatile unsigned long x = 0; for (;;) x++; }",
        "#include <stdlib.h>\n#include <string.h>\nint main(void) { for (;;) { char* p = "
        "malloc(1 << 20); if (!p) return 1; memset(p, 1, 1 << 20); } }",
        "int main(void) { return 0 }"};
  if (lang == "c++")
    return {"#include <iostream>\nint main() { std::cout << \"hello world\\n\"; }",
            "#include <iostream>\nint main() { std::cout << std::cin.rdbuf(); }",
            "int main() { return 3; }",
            "int main() { volatile unsigned long x = 0; for (;;) x++; }",
            "#include <vector>\n#include <cstring>\nint main() { std::vector<char*> v; for (;;) { "
            "char* p = new char[1 << 20]; std::memset(p, 1, 1 << 20); v.push_back(p); } }",
            "int main() { undeclared(); }"};
  if (lang == "java")
    return {
        "public class Main { public static void main(String[] a) { "
        "System.out.println(\"hello world\"); } }",
        "public class Main { public static void main(String[] a) throws Exception { "
        "System.in.transferTo(System.out); } }",
        "public class Main { public static void main(String[] a) { System.exit(3); } }",
        "public class Main { public static void main(String[] a) { while (true) {} } }",
        "import java.util.*;\npublic class Main { public static void main(String[] a) { "
        "List<byte[]> l = new ArrayList<>(); while (true) { byte[] b = new byte[1 << 20]; "
        "Arrays.fill(b, (byte) 1); l.add(b); } } }",
        "public class Main { public static void main(String[] a) { int x = \"no\"; } }",
        262144};
  if (lang == "go")
    return {"package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"hello world\") }",
            "package main\nimport (\n\t\"io\"\n\t\"os\"\n)\nfunc main() { io.Copy(os.Stdout, "
            "os.Stdin) }",
            "package main\nimport \"os\"\nfunc main() { os.Exit(3) }",
            "package main\nfunc main() { for {} }",
            "package main\nfunc main() {\n\tvar a [][]byte\n\tfor {\n\t\tb := make([]byte, "
            "1<<20)\n\t\tfor "
            "i := range b {\n\t\t\tb[i] = 1\n\t\t}\n\t\ta = append(a, b)\n\t}\n}",
            "package main\nfunc main() { undefined() }"};
  return {};
}

class LanguageTest : public HttpTest, public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    HttpTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    lang_ = GetParam();
    Answer langs = send(port_, "GET", "/api/v1/languages");
    ASSERT_EQ(langs.status, 200);
    bool listed = false;
    for (const auto& l : langs.body["languages"]) listed = listed || l == lang_;
    CODECANVAS_REQUIRE(listed, lang_ + " is not offered (toolchain missing? run scripts/setup.sh)");
    p_ = programsFor(lang_);
  }
  json runProgram(const std::string& source, json extra = json::object()) {
    json req = {{"language", lang_}, {"source", source}};
    req.update(extra);
    Answer a = run(port_, req);
    EXPECT_EQ(a.status, 200) << a.raw;
    return a.body;
  }
  std::string lang_;
  Programs p_;
};

TEST_P(LanguageTest, HelloWorld) {
  json j = runProgram(p_.hello);
  EXPECT_EQ(j["status"], "ok") << j.dump();
  EXPECT_EQ(j["stdout"], "hello world\n");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_GT(j["time_ms"].get<double>(), 0);
  EXPECT_GT(j["memory_kb"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["language"], lang_);
  if (!p_.compile_error.empty()) {
    ASSERT_TRUE(j["compile"].is_object()) << j.dump();
    EXPECT_EQ(j["compile"]["status"], "ok");
  } else {
    EXPECT_TRUE(j["compile"].is_null());
  }
}

TEST_P(LanguageTest, EchoesStdin) {
  const std::string input = "line one\nline two: äöü ✓\n";
  json j = runProgram(p_.echo, {{"stdin", input}});
  EXPECT_EQ(j["status"], "ok") << j.dump();
  EXPECT_EQ(j["stdout"], input);
}

TEST_P(LanguageTest, RuntimeErrorKeepsTheExitCode) {
  json j = runProgram(p_.exit3);
  EXPECT_EQ(j["status"], "runtime_error") << j.dump();
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_TRUE(j["error"].is_string());
}

TEST_P(LanguageTest, InfiniteLoopHitsTheTimeLimit) {
  json j = runProgram(p_.loop, {{"limits", {{"cpu_ms", 1000}, {"wall_ms", 10000}}}});
  EXPECT_EQ(j["status"], "time_limit") << j.dump();
  EXPECT_EQ(j["error"], "time limit exceeded (1000 ms)");
  EXPECT_GE(j["time_ms"].get<double>(), 1000);
  EXPECT_LT(j["wall_ms"].get<double>(), 5000);
}

TEST_P(LanguageTest, MemoryHogHitsTheMemoryLimit) {
  json j = runProgram(
      p_.hog,
      {{"limits", {{"memory_kb", p_.hog_memory_kb}, {"cpu_ms", 10000}, {"wall_ms", 20000}}}});
  EXPECT_EQ(j["status"], "memory_limit") << j.dump().substr(0, 2000);
  EXPECT_EQ(j["limits"]["memory_kb"], p_.hog_memory_kb);
}

using CompiledLanguageTest = LanguageTest;

TEST_P(CompiledLanguageTest, CompileErrorIsReportedAndNothingRuns) {
  ASSERT_FALSE(p_.compile_error.empty());
  json j = runProgram(p_.compile_error);
  EXPECT_EQ(j["status"], "compile_error") << j.dump();
  EXPECT_EQ(j["error"], "compile error");
  ASSERT_TRUE(j["compile"].is_object());
  EXPECT_EQ(j["compile"]["status"], "compile_error");
  EXPECT_NE(j["compile"]["exit_code"], 0);
  EXPECT_FALSE(j["compile"]["stderr"].get<std::string>().empty());
  EXPECT_EQ(j["stderr"].get<std::string>(),
            j["compile"]["stdout"].get<std::string>() + j["compile"]["stderr"].get<std::string>());
  EXPECT_TRUE(j["exit_code"].is_null());
}

std::string paramName(const ::testing::TestParamInfo<const char*>& info) {
  const std::string n = info.param;
  return n == "c++" ? std::string("cpp") : n;
}

INSTANTIATE_TEST_SUITE_P(AllLanguages, LanguageTest, ::testing::ValuesIn(kLanguages), paramName);
constexpr const char* kCompiledLanguages[] = {"c", "c++", "java", "go"};
INSTANTIATE_TEST_SUITE_P(Compiled, CompiledLanguageTest, ::testing::ValuesIn(kCompiledLanguages),
                         paramName);

// --- the API around the runs ---------------------------------------------------------------

TEST_F(HttpTest, TheOriginalRequestShapeStillWorks) {
  Answer a = send(port_, "POST", "/api/v1/run",
                  R"J({"language":"python3","source":"print(\"hello world\")"})J");
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["stdout"], "hello world\n");
  EXPECT_EQ(a.body["stderr"], "");
  EXPECT_TRUE(a.body["error"].is_null());
}

TEST_F(HttpTest, RuntimesListVersionsReadFromTheToolchains) {
  Answer a = send(port_, "GET", "/api/v1/runtimes");
  ASSERT_EQ(a.status, 200);
  ASSERT_TRUE(a.body.is_array());
  std::set<std::string> listed;
  for (const auto& r : a.body) listed.insert(r["language"].get<std::string>());
  for (const char* l : kLanguages) EXPECT_TRUE(listed.count(l)) << l << " is missing: " << a.raw;
  for (const auto& r : a.body) {
    EXPECT_FALSE(r["version"].get<std::string>().empty()) << r.dump();
    EXPECT_TRUE(r["aliases"].is_array());
    EXPECT_TRUE(r["compiled"].is_boolean());
  }
  Answer alias = run(port_, {{"language", "py"}, {"source", "print(1)"}});
  EXPECT_EQ(alias.body["language"], "python3");
}

TEST_F(HttpTest, AnIdenticalResubmissionSkipsTheCompile) {
  const std::string src =
      "#include <stdio.h>\nint main(void) { puts(\"cached " + std::to_string(::getpid()) + "\"); }";
  json first = run(port_, {{"language", "c"}, {"source", src}}).body;
  json second = run(port_, {{"language", "c"}, {"source", src}}).body;
  ASSERT_EQ(first["status"], "ok") << first.dump();
  ASSERT_EQ(second["status"], "ok") << second.dump();
  EXPECT_FALSE(first["compile"]["cached"].get<bool>());
  EXPECT_TRUE(second["compile"]["cached"].get<bool>());
  EXPECT_EQ(second["stdout"], first["stdout"]);
  // A different source is a different program.
  json other = run(port_, {{"language", "c"}, {"source", src + "\n"}}).body;
  EXPECT_FALSE(other["compile"]["cached"].get<bool>());
}

TEST_F(HttpTest, BadInputOverTheWire) {
  Answer not_json = send(port_, "POST", "/api/v1/run", "hello");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(not_json.body["code"], "bad_request");
  Answer utf8 = send(port_, "POST", "/api/v1/run", "{\"language\":\"c\",\"source\":\"\xc3\x28\"}");
  EXPECT_EQ(utf8.status, 400);
  Answer unknown = run(port_, {{"language", "brainfuck"}, {"source", "+"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body["error"].get<std::string>().find("python3"), std::string::npos);
  Answer negative =
      run(port_, {{"language", "c"}, {"source", "x"}, {"limits", {{"memory_kb", -1}}}});
  EXPECT_EQ(negative.status, 400);
  Answer huge = send(port_, "POST", "/api/v1/run", std::string(17 << 20, ' '));
  EXPECT_EQ(huge.status, 413) << huge.raw.substr(0, 200);
  EXPECT_EQ(huge.body["code"], "too_large");
  Answer missing = send(port_, "GET", "/api/v2/run");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["code"], "not_found");
  Answer method = send(port_, "GET", "/api/v1/run");
  EXPECT_EQ(method.status, 405);
  // The server is still fine.
  EXPECT_EQ(send(port_, "GET", "/health").status, 200);
}

TEST_F(HttpTest, HealthAndMetricsDescribeTheService) {
  Answer h = send(port_, "GET", "/health");
  ASSERT_EQ(h.status, 200);
  EXPECT_EQ(h.body["slots"]["total"], 2);
  EXPECT_EQ(h.body["queue"]["capacity"], 32);
  for (const char* c : {"cpu", "memory", "pids"}) EXPECT_NE(h.body["cgroup"][c], "none") << c;
  EXPECT_EQ(h.body["status"], "ok") << h.raw;
  run(port_, {{"language", "bash"}, {"source", "true"}});
  httplib::Client cli("127.0.0.1", port_);
  auto m = cli.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(m->body.find("codecanvas_runs_total{language=\"bash\",status=\"ok\"}"),
            std::string::npos);
  EXPECT_NE(m->body.find("codecanvas_slots_total 2"), std::string::npos);
  EXPECT_NE(m->body.find("codecanvas_job_seconds_count{phase=\"queue\"}"), std::string::npos);
  // One JSON log line per request on stderr.
  EXPECT_NE(server_->log().find("\"route\":\"/api/v1/run\""), std::string::npos);
}

TEST_F(HttpTest, MoreConcurrentRequestsThanSlotsAreAllAnswered) {
  std::vector<std::future<Answer>> answers;
  for (int i = 0; i < 8; ++i) {
    answers.push_back(std::async(std::launch::async, [this, i] {
      return run(port_, {{"language", "python3"},
                         {"source", "import sys\nprint(int(sys.stdin.read()) * 2)"},
                         {"stdin", std::to_string(i)}});
    }));
  }
  for (int i = 0; i < 8; ++i) {
    Answer a = answers[i].get();
    ASSERT_EQ(a.status, 200) << a.raw;
    EXPECT_EQ(a.body["stdout"], std::to_string(i * 2) + "\n");
  }
}

// --- the judge ------------------------------------------------------------------------------

const char* kAplusB =
    "#include <iostream>\nint main() { long a, b; std::cin >> a >> b; "
    "if (a == 0 && b == 0) for (volatile int i = 0;; ++i) {} std::cout << a + b << \"\\n\"; }";

json judge(int port, json request) {
  Answer a = send(port, "POST", "/api/v1/judge", request.dump());
  EXPECT_EQ(a.status, 200) << a.raw;
  return a.body;
}

TEST_F(HttpTest, JudgeAcceptsACorrectProgramWithEveryChecker) {
  json tests = json::array({{{"stdin", "1 2\n"}, {"expected_output", "3\n"}},
                            {{"stdin", "5 5\n"}, {"expected_output", "10\n"}},
                            {{"stdin", "-4 4\n"}, {"expected_output", "0\n"}}});
  for (const char* checker : {"exact", "lines", "tokens", "float"}) {
    json j = judge(port_, {{"language", "c++"},
                           {"source", kAplusB},
                           {"tests", tests},
                           {"checker", {{"type", checker}}}});
    EXPECT_EQ(j["verdict"], "accepted") << checker << ": " << j.dump();
    EXPECT_EQ(j["compile"]["status"], "ok");
    ASSERT_EQ(j["tests"].size(), 3u);
    for (const auto& t : j["tests"]) EXPECT_EQ(t["verdict"], "accepted");
    EXPECT_GT(j["max_memory_kb"].get<uint64_t>(), 0u);
  }
  // Trailing spaces: fine for lines and tokens, not for exact.
  json spaced = json::array({{{"stdin", "1 2\n"}, {"expected_output", "3   \n\n"}}});
  EXPECT_EQ(judge(port_, {{"language", "c++"},
                          {"source", kAplusB},
                          {"tests", spaced},
                          {"checker", {{"type", "lines"}}}})["verdict"],
            "accepted");
  EXPECT_EQ(judge(port_, {{"language", "c++"},
                          {"source", kAplusB},
                          {"tests", spaced},
                          {"checker", {{"type", "exact"}}}})["verdict"],
            "wrong_answer");
}

TEST_F(HttpTest, JudgeFindsAWrongAnswerAndATimeoutAmongPassingTests) {
  json tests = json::array({{{"stdin", "1 2\n"}, {"expected_output", "3\n"}},
                            {{"stdin", "2 2\n"}, {"expected_output", "5\n"}},
                            {{"stdin", "0 0\n"}, {"expected_output", "0\n"}},
                            {{"stdin", "7 8\n"}, {"expected_output", "15\n"}}});
  json j = judge(port_, {{"language", "c++"},
                         {"source", kAplusB},
                         {"tests", tests},
                         {"limits", {{"cpu_ms", 500}}},
                         {"stop_on_first_failure", false},
                         {"checker", {{"type", "tokens"}}}});
  EXPECT_EQ(j["verdict"], "wrong_answer") << j.dump();  // the first failing test decides
  ASSERT_EQ(j["tests"].size(), 4u);
  EXPECT_EQ(j["tests"][0]["verdict"], "accepted");
  EXPECT_EQ(j["tests"][1]["verdict"], "wrong_answer");
  EXPECT_EQ(j["tests"][1]["stdout"], "4\n");
  EXPECT_EQ(j["tests"][2]["verdict"], "time_limit");
  EXPECT_EQ(j["tests"][3]["verdict"], "accepted");
  EXPECT_TRUE(j["compile"]["cached"].is_boolean());

  json stop = judge(port_, {{"language", "c++"},
                            {"source", kAplusB},
                            {"tests", tests},
                            {"stop_on_first_failure", true}});
  EXPECT_EQ(stop["tests"][1]["verdict"], "wrong_answer");
  EXPECT_EQ(stop["tests"][2]["verdict"], "skipped");
  EXPECT_EQ(stop["tests"][3]["verdict"], "skipped");
}

TEST_F(HttpTest, JudgeFloatCheckerUsesEpsilon) {
  const char* program = "x = float(input())\nprint(f'{x / 3:.5f}')";
  json tests = json::array({{{"stdin", "1\n"}, {"expected_output", "0.333333\n"}}});
  json within = judge(port_, {{"language", "python3"},
                              {"source", program},
                              {"tests", tests},
                              {"checker", {{"type", "float"}, {"epsilon", 1e-4}}}});
  EXPECT_EQ(within["verdict"], "accepted") << within.dump();
  json outside = judge(port_, {{"language", "python3"},
                               {"source", program},
                               {"tests", tests},
                               {"checker", {{"type", "float"}, {"epsilon", 1e-7}}}});
  EXPECT_EQ(outside["verdict"], "wrong_answer") << outside.dump();
  json compile_error =
      judge(port_, {{"language", "c++"}, {"source", "int main( {"}, {"tests", tests}});
  EXPECT_EQ(compile_error["verdict"], "compile_error");
  EXPECT_EQ(compile_error["tests"][0]["verdict"], "skipped");
}

// --- servers of their own: queue order, a full queue, shutdown, a taken port -----------------

TEST(HttpServerTest, JobsTakeTheSlotInOrderOfArrival) {
  CODECANVAS_REQUIRE_ROOT();
  ServerProcess server(SERVER_PATH, {"--slots", "1", "--queue", "8", "--uid-base", "60610"});
  ASSERT_GT(server.port(), 0) << server.log();
  // Each job sleeps, then prints when it ran; sent 100 ms apart, they must run in that order.
  std::vector<std::future<Answer>> answers;
  for (int i = 0; i < 5; ++i) {
    answers.push_back(std::async(std::launch::async, [&server] {
      return run(server.port(), {{"language", "bash"}, {"source", "sleep 0.2; date +%s%N"}});
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  long long previous = 0;
  for (int i = 0; i < 5; ++i) {
    Answer a = answers[i].get();
    ASSERT_EQ(a.status, 200) << a.raw;
    const long long t = std::stoll(a.body["stdout"].get<std::string>());
    EXPECT_GT(t, previous) << "job " << i << " ran before an earlier one";
    previous = t;
  }
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

TEST(HttpServerTest, AFullQueueAnswers503AndRunsNothing) {
  CODECANVAS_REQUIRE_ROOT();
  ServerProcess server(SERVER_PATH, {"--slots", "1", "--queue", "1", "--uid-base", "60620"});
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string marker = "/tmp/codecanvas-503-" + std::to_string(::getpid());
  auto slow = [&] {
    return run(server.port(), {{"language", "bash"}, {"source", "sleep 1.5; echo done"}});
  };
  auto running = std::async(std::launch::async, slow);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto queued = std::async(std::launch::async, slow);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Answer refused = run(server.port(), {{"language", "bash"}, {"source", "echo ran"}});
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_EQ(refused.body["code"], "busy");
  EXPECT_FALSE(refused.retry_after.empty());
  EXPECT_EQ(running.get().body["stdout"], "done\n");
  EXPECT_EQ(queued.get().body["stdout"], "done\n");
  // Once the queue drains, requests are admitted again.
  EXPECT_EQ(run(server.port(), {{"language", "bash"}, {"source", "echo ran"}}).body["stdout"],
            "ran\n");
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

// No process of the server's slot uids is left, and no cgroup directory of the instance.
void expectNothingLeft(pid_t server_pid, uid_t uid_base, unsigned slots) {
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    struct stat st {};
    if (::stat(e.path().c_str(), &st) != 0) continue;
    EXPECT_FALSE(st.st_uid >= uid_base && st.st_uid < uid_base + slots)
        << "process " << e.path() << " of slot uid " << st.st_uid << " outlived the server";
  }
  const std::string name = "codecanvas-" + std::to_string(server_pid);
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           "/sys/fs/cgroup", std::filesystem::directory_options::skip_permission_denied, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_directory(ec) && it->path().filename() == name)
      ADD_FAILURE() << "cgroup " << it->path() << " outlived the server";
    if (it.depth() > 4) it.disable_recursion_pending();
  }
}

TEST(HttpServerTest, SigtermLetsRunningJobsFinishThenExitsClean) {
  CODECANVAS_REQUIRE_ROOT();
  // Two slots: one runs the job in flight, the other would be free for a new one.
  auto server = std::make_unique<ServerProcess>(
      SERVER_PATH, std::vector<std::string>{"--slots", "2", "--queue", "4", "--uid-base", "60630"});
  ASSERT_GT(server->port(), 0) << server->log();
  const int port = server->port();
  const pid_t pid = server->pid();
  // A connection kept open across the signal.
  httplib::Client kept("127.0.0.1", port);
  kept.set_keep_alive(true);
  kept.set_read_timeout(30, 0);
  auto first = kept.Get("/health");
  ASSERT_TRUE(first && first->status == 200);
  auto job = std::async(std::launch::async, [port] {
    return run(port, {{"language", "bash"}, {"source", "sleep 1; echo finished"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // While the job in flight finishes, a request on the kept connection starts nothing: it
  // is refused as "shutting down", or the connection is already closed.
  auto late =
      kept.Post("/api/v1/run", R"({"language":"bash","source":"echo late"})", "application/json");
  if (late) {
    EXPECT_EQ(late->status, 503) << late->body;
    EXPECT_NE(late->body.find("shutting down"), std::string::npos) << late->body;
  }
  const int status = server->waitExit(std::chrono::seconds(60));
  Answer a = job.get();
  EXPECT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["stdout"], "finished\n");
  EXPECT_EQ(status, 0) << server->log();
  EXPECT_NE(server->log().find("SIGTERM"), std::string::npos);
  // Nobody listens any more.
  EXPECT_EQ(send(port, "GET", "/health").status, 0);
  server.reset();
  expectNothingLeft(pid, 60630, 1);
}

TEST(HttpServerTest, ASecondServerOnTheSamePortSaysSo) {
  CODECANVAS_REQUIRE_ROOT();
  ServerProcess first(SERVER_PATH, {"--slots", "1", "--uid-base", "60640"});
  ASSERT_GT(first.port(), 0) << first.log();
  const testing::CommandResult second =
      testing::runShell(std::string(SERVER_PATH) + " --slots 1 --uid-base 60650 --port " +
                        std::to_string(first.port()));
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find("already in use"), std::string::npos) << second.output;
  EXPECT_EQ(send(first.port(), "GET", "/health").status, 200);
  EXPECT_EQ(first.terminate(), 0);
}

// Peak resident memory of a process, from /proc/PID/status (VmHWM), in KiB.
long peakRssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// The worst judge the limits allow, in small: every test fails and prints all the output
// it may, and all are run. The job keeps at most its output budget, so the server's peak
// memory and the answer stay bounded (without the budget: 120 x 2 MB kept, and a larger
// answer still).
TEST(HttpServerTest, AJudgeKeepsNoMoreOutputThanItsBudget) {
  CODECANVAS_REQUIRE_ROOT();
  ServerProcess server(SERVER_PATH, {"--slots", "1", "--uid-base", "60670", "--max-output-kb",
                                     "1024", "--max-job-output-kb", "4096"});
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string source =
      "#include <stdio.h>\n#include <string.h>\nstatic char b[1000 * 1024];\n"
      "int main(void) { memset(b, 'y', sizeof b); fwrite(b, 1, sizeof b, stdout);\n"
      "  fwrite(b, 1, sizeof b, stderr); return 0; }\n";
  json tests = json::array();
  for (int i = 0; i < 120; ++i) tests.push_back({{"stdin", ""}, {"expected_output", "x"}});
  const json judge = {{"language", "c"},
                      {"source", source},
                      {"tests", tests},
                      {"stop_on_first_failure", false},
                      {"checker", {{"type", "exact"}}}};
  // Warm up (the compile), so that the peak below is the judge's output alone.
  Answer warm = send(server.port(), "POST", "/api/v1/run",
                     json{{"language", "c"}, {"source", source}}.dump());
  ASSERT_EQ(warm.status, 200) << warm.raw.substr(0, 500);
  const long before = peakRssKb(server.pid());
  Answer a = send(server.port(), "POST", "/api/v1/judge", judge.dump());
  const long after = peakRssKb(server.pid());
  ASSERT_EQ(a.status, 200) << a.raw.substr(0, 500);
  EXPECT_EQ(a.body["verdict"], "wrong_answer");
  ASSERT_EQ(a.body["tests"].size(), 120u);
  EXPECT_EQ(a.body["tests"][119]["verdict"], "wrong_answer") << "every test must have run";
  EXPECT_TRUE(a.body["output_cut"].get<bool>());
  EXPECT_LT(a.raw.size(), 8u << 20) << "the answer carries more than the 4 MiB budget";
  std::printf("peak RSS %ld -> %ld KiB for the judge; answer %zu bytes\n", before, after,
              a.raw.size());
  EXPECT_GT(before, 0);
  EXPECT_LT(after - before, 64 * 1024)
      << "peak RSS grew from " << before << " to " << after << " KiB for one judge";
}

// API keys from the config file: 401 without one, the key's rate as 429 with Retry-After,
// /health open, the key's name in the log; and the command-line client with the key from
// CODECANVAS_KEY.
TEST(HttpServerTest, ApiKeysAndTheirRatesHoldOverTheWire) {
  CODECANVAS_REQUIRE_ROOT();
  const std::string judge_key = "judge-key-0123456789abcdef";
  const std::string slow_key = "slow-key-0123456789abcdef";
  const std::string alpha_key = "alpha-key-0123456789abcdef";
  const std::string beta_key = "beta-key-0123456789abcdef";
  const std::filesystem::path config = std::filesystem::temp_directory_path() /
                                       ("codecanvas-keys-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream(config) << json{
        {"api_keys",
         {{{"name", "judge"}, {"key", judge_key}},
          {{"name", "slow"}, {"key", slow_key}, {"requests_per_minute", 1}, {"burst", 2}},
          {{"name", "alpha"}, {"key", alpha_key}},
          {{"name", "beta"},
           {"key", beta_key}}}}}.dump();
  }
  ServerProcess server(SERVER_PATH,
                       {"--slots", "1", "--uid-base", "60660", "--config", config.string()});
  std::filesystem::remove(config);
  ASSERT_GT(server.port(), 0) << server.log();
  EXPECT_NE(server.log().find("api keys: 4 configured"), std::string::npos) << server.log();
  const int port = server.port();

  Answer none = send(port, "GET", "/api/v1/languages");
  EXPECT_EQ(none.status, 401) << none.raw;
  EXPECT_EQ(none.body.value("code", ""), "unauthorized");
  EXPECT_EQ(none.www_authenticate, "Bearer realm=\"codecanvas\"");
  EXPECT_EQ(send(port, "GET", "/api/v1/languages", "", "wrong-key-0123456789abcdef").status, 401);
  EXPECT_EQ(send(port, "GET", "/health").status, 200);
  const json hello = {{"language", "python3"}, {"source", "print('hi')"}};
  Answer refused = send(port, "POST", "/api/v1/run", hello.dump());
  EXPECT_EQ(refused.status, 401) << refused.raw;
  Answer ok = send(port, "POST", "/api/v1/run", hello.dump(), judge_key);
  EXPECT_EQ(ok.status, 200) << ok.raw;
  EXPECT_EQ(ok.body.value("stdout", ""), "hi\n");

  // The compile cache is per key: another key's identical compile is not "cached" for it.
  const json c_prog = {
      {"language", "c"},
      {"source", "int main(void) { return " + std::to_string(::getpid() % 100) + " * 0; }"}};
  Answer mine = send(port, "POST", "/api/v1/run", c_prog.dump(), alpha_key);
  Answer again = send(port, "POST", "/api/v1/run", c_prog.dump(), alpha_key);
  Answer theirs = send(port, "POST", "/api/v1/run", c_prog.dump(), beta_key);
  ASSERT_EQ(mine.status, 200) << mine.raw;
  EXPECT_FALSE(mine.body["compile"].value("cached", true)) << mine.raw;
  EXPECT_TRUE(again.body["compile"].value("cached", false)) << again.raw;
  ASSERT_EQ(theirs.status, 200) << theirs.raw;
  EXPECT_FALSE(theirs.body["compile"].value("cached", true))
      << "one key learnt that another compiled the same source: " << theirs.raw;

  // "slow": a burst of 2, then one a minute.
  EXPECT_EQ(send(port, "GET", "/api/v1/languages", "", slow_key).status, 200);
  EXPECT_EQ(send(port, "GET", "/api/v1/languages", "", slow_key).status, 200);
  Answer limited = send(port, "POST", "/api/v1/run", hello.dump(), slow_key);
  EXPECT_EQ(limited.status, 429) << limited.raw;
  EXPECT_EQ(limited.body.value("code", ""), "rate_limited");
  ASSERT_FALSE(limited.retry_after.empty());
  EXPECT_GE(std::stoi(limited.retry_after), 1);
  EXPECT_LE(std::stoi(limited.retry_after), 60);
  // Another key is not slowed by it.
  EXPECT_EQ(send(port, "GET", "/api/v1/languages", "", judge_key).status, 200);
  // Each key's requests are counted under its name.
  Answer metrics = send(port, "GET", "/metrics", "", judge_key);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.raw.find(R"(codecanvas_api_key_requests_total{key="slow",code="429"} 1)"),
            std::string::npos)
      << metrics.raw;
  EXPECT_NE(metrics.raw.find(R"(codecanvas_api_key_requests_total{key="judge",code="200"} 2)"),
            std::string::npos)
      << metrics.raw;

  // The command-line client: the server's sentence without a key, a run with one.
  const std::string cli =
      std::string(CODECANVAS_CLI) + " languages --server http://127.0.0.1:" + std::to_string(port);
  const auto no_key = testing::runShell("env -u CODECANVAS_KEY " + cli);
  EXPECT_EQ(no_key.exit_code, 110) << no_key.output;
  EXPECT_NE(no_key.output.find("needs an API key"), std::string::npos) << no_key.output;
  const auto with_key = testing::runShell("CODECANVAS_KEY=" + judge_key + " " + cli);
  EXPECT_EQ(with_key.exit_code, 0) << with_key.output;
  EXPECT_NE(with_key.output.find("python3"), std::string::npos) << with_key.output;

  EXPECT_EQ(server.terminate(), 0);
  const std::string log = server.log();
  EXPECT_NE(log.find(R"("key":"judge")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("status":429)"), std::string::npos) << log;
  EXPECT_EQ(log.find(judge_key), std::string::npos) << "the key itself must never be logged";
}

}  // namespace
}  // namespace codecanvas
