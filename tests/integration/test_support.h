// Shared by the integration tests: they need root and real kernel features. Without
// them a test skips and says which feature is missing; when CI=true it fails instead,
// because CI is where the sandbox must be proven to work.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

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

// Processes on the host (the test's pid namespace) owned by `uid`, as pid strings.
inline std::vector<std::string> hostProcessesOfUid(uid_t uid) {
  std::vector<std::string> found;
  DIR* d = ::opendir("/proc");
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    struct stat st {};
    if (::stat((std::string("/proc/") + e->d_name).c_str(), &st) == 0 && st.st_uid == uid)
      found.push_back(e->d_name);
  }
  if (d) ::closedir(d);
  return found;
}

// The parent of `pid` (0 when it is gone), from /proc/PID/stat.
inline pid_t parentOf(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 1));
  std::string state;
  pid_t ppid = 0;
  rest >> state >> ppid;
  return ppid;
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
