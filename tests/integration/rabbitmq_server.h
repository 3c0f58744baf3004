// A RabbitMQ broker of the test's own: Debian's rabbitmq-server started on free loopback
// ports (AMQP, Erlang distribution, epmd) with its data, logs and Erlang cookie in a
// temporary directory, never the machine's default instance; stopped (its epmd too) and
// removed by the destructor. stop() and start() again keep the data directory, as a
// broker restart does.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "broker/amqp_client.h"

namespace codecanvas::testing {

inline constexpr char kRabbitMqServer[] = "/usr/lib/rabbitmq/bin/rabbitmq-server";
inline constexpr char kRabbitMqCtl[] = "/usr/lib/rabbitmq/bin/rabbitmqctl";

// A loopback TCP port nobody listens on now.
inline int freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

class RabbitMqServer {
 public:
  static bool installed() { return ::access(kRabbitMqServer, X_OK) == 0; }

  RabbitMqServer() {
    char tmpl[] = "/tmp/codecanvas-rabbitmq-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    amqp_port_ = freeLoopbackPort();
    dist_port_ = freeLoopbackPort();
    epmd_port_ = freeLoopbackPort();
    node_ = "codecanvas-test-" + std::to_string(::getpid()) + "@localhost";
    std::ofstream(dir_ + "/rabbitmq.conf")
        << "loopback_users = none\n"
        << "listeners.tcp.default = 127.0.0.1:" << amqp_port_ << "\n";
    std::ofstream(dir_ + "/enabled_plugins") << "[].\n";
  }

  ~RabbitMqServer() {
    stop();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  // Starts the broker and waits (up to 90 s: the Erlang VM boots slowly on a busy
  // machine) until a client can log in. False, with log() saying why, when it did not.
  bool start() {
    if (dir_.empty() || amqp_port_ == 0) return false;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      const int log =
          ::open((dir_ + "/server.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      ::dup2(log, 1);
      ::dup2(log, 2);
      for (const auto& [k, v] : environment()) ::setenv(k.c_str(), v.c_str(), 1);
      ::execl(kRabbitMqServer, kRabbitMqServer, static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (broker::AmqpClient::connect(url(), std::chrono::milliseconds(1000))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  }

  // Stops the broker (rabbitmqctl stop, then SIGKILL of what is left) and its epmd.
  void stop() {
    if (pid_ <= 0) return;
    run(std::string(kRabbitMqCtl) + " -q stop");
    for (int i = 0; i < 100 && ::waitpid(pid_, nullptr, WNOHANG) != pid_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    run("epmd -kill");
  }

  bool running() const { return pid_ > 0; }

  broker::BrokerUrl url() const {
    broker::BrokerUrl u;
    u.host = "127.0.0.1";
    u.port = amqp_port_;
    return u;
  }
  std::string urlText() const {
    return "amqp://guest:guest@127.0.0.1:" + std::to_string(amqp_port_) + "/";
  }
  std::string log() const {
    std::ifstream in(dir_ + "/server.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::vector<std::pair<std::string, std::string>> environment() const {
    return {{"HOME", dir_},  // its Erlang cookie
            {"RABBITMQ_NODENAME", node_},
            {"RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"},
            {"RABBITMQ_NODE_PORT", std::to_string(amqp_port_)},
            {"RABBITMQ_DIST_PORT", std::to_string(dist_port_)},
            {"ERL_EPMD_PORT", std::to_string(epmd_port_)},
            {"ERL_EPMD_ADDRESS", "127.0.0.1"},
            {"RABBITMQ_CONFIG_FILE", dir_ + "/rabbitmq"},
            {"RABBITMQ_ADVANCED_CONFIG_FILE", dir_ + "/advanced.config"},
            {"RABBITMQ_CONF_ENV_FILE", dir_ + "/rabbitmq-env.conf"},
            {"RABBITMQ_ENABLED_PLUGINS_FILE", dir_ + "/enabled_plugins"},
            {"RABBITMQ_MNESIA_BASE", dir_ + "/mnesia"},
            {"RABBITMQ_LOG_BASE", dir_ + "/log"},
            {"RABBITMQ_PID_FILE", dir_ + "/rabbitmq.pid"}};
  }

  // A command with this broker's environment, its output to the log.
  void run(const std::string& command) const {
    std::string env;
    for (const auto& [k, v] : environment()) env += k + "='" + v + "' ";
    const std::string line = "env " + env + command + " >> '" + dir_ + "/server.log' 2>&1";
    if (std::system(line.c_str()) != 0) {
      // stop() goes on to SIGKILL; the log says what the command said.
    }
  }

  std::string dir_;
  std::string node_;
  int amqp_port_ = 0, dist_port_ = 0, epmd_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace codecanvas::testing
