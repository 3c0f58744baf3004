// The web page end to end: its files over real HTTP (content types, caching, 304, gzip),
// and the page itself in headless Chromium against a real server (page_test.mjs).
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "../integration/http_client.h"
#include "../integration/server_process.h"
#include "../integration/test_support.h"

namespace {

using codecanvas::testing::ServerProcess;
namespace fs = std::filesystem;

const std::string kWebDir = WEB_DIR;          // web/ in the source tree
const std::string kDist = kWebDir + "/dist";  // what scripts/setup.sh builds

std::string chromium() {
  const char* env = std::getenv("CHROMIUM");
  return env != nullptr ? env : "/usr/bin/chromium";
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// What the headless-Chromium tests need and this machine lacks ("" when nothing).
std::string missingForBrowserTests() {
  if (!fs::exists(kDist + "/index.html"))
    return "the web page is not built (" + kDist + "); scripts/setup.sh builds it";
  if (!fs::exists(chromium()))
    return "no Chromium at " + chromium() + " (Debian package chromium, or set CHROMIUM)";
  if (!fs::exists(kWebDir + "/node_modules/playwright-core/package.json"))
    return "playwright-core is not installed in web/node_modules (scripts/setup.sh)";
  if (codecanvas::testing::runShell("node --version").exit_code != 0) return "no node on PATH";
  return "";
}

TEST(WebPage, FilesOverHttpCarryTypesAndCachingHeaders) {
  CODECANVAS_REQUIRE_ROOT();
  CODECANVAS_REQUIRE(fs::exists(kDist + "/index.html"),
                     "the web page is not built (" + kDist + "); scripts/setup.sh builds it");
  ServerProcess server(SERVER_PATH, {"--slots", "1", "--uid-base", "60810", "--web-dir", kDist});
  ASSERT_NE(server.port(), 0) << server.log();
  httplib::Client client("127.0.0.1", server.port());

  auto page = client.Get("/");
  ASSERT_TRUE(page) << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-cache");
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
  const std::string etag = page->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());

  // Revalidation: the same ETag answers 304 without a body.
  auto again = client.Get("/", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());

  // Every asset the page names exists, with its type and a year of caching.
  static const std::regex kAsset(R"re((/assets/[A-Za-z0-9._-]+))re");
  int assets = 0;
  for (std::sregex_iterator it(page->body.begin(), page->body.end(), kAsset), end; it != end;
       ++it, ++assets) {
    const std::string path = (*it)[1];
    auto a = client.Get(path);
    ASSERT_TRUE(a) << path;
    EXPECT_EQ(a->status, 200) << path;
    EXPECT_EQ(a->get_header_value("Cache-Control"), "public, max-age=31536000, immutable") << path;
    const std::string type = a->get_header_value("Content-Type");
    EXPECT_EQ(type,
              path.ends_with(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8")
        << path;
    EXPECT_FALSE(a->body.empty()) << path;
  }
  EXPECT_EQ(assets, 2) << "index.html should name the script and the style sheet:\n" << page->body;

  // HEAD: the headers without the body; other methods: 405 naming the allowed ones.
  auto head = client.Head("/");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  auto post = client.Post("/", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto missing = client.Get("/assets/nothing-here.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

TEST(WebPage, ServerWithoutPageSaysWhyAtRoot) {
  CODECANVAS_REQUIRE_ROOT();
  ServerProcess server(SERVER_PATH,
                       {"--slots", "1", "--uid-base", "60810", "--web-dir", "/nonexistent/web"});
  ASSERT_NE(server.port(), 0) << server.log();
  EXPECT_NE(server.log().find("no web page at /"), std::string::npos) << server.log();
  httplib::Client client("127.0.0.1", server.port());
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 404);
  EXPECT_NE(page->body.find("the web page is not built"), std::string::npos) << page->body;
  // The API works all the same.
  auto run =
      client.Post("/api/v1/run", R"({"language":"bash","source":"echo fine"})", "application/json");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, 200);
  EXPECT_NE(run->body.find("fine"), std::string::npos) << run->body;
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

TEST(WebPage, HeadlessChromiumRunsPythonAndShowsCompileErrors) {
  CODECANVAS_REQUIRE_ROOT();
  const std::string missing = missingForBrowserTests();
  CODECANVAS_REQUIRE(missing.empty(), missing);

  // One slot, no queue and a 4 KiB source limit: the page test provokes a real 503 and a
  // real 400, then stops the server to see the "unreachable" message.
  ServerProcess server(SERVER_PATH, {"--slots", "1", "--queue", "0", "--max-source-kb", "4",
                                     "--uid-base", "60800", "--web-dir", kDist});
  ASSERT_NE(server.port(), 0) << server.log();
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  const auto [status, output] = codecanvas::testing::runShell(
      "node " + quote(std::string(TESTS_DIR) + "/page_test.mjs") + " " + quote(url) + " " +
      quote(kWebDir) + " " + quote(SHOT_DIR) + " " + std::to_string(server.pid()));
  std::printf("%s", output.c_str());
  EXPECT_EQ(status, 0) << output << "\nserver log:\n" << server.log();
  EXPECT_NE(output.find("web page: all checks passed"), std::string::npos);
  for (const char* shot : {"web-python.png", "web-compile-error.png", "web-narrow.png"})
    EXPECT_TRUE(fs::exists(std::string(SHOT_DIR) + "/" + shot)) << shot;
  // The page test stopped the server with SIGTERM: it must have exited cleanly.
  EXPECT_EQ(server.waitExit(std::chrono::seconds(60)), 0) << server.log();
}

// A server with API keys: the page asks for one and works once it has it (key_test.mjs).
TEST(WebPage, HeadlessChromiumAsksForTheKeyOfAKeyedServer) {
  CODECANVAS_REQUIRE_ROOT();
  const std::string missing = missingForBrowserTests();
  CODECANVAS_REQUIRE(missing.empty(), missing);
  const std::string key = "page-key-0123456789abcdef";
  const fs::path config =
      fs::temp_directory_path() / ("codecanvas-web-keys-" + std::to_string(::getpid()) + ".json");
  { std::ofstream(config) << R"({"api_keys": [{"name": "page", "key": ")" << key << R"("}]})"; }
  ServerProcess server(SERVER_PATH, {"--slots", "1", "--uid-base", "60820", "--web-dir", kDist,
                                     "--config", config.string()});
  fs::remove(config);
  ASSERT_NE(server.port(), 0) << server.log();
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  const auto [status, output] = codecanvas::testing::runShell(
      "node " + quote(std::string(TESTS_DIR) + "/key_test.mjs") + " " + quote(url) + " " +
      quote(kWebDir) + " " + quote(SHOT_DIR) + " " + quote(key));
  std::printf("%s", output.c_str());
  EXPECT_EQ(status, 0) << output << "\nserver log:\n" << server.log();
  EXPECT_NE(output.find("web page with keys: all checks passed"), std::string::npos);
  EXPECT_TRUE(fs::exists(std::string(SHOT_DIR) + "/web-key-needed.png"));
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

}  // namespace
