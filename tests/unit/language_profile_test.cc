#include "jobs/language_profile.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace codecanvas::jobs {
using namespace codecanvas::sandbox;
namespace {

const char* kValid = R"({
  "name": "C++", "aliases": ["CPP", "cxx"], "source_file": "main.cpp",
  "version": ["g++", "--version"],
  "compile": {"argv": ["g++", "-o", "main", "main.cpp"], "artifacts": ["main"],
              "limits": {"cpu_ms": 9000, "memory_kb": 524288}},
  "run": ["./main"], "env": ["A=b"],
  "limits": {"default": {"cpu_ms": 1000}, "max": {"cpu_ms": 5000, "processes": 128}},
  "sample": "int main() {}", "packages": ["g++"],
  "tests": {"compile_error": "int main(", "runtime_error": "int main() { return 3; }"}
})";

// The fields every profile needs besides its own, for the registry's files.
const char* kRequired = R"j("sample":"s","tests":{"compile_error":"e","runtime_error":"r"},)j";

TEST(LanguageProfileTest, ParsesEveryField) {
  auto p = parseLanguageProfile(kValid, "cpp.json");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->name, "c++");  // names are case-insensitive, kept in lower case
  EXPECT_EQ(p->aliases, (std::vector<std::string>{"cpp", "cxx"}));
  EXPECT_EQ(p->source_file, "main.cpp");
  ASSERT_TRUE(p->compile);
  EXPECT_EQ(p->compile->artifacts, std::vector<std::string>{"main"});
  EXPECT_EQ(p->compile->limits.cpu_ms, 9000u);
  EXPECT_EQ(p->compile->limits.memory_kb, 524288u);
  EXPECT_EQ(p->run_argv, std::vector<std::string>{"./main"});
  EXPECT_EQ(p->default_limits.cpu_ms, 1000u);
  EXPECT_EQ(p->max_limits.cpu_ms, 5000u);
  EXPECT_EQ(p->max_limits.processes, 128u);
  // A maximum the profile does not name is the default.
  EXPECT_EQ(p->max_limits.memory_kb, p->default_limits.memory_kb);
  EXPECT_EQ(p->seccomp, "default");
  EXPECT_EQ(p->packages, std::vector<std::string>{"g++"});
  EXPECT_EQ(p->tests.compile_error, "int main(");
  EXPECT_EQ(p->tests.runtime_error, "int main() { return 3; }");
}

TEST(LanguageProfileTest, RefusesBrokenProfilesWithTheFieldNamed) {
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {"not json", "not valid JSON"},
      {"[]", "JSON object"},
      {R"({"source_file":"a","version":["x"],"run":["x"],"limits":{"default":{},"max":{}}})",
       "\"name\""},
      {R"({"name":"x","source_file":"a/b","version":["x"],"run":["x"],"limits":{"default":{},"max":{}}})",
       "source_file"},
      {R"({"name":"x","source_file":"a","version":["x"],"run":[],"limits":{"default":{},"max":{}}})",
       "\"run\""},
      {R"({"name":"x","source_file":"a","version":["x"],"run":["x"]})", "limits"},
      {R"({"name":"x","source_file":"a","version":["x"],"run":["x"],"limits":{"default":{"cpu_ms":-1},"max":{}}})",
       "limits.default.cpu_ms"},
      {R"({"name":"x","source_file":"a","version":["x"],"run":["x"],"limits":{"default":{"cpu_ms":10},"max":{"cpu_ms":5}}})",
       "above its maximum"},
      {R"({"name":"x","source_file":"a","version":["x"],"run":["x"],"limits":{"default":{"bogus":1},"max":{}}})",
       "unknown limit"},
      {R"({"name":"x","source_file":"a","version":["x"],"run":["x"],"env":["NOEQUALS"],"limits":{"default":{},"max":{}}})",
       "NAME=value"},
      {R"({"name":"x","source_file":"a","version":["x"],"run":["x"],"compile":{"argv":["cc"]},"limits":{"default":{},"max":{}}})",
       "artifacts"},
      {R"({"name":"x","source_file":"a","version":["x"],"run":["x"],"seccomp":"../etc","limits":{"default":{},"max":{}}})",
       "seccomp"},
      {R"j({"name":"x","source_file":"a","version":["x"],"run":["x"],"limits":{"default":{},"max":{}},"tests":{"compile_error":"a","runtime_error":"b"}})j",
       "\"sample\""},
      {R"j({"name":"x","source_file":"a","version":["x"],"run":["x"],"limits":{"default":{},"max":{}},"sample":"s"})j",
       "\"tests\" must be an object"},
      {R"j({"name":"x","source_file":"a","version":["x"],"run":["x"],"limits":{"default":{},"max":{}},"sample":"s","tests":{"compile_error":"a"}})j",
       "both \"compile_error\" and \"runtime_error\""},
      {R"j({"name":"x","source_file":"a","version":["x"],"run":["x"],"limits":{"default":{},"max":{}},"sample":"s","tests":{"compile_error":"a","runtime_error":"b","hello":"c"}})j",
       "unknown program \"hello\""},
      {R"j({"name":"x","source_file":"a","version":["x"],"run":["x"],"limits":{"default":{},"max":{}},"sample":"s","packages":[""],"tests":{"compile_error":"a","runtime_error":"b"}})j",
       "\"packages\""},
  };
  for (const auto& c : cases) {
    auto p = parseLanguageProfile(c.json, "x.json");
    ASSERT_FALSE(p) << c.json;
    EXPECT_NE(p.error().message.find(c.expect), std::string::npos) << p.error().message;
    EXPECT_EQ(p.error().message.rfind("x.json", 0), 0u) << "errors name the file";
  }
}

