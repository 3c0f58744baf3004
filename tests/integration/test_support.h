// Shared by the integration tests: they need root and real kernel features. Without
// them a test skips and says which feature is missing; when CI=true it fails instead,
// because CI is where the sandbox must be proven to work.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace codecanvas::testing {

inline bool inCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// Time tolerances are multiplied by CODECANVAS_TIME_SLACK (the qemu guest without KVM
// runs CPU-bound code about 15 times slower).
inline double timeSlack() {
  const char* s = std::getenv("CODECANVAS_TIME_SLACK");
  return s != nullptr ? std::max(1.0, std::atof(s)) : 1.0;
}

}  // namespace codecanvas::testing

// Skips the current test with `reason`, or fails it under CI=true.
#define CODECANVAS_REQUIRE(condition, reason)                                            \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      if (::codecanvas::testing::inCi()) FAIL() << "required under CI=true: " << reason; \
      GTEST_SKIP() << reason;                                                            \
    }                                                                                    \
  } while (0)

#define CODECANVAS_REQUIRE_ROOT() \
  CODECANVAS_REQUIRE(::geteuid() == 0, "needs root for namespaces, mounts and cgroups")
