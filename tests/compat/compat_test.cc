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
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  const auto [status, output] = codecanvas::testing::runShell(
      "cd " + quote(kCompatDir) + " && node piston_client_test.mjs " + quote(url) + " 2>&1");
  std::cout << output;
  EXPECT_EQ(status, 0) << output << "\nserver log:\n" << server.log();
  EXPECT_NE(output.find("ok an unknown language"), std::string::npos)
      << "the script ran to its end";
  EXPECT_EQ(output.find("FAIL"), std::string::npos) << output;
}

}  // namespace
