// The real clients of other systems' APIs against a real server: what "compatible" means.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "../integration/http_client.h"
#include "../integration/server_process.h"
#include "../integration/test_support.h"

namespace {

using codecanvas::testing::ServerProcess;
namespace fs = std::filesystem;

const std::string kCompatDir = COMPAT_DIR;

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `node SCRIPT URL` in tests/compat against a server started for the test; its
// output goes to the test log as well.
codecanvas::testing::CommandResult runNodeScript(const std::string& script,
                                                 const ServerProcess& server) {
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  auto result = codecanvas::testing::runShell("cd " + quote(kCompatDir) + " && node " + script +
                                              " " + quote(url) + " 2>&1");
  std::cout << result.output;
  return result;
}

// The npm piston-client (1.0.2) runs its runtimes() and execute() calls against the
// server: both request forms, a compiled language, a compile error, a non-zero exit, a
// signal, a time limit and an unknown language (piston_client_test.mjs).
TEST(PistonClient, TheRealNpmClientWorksUnchanged) {
  CODECANVAS_REQUIRE_ROOT();
  CODECANVAS_REQUIRE(fs::exists(kCompatDir + "/node_modules/piston-client/package.json"),
                     "piston-client is not installed in tests/compat/node_modules "
                     "(scripts/setup.sh --tests runs npm ci there)");
  CODECANVAS_REQUIRE(codecanvas::testing::runShell("node --version").exit_code == 0,
                     "no node on PATH");
  ServerProcess server(SERVER_PATH, {"--slots", "2", "--uid-base", "60840"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto [status, output] = runNodeScript("piston_client_test.mjs", server);
  EXPECT_EQ(status, 0) << output << "\nserver log:\n" << server.log();
  EXPECT_NE(output.find("ok an unknown language"), std::string::npos)
      << "the script ran to its end";
  EXPECT_EQ(output.find("FAIL"), std::string::npos) << output;
}

// The OpenAPI document the server serves is valid OpenAPI 3.1, by a real validator. (Its
// routes are checked against the server's route table by a unit test.) A broken copy must
// fail, so the validator is known to look.
TEST(OpenApi, TheServedDocumentIsValidOpenApi31) {
  CODECANVAS_REQUIRE_ROOT();
  CODECANVAS_REQUIRE(
      fs::exists(kCompatDir + "/node_modules/@seriousme/openapi-schema-validator/package.json"),
      "the OpenAPI validator is not installed in tests/compat/node_modules "
      "(scripts/setup.sh --tests runs npm ci there)");
  CODECANVAS_REQUIRE(codecanvas::testing::runShell("node --version").exit_code == 0,
                     "no node on PATH");
  ServerProcess server(SERVER_PATH, {"--slots", "1", "--uid-base", "60850"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto [status, output] = runNodeScript("validate_openapi.mjs", server);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output.rfind("valid (OpenAPI 3.1", 0), 0u) << output;

  // The same validator on a document with a broken reference and a bad type says so.
  const auto [bad_status, bad_output] = codecanvas::testing::runShell(
      "cd " + quote(kCompatDir) +
      " && node --input-type=module -e \"import {Validator} from "
      "'@seriousme/openapi-schema-validator';"
      " const v = new Validator(); const r = await v.validate({openapi: '3.1.0', info: {title: 1},"
      " paths: {'/x': {get: {responses: {'200': {description: 'x', content: {'application/json':"
      " {schema: {\\$ref: '#/components/schemas/Nope'}}}}}}}}});"
      " console.log(r.valid ? 'valid' : 'invalid'); process.exit(r.valid ? 0 : 1)\" 2>&1");
  EXPECT_NE(bad_status, 0) << bad_output;
  EXPECT_NE(bad_output.find("invalid"), std::string::npos) << bad_output;
}

// The interactive-execution server's REST path over real HTTP, as its clients call it:
// the language keys, a run with input, each kind of failure in its exitCode, its two
// refusals, and its health shape (the server runs with --health-style exec-server).
TEST(ExecServer, ItsRestPathAnswersInItsShapes) {
  CODECANVAS_REQUIRE_ROOT();
  ServerProcess server(SERVER_PATH,
                       {"--slots", "2", "--uid-base", "60860", "--health-style", "exec-server"});
  ASSERT_NE(server.port(), 0) << server.log();
  const int port = server.port();
  using codecanvas::testing::httpCall;
  using nlohmann::json;

  const auto health = httpCall(port, "GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, (json{{"status", "UP"}})) << health.raw;

  // Its keys, in its order, for each language this server offers.
  const std::pair<const char*, const char*> keys[] = {{"python", "python3"},
                                                      {"javascript", "nodejs"},
                                                      {"java", "java"},
                                                      {"cpp", "c++"},
                                                      {"c", "c"},
                                                      {"ruby", "ruby"},
                                                      {"go", "go"},
                                                      {"dart", "dart"},
                                                      {"php", "php"},
                                                      {"rust", "rust"},
                                                      {"csharp", "csharp"},
                                                      {"scala", "scala"},
                                                      {"octave", "octave"},
                                                      {"assembly", "nasm"}};
  const json offered = httpCall(port, "GET", "/api/v1/languages").body["languages"];
  json expected = json::array();
  for (const auto& [key, language] : keys)
    if (std::find(offered.begin(), offered.end(), language) != offered.end())
      expected.push_back(key);
  const auto languages = httpCall(port, "GET", "/languages");
  EXPECT_EQ(languages.status, 200);
  EXPECT_EQ(languages.body, expected) << languages.raw;
  for (const char* key : {"python", "cpp", "c"})
    ASSERT_NE(std::find(expected.begin(), expected.end(), key), expected.end()) << key;

  auto execute = [&](const json& request) {
    return httpCall(port, "POST", "/execute", request.dump());
  };
  const auto hello =
      execute({{"language", "python"}, {"code", "print('Hello', input())"}, {"input", "Ada"}});
  ASSERT_EQ(hello.status, 200) << hello.raw;
  EXPECT_EQ(hello.body["status"], "success");
  EXPECT_EQ(hello.body["output"], "Hello Ada\n");
  EXPECT_EQ(hello.body["exitCode"], 0);
  EXPECT_EQ(hello.body["executionId"].get<std::string>().size(), 36u) << hello.raw;
  EXPECT_EQ(hello.body.size(), 4u) << hello.raw;

  struct Case {
    const char* language;
    const char* code;
    int exit_code;
    const char* output;  // a part of the output
  };
  const Case cases[] = {
      {"cpp", "int main( {", 1, "error"},  // the compiler's message
      {"c", "#include <stdio.h>\nint main(void){puts(\"out\");return 3;}", 3, "out"},
      {"c", "int main(void){volatile int*p=0;return *p;}", 139, ""},  // SIGSEGV
      {"python",
       "import os,sys\nsys.stderr.write('bye\\n')\nsys.stderr.flush()\n"
       "os.kill(os.getpid(), 9)",
       137, "bye"},
  };
  for (const auto& c : cases) {
    const auto r = execute({{"language", c.language}, {"code", c.code}});
    ASSERT_EQ(r.status, 200) << c.code << " " << r.raw;
    EXPECT_EQ(r.body["status"], "error") << c.code;
    EXPECT_EQ(r.body["exitCode"], c.exit_code) << c.code << " " << r.raw;
    EXPECT_NE(r.body["output"].get<std::string>().find(c.output), std::string::npos) << r.raw;
  }

  const auto missing = execute({{"language", "python"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["error"], "Language and code are required") << missing.raw;
  const auto unknown = execute({{"language", "brainfuck"}, {"code", "+"}});
  EXPECT_EQ(unknown.status, 500);
  EXPECT_EQ(unknown.body["error"], "Unsupported language: brainfuck") << unknown.raw;
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

}  // namespace

// The queue-based runner's POST /api over the wire: a run with stdin, a non-zero exit, a
// time limit, a compile error, and its refusals: 400, 405, and 429 when the queue is full
// (one slot, no queue: a second job while one runs; a job right after another may find
// the slot still being wiped, and waits as a client told 429 would).
TEST(QueueRunner, ItsApiAnswersInItsShapes) {
  CODECANVAS_REQUIRE_ROOT();
  ServerProcess server(SERVER_PATH, {"--slots", "1", "--queue", "0", "--uid-base", "60870"});
  ASSERT_NE(server.port(), 0) << server.log();
  const int port = server.port();
  using codecanvas::testing::httpCall;
  using nlohmann::json;
  auto once = [&](const json& request) { return httpCall(port, "POST", "/api", request.dump()); };
  auto run = [&](const json& request) {
    auto a = once(request);
    for (int i = 0; i < 40 && a.status == 429; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      a = once(request);
    }
    return a;
  };

  const auto hello = run(
      {{"language", "python3"}, {"source_code", "print('Hello', input())"}, {"stdin", "Ada\n"}});
  ASSERT_EQ(hello.status, 200) << hello.raw;
  EXPECT_EQ(hello.body.size(), 5u) << hello.raw;
  EXPECT_EQ(hello.body["stdout"], "Hello Ada\n");
  EXPECT_EQ(hello.body["stderr"], "");
  EXPECT_EQ(hello.body["exit_code"], 0);
  EXPECT_EQ(hello.body["timeout"], false);
  EXPECT_TRUE(hello.body["exec_time_ms"].is_number_integer()) << hello.raw;

  const auto exit3 =
      run({{"language", "c"},
           {"source_code", "#include <stdio.h>\nint main(void){puts(\"x\");return 3;}"}});
  EXPECT_EQ(exit3.body["exit_code"], 3) << exit3.raw;
  EXPECT_EQ(exit3.body["stdout"], "x\n");

  const auto compile = run({{"language", "c"}, {"source_code", "int main( {"}});
  ASSERT_EQ(compile.status, 200) << compile.raw;
  EXPECT_NE(compile.body["exit_code"], 0);
  EXPECT_NE(compile.body["stderr"].get<std::string>().find("error"), std::string::npos)
      << compile.raw;

  // A loop: stopped by its time limit while a second job finds the queue full.
  std::thread loop_thread;
  codecanvas::testing::HttpAnswer loop;
  loop_thread = std::thread([&] {
    loop = run({{"language", "python3"}, {"source_code", "while True: pass"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  codecanvas::testing::HttpAnswer busy;
  for (int i = 0; i < 100 && busy.status != 429; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    busy = once({{"language", "python3"}, {"source_code", "print(1)"}});
  }
  loop_thread.join();
  EXPECT_EQ(busy.status, 429) << busy.raw;
  EXPECT_FALSE(busy.retry_after.empty());
  EXPECT_TRUE(busy.body["error"].is_string()) << busy.raw;
  ASSERT_EQ(loop.status, 200) << loop.raw;
  EXPECT_EQ(loop.body["timeout"], true) << loop.raw;
  EXPECT_EQ(loop.body["exit_code"], 137) << loop.raw;

  const auto missing = run({{"language", "python3"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_TRUE(missing.body["error"].is_string()) << missing.raw;
  EXPECT_EQ(run({{"language", "brainfork"}, {"source_code", "+"}}).status, 400);
  EXPECT_EQ(httpCall(port, "GET", "/api").status, 405);
  EXPECT_EQ(server.terminate(), 0) << server.log();
}
