// A real codecanvas-server for end-to-end tests: started on a free port with its own slot
// uids, its stderr (start-up messages and request log) collected, stopped with SIGTERM.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace codecanvas::testing {

class ServerProcess {
 public:
  // Starts `server` with `args` plus --port 0 and waits (up to 120 s: toolchain probes and
  // slot set-up) for its "listening on" line. port() is 0 when it did not come up.
  // `ready`: another line to wait for (a worker's), whose first group, if any, is the port.
  ServerProcess(const std::string& server, std::vector<std::string> args,
                const std::string& ready = R"(listening on http://[^:]+:([0-9]+))") {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 2);
      std::vector<std::string> all = {server, "--port", "0"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(server.c_str(), argv.data());
      _exit(127);
    }
    ::close(fds[1]);
    err_fd_ = fds[0];
    reader_ = std::thread([this] { readStderr(); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    const std::regex listening(ready);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(mu_);
        std::smatch m;
        if (std::regex_search(log_, m, listening)) {
          port_ = m.size() > 1 && m[1].matched ? std::stoi(m[1]) : 1;
          return;
        }
        if (eof_) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  ~ServerProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (reader_.joinable()) reader_.join();
    if (err_fd_ >= 0) ::close(err_fd_);
  }

  // The port it listens on; for a process started with a `ready` line without one, 1 once
  // that line came.
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const {
    std::lock_guard lock(mu_);
    return log_;
  }

  // SIGTERM, then the exit status (-1 when it did not exit within `timeout`).
  int terminate(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    ::kill(pid_, SIGTERM);
    return waitExit(timeout);
  }

  int waitExit(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  void readStderr() {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(err_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard lock(mu_);
      if (n <= 0) {
        eof_ = true;
        return;
      }
      log_.append(buf, static_cast<size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int err_fd_ = -1;
  int port_ = 0;
  bool exited_ = false;
  std::thread reader_;
  mutable std::mutex mu_;
  std::string log_;
  bool eof_ = false;
};

// A codecanvas-worker (`worker`) of one slot consuming from `broker_url`, its slot's uids
// from `uid_base`, without web page or file store; ready (port() 1) once it consumes.
inline std::unique_ptr<ServerProcess> startWorker(const std::string& worker,
                                                  const std::string& broker_url,
                                                  const std::string& uid_base,
                                                  std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--broker", broker_url,  "--slots", "1",           "--uid-base",
                                   uid_base,   "--web-dir", "none",    "--store-dir", "none"};
  args.insert(args.end(), more.begin(), more.end());
  return std::make_unique<ServerProcess>(worker, args, "codecanvas-worker: connected to");
}

// The server most end-to-end tests share (2 slots, queue 32, uids from 60600): started on
// first use; http_test.cc stops it with SIGTERM after the last test.
inline std::unique_ptr<ServerProcess>& sharedServerSlot() {
  static std::unique_ptr<ServerProcess> server;
  return server;
}

inline ServerProcess* sharedServer(const std::string& server_path) {
  auto& s = sharedServerSlot();
  if (!s && ::geteuid() == 0)
    s = std::make_unique<ServerProcess>(
        server_path,
        std::vector<std::string>{"--slots", "2", "--queue", "32", "--uid-base", "60600"});
  return s.get();
}

}  // namespace codecanvas::testing
