// The fuzz target links src/controller/code_runner.cc for resolveLimits() and testVerdict(),
// which share the file with CodeRunner's methods; CodeRunner::prepare() reaches the
// sandbox. The sandbox is not linked (nor libseccomp, nor the slot pool): this stands in
// for the one function the linker asks for, and proves by aborting that the API under
// fuzzing never calls it.
#include <cstdio>
#include <cstdlib>

#include "sandbox/sandbox.h"

namespace codecanvas::sandbox {

Result<const std::vector<uint8_t>*> Sandbox::seccompProgram(const std::string& name) {
  std::fprintf(stderr, "request_fuzz: the API reached the sandbox (seccomp policy %s)\n",
               name.c_str());
  std::abort();
}

}  // namespace codecanvas::sandbox
