// The worker mode's wire format (broker/job_wire.h): a job and a reply come back as they
// went, byte strings byte for byte, and a malformed or foreign message is an error that
// says what, never a crash.
#include "broker/job_wire.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace codecanvas::broker {
namespace {

jobs::LanguageRegistry registry() {
  jobs::LanguageProfile python;
  python.name = "python3";
  python.aliases = {"python"};
  auto r = jobs::LanguageRegistry::fromProfiles({python});
  EXPECT_TRUE(r);
  return std::move(r.value());
}

TEST(JobWireTest, AJudgeJobComesBackAsItWent) {
  const auto languages = registry();
  jobs::JudgeSpec spec;
  spec.run.language = languages.find("python3");
  spec.run.source = std::string("print(1)\n\xff\x00", 11);
  spec.run.args = {"-x", std::string("\x80", 1)};
  spec.run.files = {{"data.bin", std::string("\x00\x01", 2), "", 0600, false},
                    {"outputs", "", "", 0755, true}};
  spec.run.limits.cpu_ms = 700;
  spec.run.cache_scope = "judge-key";
  spec.run.outputs = jobs::OutputCollection{"outputs", 3, 4096};
  spec.tests = {{"1 2\n", "3\n"}, {"", std::string("\xfe", 1)}};
  spec.checker = {judge::CheckerType::kFloat, 1e-3};
  spec.stop_on_first_failure = false;
  spec.budget = {1000, 2000, 3000};
  jobs::JudgeProgram program;
  program.role = jobs::JudgeProgram::Role::kChecker;
  program.run.language = languages.find("python3");
  program.run.source = "import sys";
  program.run.files = {{"testlib.py", "x = 1", "", 0644, false}};
  spec.program = program;
  auto decoded = decodeJob(encodeJudgeJob(spec), languages);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_TRUE(decoded->judge);
  const jobs::JudgeSpec& d = decoded->spec;
  EXPECT_EQ(d.run.language, spec.run.language);
  EXPECT_EQ(d.run.source, spec.run.source);
  EXPECT_EQ(d.run.args, spec.run.args);
  ASSERT_EQ(d.run.files.size(), 2u);
  EXPECT_EQ(d.run.files[0].content, spec.run.files[0].content);
  EXPECT_EQ(d.run.files[0].mode, 0600u);
  EXPECT_TRUE(d.run.files[1].directory);
  EXPECT_EQ(d.run.limits.cpu_ms, 700u);
  EXPECT_FALSE(d.run.limits.wall_ms.has_value());
  EXPECT_EQ(d.run.cache_scope, "judge-key");
  ASSERT_TRUE(d.run.outputs.has_value());
  EXPECT_EQ(d.run.outputs->max_files, 3u);
  ASSERT_EQ(d.tests.size(), 2u);
  EXPECT_EQ(d.tests[1].expected_output, spec.tests[1].expected_output);
  EXPECT_EQ(d.checker.type, judge::CheckerType::kFloat);
  EXPECT_DOUBLE_EQ(d.checker.epsilon, 1e-3);
  EXPECT_FALSE(d.stop_on_first_failure);
  EXPECT_EQ(d.budget.output_bytes, 3000u);
  ASSERT_TRUE(d.program.has_value());
  EXPECT_EQ(d.program->role, jobs::JudgeProgram::Role::kChecker);
  EXPECT_EQ(d.program->run.source, "import sys");
  ASSERT_EQ(d.program->run.files.size(), 1u);
  EXPECT_EQ(d.program->run.files[0].name, "testlib.py");
  spec.program.reset();
  auto plain = decodeJob(encodeJudgeJob(spec), languages);
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->spec.program.has_value());
}