TEST(LanguageProfileTest, ExtractsVersionNumbers) {
  EXPECT_EQ(extractVersion("gcc (Debian 12.2.0-14) 12.2.0\nCopyright"), "12.2.0");
  EXPECT_EQ(extractVersion("v20.20.2\n"), "20.20.2");
  EXPECT_EQ(extractVersion("go version go1.19.8 linux/amd64"), "1.19.8");
  EXPECT_EQ(extractVersion("javac 17.0.15"), "17.0.15");
  EXPECT_EQ(extractVersion("Python 3.11.2"), "3.11.2");
  EXPECT_EQ(extractVersion("GNU bash, version 5.2.15(1)-release"), "5.2.15");
  EXPECT_EQ(extractVersion("no digits here"), "");
  EXPECT_EQ(extractVersion("version 7"), "");
}

TEST(LanguageProfileTest, ProbesARealToolAndReportsAMissingOne) {
  auto sh = probeToolVersion({"bash", "--version"}, {});
  ASSERT_TRUE(sh) << sh.error().message;
  EXPECT_FALSE(sh->empty());
  auto missing = probeToolVersion({"codecanvas-no-such-tool", "--version"}, {});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("not installed"), std::string::npos);
  auto silent = probeToolVersion({"true"}, {});
  ASSERT_FALSE(silent);
  EXPECT_NE(silent.error().message.find("no version"), std::string::npos);
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("codecanvas-langs-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(RegistryTest, SkipsBrokenProfilesAndMissingToolchainsWithAReason) {
  write("a.json", kValid);
  write("b.json", "{ broken");
  write("c.json", std::string("{") + kRequired +
                      R"("name":"ghost","source_file":"g","version":["ghostc","-v"],"run":["g"],
                      "limits":{"default":{},"max":{}}})");
  write("d.json",
        std::string("{") + kRequired +
            R"("name":"dup","aliases":["cxx"],"source_file":"d","version":["g++"],"run":["d"],
                      "limits":{"default":{},"max":{}}})");
  write("notes.txt", "not a profile");
  auto probe = [](const std::vector<std::string>& argv,
                  const std::vector<std::string>&) -> Result<std::string> {
    if (argv.front() == "ghostc") return Error{"ghostc is not installed", ENOENT};
    return std::string("1.2.3");
  };
  auto reg = LanguageRegistry::load(dir_.string(), probe);
  ASSERT_TRUE(reg) << reg.error().message;
  ASSERT_EQ(reg->all().size(), 1u);
  EXPECT_EQ(reg->all()[0].version, "1.2.3");
  ASSERT_EQ(reg->problems().size(), 3u);
  EXPECT_NE(reg->problems()[0].find("b.json"), std::string::npos);
  EXPECT_NE(reg->problems()[1].find("ghost"), std::string::npos);
  EXPECT_NE(reg->problems()[2].find("already used"), std::string::npos);
  EXPECT_EQ(reg->find("CPP"), &reg->all()[0]);
  EXPECT_EQ(reg->find("c++"), &reg->all()[0]);
  EXPECT_EQ(reg->find("rust"), nullptr);
}

TEST_F(RegistryTest, AMissingDirectoryIsAnError) {
  auto reg = LanguageRegistry::load((dir_ / "nope").string());
  ASSERT_FALSE(reg);
  EXPECT_NE(reg.error().message.find("nope"), std::string::npos);
}

// The profiles codecanvas ships: every one parses, and the original API's names and the
// contract's aliases resolve.
TEST(ShippedProfilesTest, AllParseAndTheContractNamesResolve) {
  auto probe = [](const std::vector<std::string>&,
                  const std::vector<std::string>&) -> Result<std::string> {
    return std::string("0.0.0");
  };
  auto reg =
      LanguageRegistry::load(std::string(CODECANVAS_DATA_DIR) + "/profiles/languages", probe);
  ASSERT_TRUE(reg) << reg.error().message;
  EXPECT_TRUE(reg->problems().empty()) << reg->problems().front();
  for (const char* name :
       {"bash", "c", "c++", "python3", "nodejs", "java", "go", "py", "python", "cpp", "js", "node"})
    EXPECT_NE(reg->find(name), nullptr) << name;
  EXPECT_EQ(reg->find("py")->name, "python3");
  EXPECT_EQ(reg->find("js")->name, "nodejs");
  EXPECT_GE(reg->all().size(), 40u);
  // docs/languages.md lists every shipped language in its table.
  std::ifstream doc(std::string(CODECANVAS_DATA_DIR) + "/docs/languages.md");
  const std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  for (const auto& l : reg->all()) {
    EXPECT_FALSE(l.packages.empty()) << l.name << " names no Debian package to install";
    EXPECT_NE(text.find("| `" + l.name + "` |"), std::string::npos)
        << l.name << " is missing from docs/languages.md";
  }
}

}  // namespace
}  // namespace codecanvas::jobs
