#include "server_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace codecanvas::http {
namespace {

TEST(ServerConfigTest, DefaultsWorkOutOfTheBox) {
  bool help = true;
  auto c = parseServerConfig({}, help);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(help);
  EXPECT_EQ(c->port, 10100);
  EXPECT_EQ(c->bind, "127.0.0.1");
  EXPECT_EQ(c->queue_capacity, 64u);
}

TEST(ServerConfigTest, FlagsOverrideTheConfigFile) {
  const std::string path = "/tmp/codecanvas-config-test-" + std::to_string(::getpid()) + ".json";
  std::ofstream(path) << R"({"port": 9000, "slots": 3, "bind": "0.0.0.0", "max_cpu_ms": 1234,
                             // comments are allowed
                             "max_body_kb": 10})";
  bool help = false;
  auto c = parseServerConfig({"--port", "9001", "--config", path, "--queue", "5"}, help);
  std::remove(path.c_str());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->port, 9001);
  EXPECT_EQ(c->slots, 3u);
  EXPECT_EQ(c->bind, "0.0.0.0");
  EXPECT_EQ(c->queue_capacity, 5u);
  EXPECT_EQ(c->max_limits.cpu_ms, 1234u);
  EXPECT_EQ(c->input.max_body_bytes, 10u * 1024);
  EXPECT_EQ(c->config_path, path);
}

TEST(ServerConfigTest, TheWebPageDirectoryFromFileOrFlag) {
  bool help = false;
  EXPECT_EQ(parseServerConfig({}, help)->web_dir, "");  // empty: DATA_DIR/web/dist
  EXPECT_EQ(parseServerConfig({"--web-dir", "none"}, help)->web_dir, "none");
  ServerConfig c;
  ASSERT_TRUE(applyConfigJson(R"({"web_dir": "/srv/page"})", "f", c));
  EXPECT_EQ(c.web_dir, "/srv/page");
  auto bad = applyConfigJson(R"({"web_dir": 3})", "f", c);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"web_dir\" must be a string"), std::string::npos);
}

TEST(ServerConfigTest, MistakesAreNamed) {
  bool help = false;
  struct Case {
    std::vector<std::string> args;
    const char* expect;
  } cases[] = {
      {{"--port", "70000"}, "--port"},
      {{"--port", "12x"}, "--port"},
      {{"--slots"}, "missing value"},
      {{"--frobnicate", "1"}, "unknown option"},
      {{"--config", "/nonexistent/codecanvas.json"}, "/nonexistent/codecanvas.json"},
      {{"--bind", ""}, "--bind"},
  };
  for (const auto& k : cases) {
    auto c = parseServerConfig(k.args, help);
    ASSERT_FALSE(c) << k.args[0];
    EXPECT_NE(c.error().message.find(k.expect), std::string::npos) << c.error().message;
  }
  ServerConfig config;
  auto s = applyConfigJson(R"({"prot": 1})", "f.json", config);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("unknown setting \"prot\""), std::string::npos);
  s = applyConfigJson(R"({"port": "80"})", "f.json", config);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("whole number"), std::string::npos);
}

TEST(ServerConfigTest, HelpIsRecognised) {
  bool help = false;
  auto c = parseServerConfig({"--help"}, help);
  ASSERT_TRUE(c);
  EXPECT_TRUE(help);
  EXPECT_NE(std::string(kServerUsage).find("--bind"), std::string::npos);
}

}  // namespace
}  // namespace codecanvas::http
