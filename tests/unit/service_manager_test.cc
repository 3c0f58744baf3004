#include "service_manager.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "unique_fd.h"

namespace codecanvas::http {
namespace {

// A stand-in for systemd's notification socket: a datagram socket bound at `name`
// ('@' first: abstract).
UniqueFd listenAt(const std::string& name) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, name.data(), name.size());
  if (name[0] == '@') addr.sun_path[0] = '\0';
  const auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), size) != 0) return UniqueFd();
  return fd;
}

std::string receive(int fd) {
  char buf[256];
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

TEST(ServiceManager, ReadyGoesToTheNotifySocket) {
  const std::string path = "/tmp/codecanvas-notify-" + std::to_string(::getpid());
  ::unlink(path.c_str());
  UniqueFd listener = listenAt(path);
  ASSERT_TRUE(listener);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  EXPECT_TRUE(notifyServiceManager("READY=1\nSTATUS=listening"));
  EXPECT_EQ(receive(listener.get()), "READY=1\nSTATUS=listening");
  ::unlink(path.c_str());

  const std::string abstract = "@codecanvas-notify-" + std::to_string(::getpid());
  UniqueFd abstract_listener = listenAt(abstract);
  ASSERT_TRUE(abstract_listener);
  ::setenv("NOTIFY_SOCKET", abstract.c_str(), 1);
  EXPECT_TRUE(notifyServiceManager("STOPPING=1"));
  EXPECT_EQ(receive(abstract_listener.get()), "STOPPING=1");
  ::unsetenv("NOTIFY_SOCKET");
}

TEST(ServiceManager, WithoutAServiceManagerNothingIsSent) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(notifyServiceManager("READY=1"));
  ::setenv("NOTIFY_SOCKET", "relative/path", 1);
  EXPECT_FALSE(notifyServiceManager("READY=1"));
  ::setenv("NOTIFY_SOCKET", "/nonexistent/codecanvas-notify", 1);
  auto s = notifyServiceManager("READY=1");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("READY=1"), std::string::npos);
  ::unsetenv("NOTIFY_SOCKET");
}

}  // namespace
}  // namespace codecanvas::http
