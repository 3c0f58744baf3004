// The real clients of other systems' APIs against a real server: what "compatible" means.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

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

}  // namespace
