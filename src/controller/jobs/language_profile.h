// Language profiles: how codecanvas compiles and runs each language, as data files under
// profiles/languages/*.json that the server loads at start-up. The format is documented
// in docs/languages.md. Server side; parsing is pure and unit-tested.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"
#include "sandbox/run_types.h"

namespace codecanvas::jobs {

struct CompileSpec {
  std::vector<std::string> argv;
  // Which files of /box the compile step produces (shell globs, top level of /box only):
  // what the compile cache keeps and puts back for a later identical submission.
  std::vector<std::string> artifacts;
  sandbox::Limits limits;  // fixed by the profile; requests cannot change them
};

// Programs every language must have, run by the generated language tests
// (tests/integration/language_test.cc) beside the sample.
struct ProfileTests {
  std::string compile_error;  // fails to compile (a syntax error for an interpreter)
  std::string runtime_error;  // compiles, then ends with a non-zero exit or a signal
};

struct LanguageProfile {
  std::string name;
  std::vector<std::string> aliases;
  std::string source_file;                   // the source's name in /box
  std::vector<std::string> version_command;  // run on the host at start-up
  std::optional<CompileSpec> compile;
  std::vector<std::string> run_argv;  // the request's "args" are appended
  std::vector<std::string> env;       // NAME=value, for both steps
  sandbox::Limits default_limits;
  sandbox::Limits max_limits;
  std::string seccomp = "default";  // profiles/seccomp/<name>.policy
  // A sample program, shown by clients: it reads a name from stdin and prints
  // "Hello, NAME!", or "Hello, world!" when the input is an empty line.
  std::string sample;
  std::vector<std::string> packages;  // the Debian packages of the toolchain (scripts/setup.sh)
  ProfileTests tests;
  std::string origin;   // the file it came from
  std::string version;  // filled at start-up from version_command
};

// Parses one profile. Errors say which field is wrong and how to fix it.
Result<LanguageProfile> parseLanguageProfile(std::string_view json_text, const std::string& origin);

// The first "N.N[.N...]" in a tool's version output ("gcc (Debian 12.2.0-14) 12.2.0" gives
// "12.2.0", "v20.20.2" gives "20.20.2"); empty when there is none.
std::string extractVersion(std::string_view output);

// Runs `argv` on the host (stdout and stderr together, bounded time and size) and returns
// its version. The program is found in the PATH a slot uses, with the slot's default
// environment plus `env`, so the version is that of the binary jobs will run (not, say, a
// different python3 earlier in the server's own PATH). An error when the tool is missing,
// fails or prints no version.
using VersionProbe = std::function<Result<std::string>(const std::vector<std::string>& argv,
                                                       const std::vector<std::string>& env)>;
Result<std::string> probeToolVersion(const std::vector<std::string>& argv,
                                     const std::vector<std::string>& env);

// The languages the service offers: every profile that parsed and whose toolchain
// answered its version command. Lookups by name or alias, case-insensitive.
class LanguageRegistry {
 public:
  // Loads every *.json in `dir`, in name order. A broken profile or a missing toolchain
  // is reported in problems() and skipped; only an unreadable directory is an error.
  static Result<LanguageRegistry> load(const std::string& dir,
                                       const VersionProbe& probe = probeToolVersion);
  // For tests: profiles already in memory (versions kept as given).
  static Result<LanguageRegistry> fromProfiles(std::vector<LanguageProfile> profiles);

  const LanguageProfile* find(std::string_view name_or_alias) const;
  const std::vector<LanguageProfile>& all() const { return languages_; }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  // Adds a profile unless its name or an alias is taken; says why in problems_ if so.
  void add(LanguageProfile profile);

  std::vector<LanguageProfile> languages_;  // sorted by name
  std::vector<std::string> problems_;
};

}  // namespace codecanvas::jobs
