// ChildProcess: the pidfd owner that kills and reaps. No privileges needed.
#include "common/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <string>

namespace codecanvas {
namespace {

// The program itself, not through a shell: a shell that forks would leave its child
// behind when it is killed, holding the test's stdout open.
pid_t spawn(const char* path, const char* arg1, const char* arg2 = nullptr) {
  const char* argv[] = {path, arg1, arg2, nullptr};
  pid_t pid = -1;
  if (::posix_spawn(&pid, path, nullptr, nullptr, const_cast<char* const*>(argv), environ) != 0)
    return -1;
  return pid;
}

bool procEntryExists(pid_t pid) {
  struct stat st {};
  return ::stat(("/proc/" + std::to_string(pid)).c_str(), &st) == 0;
}

TEST(ChildProcess, WaitGivesTheExitStatus) {
  auto child = ChildProcess::adopt(spawn("/bin/sh", "-c", "exit 3"));
  ASSERT_TRUE(child.ok()) << child.error().message;
  auto status = child->wait();
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_FALSE(child->running());
  EXPECT_FALSE(child->wait().ok()) << "a reaped child cannot be waited for again";
}

TEST(ChildProcess, KillThenWaitSaysSigkill) {
  auto child = ChildProcess::adopt(spawn("/bin/sleep", "100"));
  ASSERT_TRUE(child.ok()) << child.error().message;
  child->kill();
  auto status = child->wait();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(WTERMSIG(*status), SIGKILL);
}

TEST(ChildProcess, LettingGoKillsAndReaps) {
  const pid_t pid = spawn("/bin/sleep", "100");
  ASSERT_GT(pid, 0);
  {
    auto child = ChildProcess::adopt(pid);
    ASSERT_TRUE(child.ok());
    ChildProcess moved = std::move(child.value());  // the moved-from one owns nothing
    EXPECT_EQ(moved.pid(), pid);
  }
  // Reaped: no zombie left, and the pid is no child of ours any more.
  EXPECT_FALSE(procEntryExists(pid));
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

}  // namespace
}  // namespace codecanvas