TEST(JobWireTest, AReplyComesBackAsItWent) {
  Reply r;
  r.deliveries = 2;
  jobs::JobOutcome& o = r.outcome;
  sandbox::RunResult compile;
  compile.status = sandbox::RunStatus::kOk;
  compile.wall_ms = 12.5;
  o.compile = compile;
  sandbox::RunResult run;
  run.status = sandbox::RunStatus::kTimeLimit;
  run.signal = 9;
  run.time_ms = 501;
  run.memory_kb = 2048;
  run.stdout_data = std::string("\x00\xff", 2);
  run.stdout_truncated = true;
  run.cpu_source = sandbox::Source::kCgroupV2;
  run.limits.address_space_kb = 1024;
  o.runs = {run};
  o.verdicts = {"time_limit"};
  o.outputs = {{"result.txt", "42", "", 0644, false}};
  o.stopped = "job_cpu_ms";
  o.total_ms = 99;
  sandbox::RunResult judge;
  judge.status = sandbox::RunStatus::kRuntimeError;
  judge.exit_code = 7;
  judge.stderr_data = "points 2";
  o.companion_compile = compile;
  o.companion_compile_cached = true;
  o.companion_runs = {judge, std::nullopt};
  auto d = decodeReply(encodeReply(r));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->deliveries, 2u);
  ASSERT_TRUE(d->outcome.compile.has_value());
  EXPECT_DOUBLE_EQ(d->outcome.compile->wall_ms, 12.5);
  ASSERT_EQ(d->outcome.runs.size(), 1u);
  const sandbox::RunResult& x = d->outcome.runs[0];
  EXPECT_EQ(x.status, sandbox::RunStatus::kTimeLimit);
  EXPECT_EQ(x.signal, 9);
  EXPECT_FALSE(x.exit_code.has_value());
  EXPECT_EQ(x.stdout_data, run.stdout_data);
  EXPECT_TRUE(x.stdout_truncated);
  EXPECT_EQ(x.cpu_source, sandbox::Source::kCgroupV2);
  EXPECT_EQ(x.limits.address_space_kb, 1024u);
  EXPECT_EQ(d->outcome.verdicts, o.verdicts);
  ASSERT_EQ(d->outcome.outputs.size(), 1u);
  EXPECT_EQ(d->outcome.outputs[0].content, "42");
  EXPECT_EQ(d->outcome.stopped, "job_cpu_ms");
  EXPECT_FALSE(d->outcome.fault.has_value());
  ASSERT_TRUE(d->outcome.companion_compile.has_value());
  EXPECT_TRUE(d->outcome.companion_compile_cached);
  ASSERT_EQ(d->outcome.companion_runs.size(), 2u);
  ASSERT_TRUE(d->outcome.companion_runs[0].has_value());
  EXPECT_EQ(d->outcome.companion_runs[0]->exit_code, 7);
  EXPECT_EQ(d->outcome.companion_runs[0]->stderr_data, "points 2");
  EXPECT_FALSE(d->outcome.companion_runs[1].has_value());
}

TEST(JobWireTest, MalformedOrForeignMessagesAreErrorsThatSayWhat) {
  const auto languages = registry();
  EXPECT_FALSE(decodeJob("", languages));
  EXPECT_FALSE(decodeJob("not cbor at all", languages));
  EXPECT_FALSE(decodeReply(std::string("\xa1\x61", 2)));
  const auto cbor = [](const nlohmann::json& j) {
    const auto v = nlohmann::json::to_cbor(j);
    return std::string(v.begin(), v.end());
  };
  auto other_version = decodeJob(cbor({{"version", 99}, {"kind", "run"}}), languages);
  ASSERT_FALSE(other_version);
  EXPECT_NE(other_version.error().message.find("version 99"), std::string::npos);
  // A language this worker does not offer is named.
  jobs::LanguageProfile cobol;
  cobol.name = "cobol";
  jobs::RunSpec spec;
  spec.language = &cobol;
  auto unknown = decodeJob(encodeRunJob(spec), languages);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("'cobol'"), std::string::npos);
  // A field of the wrong type, and an enum out of range.
  spec.language = languages.find("python3");
  nlohmann::json j = nlohmann::json::from_cbor(encodeRunJob(spec));
  j["run"]["source"] = "text, not bytes";
  auto wrong = decodeJob(cbor(j), languages);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("'source'"), std::string::npos);
  Reply r;
  r.outcome.runs.emplace_back();
  nlohmann::json rj = nlohmann::json::from_cbor(encodeReply(r));
  rj["runs"][0]["status"] = 77;
  auto range = decodeReply(cbor(rj));
  ASSERT_FALSE(range);
  EXPECT_NE(range.error().message.find("out of range"), std::string::npos);
}

}  // namespace
}  // namespace codecanvas::broker
