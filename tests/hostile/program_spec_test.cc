// The header format of the hostile programs and the checks built on it: no server needed.
#include <gtest/gtest.h>

#include "program_spec.h"

namespace codecanvas::hostile {
namespace {

using nlohmann::json;

TEST(ProgramSpecTest, ReadsEveryDirectiveOfTheHeader) {
  const std::string source =
      "// What it does.\n"
      "// limits: cpu_ms=1000 wall_ms=3000 memory_kb=65536\n"
      "// args: {server_pid} plain\n"
      "// stdin: a\\tb\\n\n"
      "// request: encoding=base64\n"
      "// expect: stdout-contains=x\\0y\n"
      "// expect: status=time_limit\n"
      "// expect: time_ms>=1000\n"
      "int main() {}\n"
      "// expect: status=ok\n";  // below the header: not a directive
  ParseResult r = parseProgramSpec("/some/dir/fork_bomb.c", source);
  ASSERT_TRUE(r.spec) << r.error;
  EXPECT_EQ(r.spec->name, "fork_bomb");
  EXPECT_EQ(r.spec->language, "c");
  EXPECT_EQ(r.spec->limits, json({{"cpu_ms", 1000}, {"wall_ms", 3000}, {"memory_kb", 65536}}));
  EXPECT_EQ(r.spec->args, (std::vector<std::string>{"{server_pid}", "plain"}));
  EXPECT_EQ(r.spec->stdin_data, "a\tb\n");
  EXPECT_EQ(r.spec->encoding, "base64");
  ASSERT_EQ(r.spec->expectations.size(), 3u);
  EXPECT_EQ(r.spec->expectations[0].key, "status");  // the status comes first
  EXPECT_EQ(r.spec->expectations[2].op, ">=");
  json request = buildRequest(*r.spec, {{"server_pid", "42"}});
  EXPECT_EQ(request["args"], json({"42", "plain"}));
  EXPECT_EQ(request["language"], "c");
}

TEST(ProgramSpecTest, RefusesAProgramThatSaysNothingOfItsEnd) {
  ParseResult none = parseProgramSpec("quiet.py", "# just a comment\nprint(1)\n");
  EXPECT_FALSE(none.spec);
  EXPECT_NE(none.error.find("no \"expect: status=...\""), std::string::npos) << none.error;
  EXPECT_FALSE(parseProgramSpec("two.sh", "# expect: status=ok\n# expect: status=ok\n").spec);
  EXPECT_FALSE(parseProgramSpec("typo.sh", "# expect: status=okay\n").spec);
  EXPECT_FALSE(parseProgramSpec("key.sh", "# expect: status=ok\n# expect: stdout-has=x\n").spec);
  EXPECT_FALSE(
      parseProgramSpec("escape.sh", "# expect: status=ok\n# expect: stdout-equals=\\q\n").spec);
  EXPECT_FALSE(parseProgramSpec("limit.sh", "# limits: cpu_ms=-5\n# expect: status=ok\n").spec);
  EXPECT_FALSE(parseProgramSpec("x.rb", "# expect: status=ok\n").spec);
}

TEST(ProgramSpecTest, ChecksFindEveryMismatch) {
  const std::string source =
      "# expect: status=runtime_error\n"
      "# expect: signal=SIGSEGV\n"
      "# expect: exit_code=null\n"
      "# expect: wall_ms<=100\n"
      "# expect: stdout-contains=a\\xffb\\n\n"
      "# expect: stdout-line=pid ([0-9]+) of \\1\n"
      "# expect: stdout-no-line=.*{secret}.*\n"
      "# expect: stderr-bytes=3\n"
      "# expect: stdout_truncated=false\n";
  ParseResult r = parseProgramSpec("p.sh", source);
  ASSERT_TRUE(r.spec) << r.error;
  const Placeholders ph = {{"secret", "s.c"}};
  json good = {{"status", "runtime_error"},
               {"signal", 11},
               {"exit_code", nullptr},
               {"wall_ms", 99.5},
               {"stdout_truncated", false}};
  const std::string out =
      "a\xff"
      "b\npid 7 of 7\n";
  EXPECT_EQ(checkExpectations(*r.spec, good, out, "err", ph), std::vector<std::string>{});
  // The placeholder matches literally: "sxc" is not "s.c".
  EXPECT_EQ(checkExpectations(*r.spec, good, out + "the sxc\n", "err", ph).size(), 0u);
  EXPECT_EQ(checkExpectations(*r.spec, good, out + "the s.c\n", "err", ph).size(), 1u);
  // The back reference must hold: 7 is not 8.
  EXPECT_EQ(checkExpectations(*r.spec, good,
                              "a\xff"
                              "b\npid 7 of 8\n",
                              "err", ph)
                .size(),
            1u);
  // Every expectation fails: status, signal, exit_code, wall_ms, contains, line, no-line,
  // bytes, truncated.
  json bad = {{"status", "ok"},
              {"signal", 6},
              {"exit_code", 0},
              {"wall_ms", 101},
              {"stdout_truncated", true}};
  EXPECT_EQ(checkExpectations(*r.spec, bad, "pid 7 of 8\nthe s.c\n", "e", ph).size(), 9u);
}

TEST(ProgramSpecTest, HostFeaturesChooseBetweenTwoOutcomes) {
  const std::string source =
      "// expect if i386_entry: status=syscall_blocked\n"
      "// expect if i386_entry: signal=SIGSYS\n"
      "// expect unless i386_entry: status=runtime_error\n"
      "// expect unless i386_entry: signal=SIGSEGV\n"
      "// expect: stdout-equals=x\n"
      "int main() {}\n";
  ParseResult r = parseProgramSpec("abi.c", source);
  ASSERT_TRUE(r.spec) << r.error;
  const json blocked = {{"status", "syscall_blocked"}, {"signal", 31}};
  const json faulted = {{"status", "runtime_error"}, {"signal", 11}};
  EXPECT_EQ(checkExpectations(*r.spec, blocked, "x", "", {}, {{"i386_entry", true}}).size(), 0u);
  EXPECT_EQ(checkExpectations(*r.spec, faulted, "x", "", {}, {{"i386_entry", false}}).size(), 0u);
  // The wrong outcome for the host fails both of its lines; so does the other output.
  EXPECT_EQ(checkExpectations(*r.spec, faulted, "x", "", {}, {{"i386_entry", true}}).size(), 2u);
  EXPECT_EQ(checkExpectations(*r.spec, blocked, "y", "", {}, {{"i386_entry", false}}).size(), 3u);
  // A feature the test did not probe never passes silently.
  EXPECT_EQ(checkExpectations(*r.spec, blocked, "x", "", {}, {}).size(), 4u);

  // Exactly one status on every host, and only features the test knows how to probe.
  EXPECT_FALSE(parseProgramSpec("half.c", "// expect if i386_entry: status=ok\n").spec);
  EXPECT_FALSE(parseProgramSpec("both.c",
                                "// expect: status=ok\n"
                                "// expect unless i386_entry: status=runtime_error\n")
                   .spec);
  EXPECT_FALSE(parseProgramSpec("what.c",
                                "// expect if fpu: status=ok\n"
                                "// expect unless fpu: status=runtime_error\n")
                   .spec);
}

TEST(ProgramSpecTest, DecodesBase64) {
  EXPECT_EQ(decodeBase64("AP8K"), std::string("\0\xff\n", 3));
  EXPECT_EQ(decodeBase64("YQ=="), "a");
  EXPECT_EQ(decodeBase64("YWI="), "ab");
  EXPECT_EQ(decodeBase64(""), "");
  EXPECT_FALSE(decodeBase64("YQ="));
  EXPECT_FALSE(decodeBase64("Y=Q="));
  EXPECT_FALSE(decodeBase64("YQ!="));
}

}  // namespace
}  // namespace codecanvas::hostile
