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

TEST(ServerConfigTest, TheHealthStyleIsNativeOrExecServer) {
  bool help = false;
  EXPECT_EQ(parseServerConfig({}, help)->health_style, "native");
  EXPECT_EQ(parseServerConfig({"--health-style", "exec-server"}, help)->health_style,
            "exec-server");
  auto bad = parseServerConfig({"--health-style", "UP"}, help);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("native or exec-server"), std::string::npos);
  ServerConfig c;
  ASSERT_TRUE(applyConfigJson(R"({"health_style": "exec-server"})", "f", c));
  EXPECT_EQ(c.health_style, "exec-server");
}

TEST(ServerConfigTest, LiveSessionLimits) {
  bool help = false;
  auto d = parseServerConfig({}, help);
  EXPECT_EQ(d->max_sessions, 0u);  // one per slot
  EXPECT_EQ(d->session_idle_seconds, 60u);
  auto c = parseServerConfig({"--max-sessions", "40", "--session-idle-s", "300"}, help);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->max_sessions, 40u);
  EXPECT_EQ(c->session_idle_seconds, 300u);
  ServerConfig f;
  ASSERT_TRUE(applyConfigJson(R"({"max_sessions": 8, "session_idle_s": 20})", "f", f));
  EXPECT_EQ(f.max_sessions, 8u);
  EXPECT_EQ(f.session_idle_seconds, 20u);
  auto bad = parseServerConfig({"--session-idle-s", "0"}, help);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("--session-idle-s"), std::string::npos);
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

TEST(ServerConfigTest, AllowedOriginsAndHostsFromFileAndFlags) {
  bool help = false;
  auto none = parseServerConfig({}, help);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->allowed_origins.empty());
  EXPECT_TRUE(none->allowed_hosts.empty());

  ServerConfig c;
  ASSERT_TRUE(applyConfigJson(
      R"({"allowed_origins": ["https://Judge.example.org/", "http://localhost:8080"],
          "allowed_hosts": ["Judge.example.org", "[2001:db8::1]"]})",
      "f", c));
  EXPECT_EQ(c.allowed_origins,
            (std::vector<std::string>{"https://judge.example.org", "http://localhost:8080"}));
  EXPECT_EQ(c.allowed_hosts, (std::vector<std::string>{"judge.example.org", "[2001:db8::1]"}));

  auto flags = parseServerConfig({"--allow-origin", "https://a.example:443", "--allow-origin",
                                  "http://b.example", "--allow-host", "a.example"},
                                 help);
  ASSERT_TRUE(flags) << flags.error().message;
  // The default port is left out, as browsers leave it out of Origin.
  EXPECT_EQ(flags->allowed_origins,
            (std::vector<std::string>{"https://a.example", "http://b.example"}));
  EXPECT_EQ(flags->allowed_hosts, (std::vector<std::string>{"a.example"}));

  struct Case {
    std::string json;
    const char* expect;
  } bad[] = {
      {R"({"allowed_origins": "https://a.example"})", "must be a list of strings"},
      {R"({"allowed_origins": [3]})", "must be a list of strings"},
      {R"({"allowed_origins": ["a.example"]})", "scheme://host"},
      {R"({"allowed_origins": ["https://a.example/path"]})", "no path"},
      {R"({"allowed_origins": ["ftp://a.example"]})", "scheme://host"},
      {R"({"allowed_hosts": ["a.example:8080"]})", "without scheme or port"},
      {R"({"allowed_hosts": ["https://a.example"]})", "without scheme or port"},
      {R"({"allowed_hosts": [""]})", "not a host name"},
  };
  for (const auto& b : bad) {
    ServerConfig d;
    auto s = applyConfigJson(b.json, "f", d);
    ASSERT_FALSE(s) << b.json;
    EXPECT_NE(s.error().message.find(b.expect), std::string::npos) << s.error().message;
  }
  auto bad_flag = parseServerConfig({"--allow-host", "a b"}, help);
  ASSERT_FALSE(bad_flag);
  EXPECT_NE(bad_flag.error().message.find("--allow-host"), std::string::npos);
}

}  // namespace
}  // namespace codecanvas::http
