// scripts/install.sh on this machine, end to end: install, the installed files, both units
// through `systemd-analyze verify`, the installed server (started from the installed files
// with the installed configuration) answering on port 10100 and telling a stand-in service
// manager READY=1; the installed worker, with the installed worker.json and a RabbitMQ of
// the test's own, telling it READY=1 and running a job the installed server published; then
// --uninstall --purge. It installs into /usr/local and /etc for real, so it refuses to run
// over an installation it did not make.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "http_client.h"
#include "rabbitmq_server.h"
#include "server_process.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using codecanvas::testing::httpCall;
using codecanvas::testing::RabbitMqServer;
using codecanvas::testing::runShell;
using codecanvas::testing::ServerProcess;
using nlohmann::json;

const std::string kSource = SOURCE_DIR;
const std::string kPrefix = "/usr/local";

// A datagram socket standing in for systemd's notify socket; NOTIFY_SOCKET names it while
// the object lives.
class NotifySocket {
 public:
  NotifySocket() {
    path_ = "/tmp/codecanvas-install-notify-" + std::to_string(::getpid());
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  // The next message, or "" when none came.
  std::string next() {
    char buf[256];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

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
        kPrefix + "/share/doc/codecanvas/deploy.md", kPrefix + "/bin/codecanvas-worker",
        std::string("/etc/systemd/system/codecanvas-server.service"),
        std::string("/etc/systemd/system/codecanvas-worker.service"),
        std::string("/etc/codecanvas/server.json"), std::string("/etc/codecanvas/worker.json")})
    EXPECT_TRUE(fs::exists(f)) << f << " was not installed\n" << installed.output;

  // Run again: nothing changes, the configuration is kept.
  std::ofstream("/etc/codecanvas/server.json", std::ios::app) << "\n";
  auto again = runShell(kSource + "/scripts/install.sh --skip-setup");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("kept /etc/codecanvas/server.json"), std::string::npos)
      << again.output;

  EXPECT_NE(again.output.find("kept /etc/codecanvas/worker.json"), std::string::npos)
      << again.output;

  auto verify = runShell(
      "systemd-analyze verify /etc/systemd/system/codecanvas-server.service "
      "/etc/systemd/system/codecanvas-worker.service");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  {
    std::ifstream in("/etc/systemd/system/codecanvas-worker.service");
    const std::string worker_unit((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NE(worker_unit.find("ExecStart=" + kPrefix +
                               "/bin/codecanvas-worker --config /etc/codecanvas/worker.json"),
              std::string::npos)
        << worker_unit;
    EXPECT_NE(worker_unit.find("Type=notify"), std::string::npos);
    EXPECT_NE(worker_unit.find("Delegate=yes"), std::string::npos);
  }
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
    auto notify = std::make_unique<NotifySocket>();
    ASSERT_TRUE(notify->bound());
    // ServerProcess puts --port 0 first; the unit's --config and the port it names follow.
    ServerProcess server(kPrefix + "/bin/codecanvas-server",
                         {"--config", "/etc/codecanvas/server.json", "--port", "10100"});
    ASSERT_EQ(server.port(), 10100) << server.log();
    EXPECT_NE(server.log().find("configuration from /etc/codecanvas/server.json"),
              std::string::npos)
        << server.log();
    EXPECT_EQ(notify->next().rfind("READY=1", 0), 0u) << "the server told no READY=1";
    auto run = httpCall(10100, "POST", "/api/v1/run",
                        json{{"language", "python3"}, {"source", "print('installed')"}}.dump());
    EXPECT_EQ(run.status, 200) << run.raw;
    EXPECT_EQ(run.body["stdout"], "installed\n") << run.raw;
    auto page = httpCall(10100, "GET", "/");
    EXPECT_EQ(page.status, 200) << "the installed web page";
    EXPECT_EQ(server.terminate(), 0) << server.log();
    EXPECT_EQ(notify->next().rfind("STOPPING=1", 0), 0u) << "the server told no STOPPING=1";
  }

  if (!RabbitMqServer::installed()) {
    ADD_FAILURE() << "rabbitmq-server is not installed (scripts/setup.sh --tests installs "
                     "it): the installed worker is not tested";
  } else {
    // The installed worker as its unit starts it (the broker's address from the command
    // line: worker.json names a placeholder), and the installed server publishing to it.
    RabbitMqServer broker;
    ASSERT_TRUE(broker.start()) << broker.log();
    auto notify = std::make_unique<NotifySocket>();
    ServerProcess worker(kPrefix + "/bin/codecanvas-worker",
                         {"--config", "/etc/codecanvas/worker.json", "--broker", broker.urlText(),
                          "--slots", "1", "--uid-base", "62280"},
                         "codecanvas-worker: connected to");
    ASSERT_NE(worker.port(), 0) << worker.log();
    EXPECT_NE(worker.log().find("configuration from /etc/codecanvas/worker.json"),
              std::string::npos)
        << worker.log();
    std::string ready;
    for (int i = 0; i < 50 && ready.empty(); ++i) {
      ready = notify->next();
      if (ready.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(ready.rfind("READY=1", 0), 0u) << "the worker told no READY=1: '" << ready << "'";
    notify.reset();
    ServerProcess api(kPrefix + "/bin/codecanvas-server",
                      {"--config", "/etc/codecanvas/server.json", "--broker", broker.urlText()});
    ASSERT_NE(api.port(), 0) << api.log();
    auto run = httpCall(api.port(), "POST", "/api/v1/run",
                        json{{"language", "python3"}, {"source", "print('on a worker')"}}.dump());
    EXPECT_EQ(run.status, 200) << run.raw;
    EXPECT_EQ(run.body["stdout"], "on a worker\n") << run.raw << worker.log();
    EXPECT_NE(worker.log().find("taken"), std::string::npos) << worker.log();
    EXPECT_EQ(api.terminate(), 0) << api.log();
    EXPECT_EQ(worker.terminate(), 0) << worker.log();
  }

  auto removed = runShell(kSource + "/scripts/install.sh --uninstall --purge");
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  for (const std::string& f :
       {kPrefix + "/bin/codecanvas-server", kPrefix + "/bin/codecanvas-processor",
        kPrefix + "/share/codecanvas", kPrefix + "/share/doc/codecanvas",
        kPrefix + "/bin/codecanvas-worker",
        std::string("/etc/systemd/system/codecanvas-server.service"),
        std::string("/etc/systemd/system/codecanvas-worker.service"),
        std::string("/etc/codecanvas")})
    EXPECT_FALSE(fs::exists(f)) << f << " is left after --uninstall --purge";
}

}  // namespace
