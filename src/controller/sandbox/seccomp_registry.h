// Every seccomp policy of profiles/seccomp, compiled once at start-up: the one place a
// run's program comes from. A run names its policy (RunRequest::seccomp_policy, "default"
// unless its language profile says otherwise); a name the registry does not hold, or one
// whose policy failed to compile, refuses the run: there is no fallback to another policy.
// Read-only after load(), so any thread may look a program up.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace codecanvas::sandbox {

class SeccompRegistry {
 public:
  // Compiles <dir>/<name>.policy for every file there. A policy that does not parse or
  // compile is kept as its error (program() returns it); "default" must compile, or the
  // load fails: every run without a policy of its own uses it.
  static Result<SeccompRegistry> load(const std::string& dir);

  // The compiled program of the policy `name`; it lives as long as the registry.
  Result<const std::vector<uint8_t>*> program(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  std::string dir_;
  std::map<std::string, Result<std::unique_ptr<const std::vector<uint8_t>>>> programs_;
};

}  // namespace codecanvas::sandbox
