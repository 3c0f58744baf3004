// scripts/install.sh on this machine, end to end: install, the installed files, the unit
// through `systemd-analyze verify`, the installed server (started from the installed files
// with the installed configuration) answering on port 10100 and telling a stand-in service
// manager READY=1, then --uninstall --purge. It installs into /usr/local and /etc for real,
// so it refuses to run over an installation it did not make.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "http_client.h"
#include "server_process.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using codecanvas::testing::httpCall;
using codecanvas::testing::runShell;
using codecanvas::testing::ServerProcess;
using nlohmann::json;

const std::string kSource = SOURCE_DIR;
const std::string kPrefix = "/usr/local";

bool portFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return free;
}

TEST(Install, InstallsVerifiesServesAndUninstalls) {
  CODECANVAS_REQUIRE_ROOT();
  CODECANVAS_REQUIRE(
      !fs::exists(kPrefix + "/bin/codecanvas-server") && !fs::exists("/etc/codecanvas"),
      "codecanvas is installed on this machine (" + kPrefix +
          "/bin/codecanvas-server or /etc/codecanvas): the install test would replace it");
  CODECANVAS_REQUIRE(portFree(10100), "port 10100 is in use: the installed server listens there");

  auto installed = runShell(kSource + "/scripts/install.sh --skip-setup");
  ASSERT_EQ(installed.exit_code, 0) << installed.output;
  for (const std::string& f :
       {kPrefix + "/bin/codecanvas-server", kPrefix + "/bin/codecanvas-processor",
        kPrefix + "/bin/codecanvas-run", kPrefix + "/bin/codecanvas",
        kPrefix + "/share/codecanvas/profiles/languages/python3.json",
        kPrefix + "/share/codecanvas/profiles/seccomp/default.policy",
        kPrefix + "/share/codecanvas/rootfs/default.manifest",
        kPrefix + "/share/codecanvas/web/dist/index.html",
        kPrefix + "/share/doc/codecanvas/deploy.md",
        std::string("/etc/systemd/system/codecanvas-server.service"),
        std::string("/etc/codecanvas/server.json")})
    EXPECT_TRUE(fs::exists(f)) << f << " was not installed\n" << installed.output;

  // Run again: nothing changes, the configuration is kept.
  std::ofstream("/etc/codecanvas/server.json", std::ios::app) << "\n";
  auto again = runShell(kSource + "/scripts/install.sh --skip-setup");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("kept /etc/codecanvas/server.json"), std::string::npos)
      << again.output;

  auto verify = runShell("systemd-analyze verify /etc/systemd/system/codecanvas-server.service");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  std::ifstream unit_in("/etc/systemd/system/codecanvas-server.service");
  const std::string unit((std::istreambuf_iterator<char>(unit_in)), {});
  EXPECT_NE(unit.find("ExecStart=" + kPrefix +
                      "/bin/codecanvas-server --config "
                      "/etc/codecanvas/server.json"),
            std::string::npos)
      << unit;
  EXPECT_NE(unit.find("Type=notify"), std::string::npos);
  EXPECT_NE(unit.find("Delegate=yes"), std::string::npos);

  {
    // The installed server as the unit starts it, with a stand-in for systemd's socket.
    const std::string notify_path = "/tmp/codecanvas-install-notify-" + std::to_string(::getpid());
    ::unlink(notify_path.c_str());
    int notify_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, notify_path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(notify_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::setenv("NOTIFY_SOCKET", notify_path.c_str(), 1);
    // ServerProcess puts --port 0 first; the unit's --config and the port it names follow.
    ServerProcess server(kPrefix + "/bin/codecanvas-server",
                         {"--config", "/etc/codecanvas/server.json", "--port", "10100"});
    ::unsetenv("NOTIFY_SOCKET");
    ASSERT_EQ(server.port(), 10100) << server.log();
    EXPECT_NE(server.log().find("configuration from /etc/codecanvas/server.json"),
              std::string::npos)
        << server.log();
    char buf[256];
    const ssize_t n = ::recv(notify_fd, buf, sizeof buf, MSG_DONTWAIT);
    EXPECT_GT(n, 0) << "the server told the service manager nothing";
    if (n > 0) {
      EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("READY=1", 0), 0u);
    }
    auto run = httpCall(10100, "POST", "/api/v1/run",
                        json{{"language", "python3"}, {"source", "print('installed')"}}.dump());
    EXPECT_EQ(run.status, 200) << run.raw;
    EXPECT_EQ(run.body["stdout"], "installed\n") << run.raw;
    auto page = httpCall(10100, "GET", "/");
    EXPECT_EQ(page.status, 200) << "the installed web page";
    EXPECT_EQ(server.terminate(), 0) << server.log();
    const ssize_t stopping = ::recv(notify_fd, buf, sizeof buf, MSG_DONTWAIT);
    EXPECT_GT(stopping, 0);
    if (stopping > 0) {
      EXPECT_EQ(std::string(buf, static_cast<size_t>(stopping)).rfind("STOPPING=1", 0), 0u);
    }
    ::close(notify_fd);
    ::unlink(notify_path.c_str());
  }

  auto removed = runShell(kSource + "/scripts/install.sh --uninstall --purge");
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  for (const std::string& f :
       {kPrefix + "/bin/codecanvas-server", kPrefix + "/bin/codecanvas-processor",
        kPrefix + "/share/codecanvas", kPrefix + "/share/doc/codecanvas",
        std::string("/etc/systemd/system/codecanvas-server.service"),
        std::string("/etc/codecanvas")})
    EXPECT_FALSE(fs::exists(f)) << f << " is left after --uninstall --purge";
}

}  // namespace
