// Every language profile, proven end to end over real HTTP. The cases are generated from
// profiles/languages/*.json, so a new profile is covered without writing a test: its sample
// greets "world" on an empty line and the name it reads otherwise, its
// tests.compile_error fails (compile_error, or runtime_error with the interpreter's
// message for an interpreted language), its tests.runtime_error ends non-zero, and
// /api/v1/runtimes reports the version its toolchain printed. Needs root and the
// toolchains scripts/setup.sh installs. A language the server does not offer is skipped
// with the server's reason, except under CI=true, where setup installs every toolchain and
// a missing one is a failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "http_client.h"
#include "server_process.h"
#include "test_support.h"

namespace codecanvas {
namespace {

using nlohmann::json;
using testing::HttpAnswer;
using testing::ServerProcess;
namespace fs = std::filesystem;

const fs::path kProfiles = fs::path(CODECANVAS_DATA_DIR) / "profiles" / "languages";

// The profile files, read once when the test program starts (the parameter list).
std::vector<std::string> profileFiles() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(kProfiles))
    if (e.path().extension() == ".json") files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

json readProfile(const std::string& file) {
  std::ifstream in(kProfiles / file);
  return json::parse(in, nullptr, false);
}

// One server for the whole program, its languages and runtimes asked once.
struct Server {
  std::unique_ptr<ServerProcess> process;
  std::map<std::string, json> runtimes;  // by language name
};

Server& server() {
  static Server s = [] {
    Server s;
    if (::geteuid() != 0) return s;
    s.process = std::make_unique<ServerProcess>(
        SERVER_PATH, std::vector<std::string>{"--slots", "2", "--uid-base", "60700"});
    if (s.process->port() == 0) return s;
    HttpAnswer r = testing::httpCall(s.process->port(), "GET", "/api/v1/runtimes");
    if (r.status == 200 && r.body.is_array())
      for (const auto& rt : r.body) s.runtimes[rt["language"]] = rt;
    return s;
  }();
  return s;
}

class StopServer : public ::testing::Environment {
 public:
  void TearDown() override {
    if (auto& p = server().process) {
      EXPECT_EQ(p->terminate(), 0) << p->log();
      p.reset();
    }
  }
};
const auto* const kStop = ::testing::AddGlobalTestEnvironment(new StopServer);

// The server's start-up line about a language it left out.
std::string whyNotOffered(const std::string& name, const std::string& file) {
  std::string why;
  std::istringstream log(server().process->log());
  for (std::string line; std::getline(log, line);)
    if (line.find("/" + file) != std::string::npos || line.find(name + " (") != std::string::npos)
      why += line + "\n";
  return why.empty() ? "(the log does not say)" : why;
}

class LanguageProfileTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    profile_ = readProfile(GetParam());
    ASSERT_TRUE(profile_.is_object()) << GetParam() << " is not JSON";
    name_ = profile_["name"].get<std::string>();
    ASSERT_NE(server().process, nullptr);
    ASSERT_GT(server().process->port(), 0) << server().process->log();
    if (!server().runtimes.count(name_)) {
      const std::string why = name_ + " is not offered: " + whyNotOffered(name_, GetParam());
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true")
        FAIL() << why << "(scripts/setup.sh installs every profile's packages)";
      GTEST_SKIP() << why;
    }
  }
  json run(const std::string& source, const std::string& stdin_data) {
    json req = {{"language", name_}, {"source", source}, {"stdin", stdin_data}};
    HttpAnswer a = testing::httpCall(server().process->port(), "POST", "/api/v1/run", req.dump());
    EXPECT_EQ(a.status, 200) << a.raw;
    return a.body;
  }
  bool compiled() const { return !profile_["compile"].is_null() && profile_.contains("compile"); }
  json profile_;
  std::string name_;
};

TEST_P(LanguageProfileTest, TheSampleGreetsTheWorldOnAnEmptyLine) {
  json r = run(profile_["sample"], "\n");
  EXPECT_EQ(r["status"], "ok") << r.dump(1);
  EXPECT_NE(r["stdout"].get<std::string>().find("Hello, world!"), std::string::npos) << r.dump(1);
}

TEST_P(LanguageProfileTest, TheSampleEchoesTheNameItReads) {
  json r = run(profile_["sample"], "Ada\n");
  EXPECT_EQ(r["status"], "ok") << r.dump(1);
  EXPECT_NE(r["stdout"].get<std::string>().find("Hello, Ada!"), std::string::npos) << r.dump(1);
}

TEST_P(LanguageProfileTest, ACompileErrorIsReportedWithItsMessage) {
  json r = run(profile_["tests"]["compile_error"], "");
  if (compiled()) {
    EXPECT_EQ(r["status"], "compile_error") << r.dump(1);
    EXPECT_EQ(r["compile"]["status"], "compile_error") << r.dump(1);
    EXPECT_TRUE(r["exit_code"].is_null()) << "the program must not run";
  } else {
    EXPECT_EQ(r["status"], "runtime_error") << r.dump(1);
  }
  // The toolchain's message is in stderr, whichever stream the compiler wrote it to.
  EXPECT_FALSE(r["stderr"].get<std::string>().empty()) << "the toolchain's message: " << r.dump(1);
}

TEST_P(LanguageProfileTest, ARuntimeErrorEndsNonZero) {
  json r = run(profile_["tests"]["runtime_error"], "");
  EXPECT_EQ(r["status"], "runtime_error") << r.dump(1);
  if (compiled()) {
    EXPECT_EQ(r["compile"]["status"], "ok") << r.dump(1);
  }
  EXPECT_TRUE((r["exit_code"].is_number() && r["exit_code"] != 0) || !r["signal"].is_null())
      << r.dump(1);
}

TEST_P(LanguageProfileTest, TheRuntimesListTheToolchainsVersion) {
  const json& rt = server().runtimes.at(name_);
  const std::string version = rt["version"];
  EXPECT_TRUE(std::regex_match(version, std::regex(R"(\d+\.\d+(\.\d+)*)"))) << version;
  EXPECT_EQ(rt["compiled"], compiled());
}

std::string testName(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param.substr(0, info.param.size() - 5);  // without ".json"
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Profiles, LanguageProfileTest, ::testing::ValuesIn(profileFiles()),
                         testName);

}  // namespace
}  // namespace codecanvas
