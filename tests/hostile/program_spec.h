// A hostile program of tests/hostile/programs and what the test expects of it, read from
// the comment header at the top of its source (the format is in programs/README.md).
// Pure: parsing and checking touch neither the network nor the file system.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace codecanvas::hostile {

// {server_pid}, {canary_dir}, ... -> their values for this run of the suite.
using Placeholders = std::map<std::string, std::string>;

// Host facts that decide between two correct outcomes of one attack, probed once by the
// test on the machine it runs on: "i386_entry" (int $0x80 reaches the kernel's i386
// table, tests/support/kernel_features.h).
using HostFeatures = std::map<std::string, bool>;

// One "expect:" line: `key op value`, op one of "=", ">=", "<=". An "expect if F:" line
// applies only where host feature F holds, "expect unless F:" only where it does not.
struct Expectation {
  std::string key, op, value;
  std::string feature;  // "" for an unconditional expectation
  bool feature_holds = true;
  int line = 0;  // in the source file, for messages
};

// One "judge-test:" line: a test of POST /api/v1/judge.
struct JudgeTest {
  std::string stdin_data, expected_output;
};

struct ProgramSpec {
  std::string name;      // the file's stem: the test's name
  std::string language;  // the API's language name, from the extension
  std::string source;
  // With "judge-test:" lines the program goes to /api/v1/judge (every test runs, exact
  // checker) and "expect: verdict=..." takes the place of the status.
  std::vector<JudgeTest> judge_tests;
  nlohmann::json limits = nlohmann::json::object();  // from "limits:"
  std::vector<std::string> args;                     // from "args:", placeholders unresolved
  std::string stdin_data;                            // from "stdin:"
  std::string encoding;                              // from "request: encoding=..."
  // From "request: args=COUNTxBYTES": COUNT more arguments of BYTES letters each.
  size_t generated_args = 0, generated_arg_bytes = 0;
  std::vector<Expectation> expectations;  // status first
};

// The API language for a file extension ("c", "cpp", "py", ...); nullopt when unknown.
std::optional<std::string> languageForExtension(const std::string& extension);

// Parses `source` of the file `filename` (only its name and extension are used). Refuses,
// with a sentence naming the line: an unknown extension, directive or host feature, a
// malformed value, and a file where not exactly one "expect...: status=..." applies on
// every host (one unconditional status, or one "if F" and one "unless F" status).
struct ParseResult {
  std::optional<ProgramSpec> spec;
  std::string error;
};
ParseResult parseProgramSpec(const std::string& filename, const std::string& source);

// Replaces every {name} of `placeholders` in `text`; with `for_regex`, the values are
// escaped so that they match literally.
std::string substitute(const std::string& text, const Placeholders& placeholders,
                       bool for_regex = false);

// The route ("/api/v1/run" or "/api/v1/judge") and the request body for it.
std::string routeFor(const ProgramSpec& spec);
nlohmann::json buildRequest(const ProgramSpec& spec, const Placeholders& placeholders);

// Checks every expectation against the answer of /api/v1/run (or /judge), with the HTTP
// status under "http". `stdout_bytes` and
// `stderr_bytes` are the program's output as bytes (decoded from base64 when the
// request asked for it). Conditional expectations are checked where `features` says their
// condition holds; a feature missing from `features` fails them. Returns one sentence per
// failed expectation.
std::vector<std::string> checkExpectations(const ProgramSpec& spec, const nlohmann::json& answer,
                                           const std::string& stdout_bytes,
                                           const std::string& stderr_bytes,
                                           const Placeholders& placeholders,
                                           const HostFeatures& features = {});

// Decodes standard base64 (with padding); nullopt on a malformed input.
std::optional<std::string> decodeBase64(const std::string& text);

}  // namespace codecanvas::hostile
