#include "keeper.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <optional>

#include "exec_sequence.h"
#include "mounts.h"
#include "protocol.h"
#include "seqpacket.h"
#include "spawn.h"
#include "work_dirs.h"

namespace codecanvas::processor {

namespace {

uint64_t monotonicNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t toNs(const timeval& tv) {
  return static_cast<uint64_t>(tv.tv_sec) * 1000000000u + static_cast<uint64_t>(tv.tv_usec) * 1000u;
}

int readCapLast() {
  int last = 40;
  if (FILE* f = std::fopen("/proc/sys/kernel/cap_last_cap", "re")) {
    if (std::fscanf(f, "%d", &last) != 1) last = 40;
    std::fclose(f);
  }
  return last;
}

class Keeper {
 public:
  explicit Keeper(int sock) : sock_(sock) {}
  int run();

 private:
  Status init();
  Status handle(const Message& m);
  Status startRun(Message m);
  Status finishRun(int wait_status, const rusage& main_usage);
  void reapChildren();
  Status reply(const std::vector<uint8_t>& bytes, int fd = -1) {
    int fds[1] = {fd};
    return sendMessage(sock_, bytes,
                       fd >= 0 ? std::span<const int>(fds, 1) : std::span<const int>());
  }
  Status fail(const Error& e) {
    return reply(protocol::encode(protocol::Failure{e.message, e.errno_value}));
  }

  struct Running {
    pid_t pid;
    uint64_t start_ns;
    rusage children_before;
    bool sealed_box;
    std::string output_dir;
  };

  int sock_;
  int cap_last_ = 40;
  std::optional<Spawner> spawner_;
  protocol::Init init_;
  WorkDirs work_dirs_{init_};
  UniqueFd signal_fd_;
  std::optional<Running> running_;
};

Status Keeper::init() {
  auto m = receiveMessage(sock_);
  if (!m) return m.error();
  if (!protocol::decode(m->bytes, init_)) return Error{"keeper: malformed Init message", EPROTO};
  const size_t leaf_fds = init_.move_to_leaf ? 1 : 0;
  if (m->fds.size() != leaf_fds + init_.v1_joins)
    return Error{"keeper: Init carries " + std::to_string(m->fds.size()) + " fds, expected " +
                     std::to_string(leaf_fds + init_.v1_joins),
                 EPROTO};
  // v1: into the slot's directory of each hierarchy first, so that the namespace below is
  // rooted there (on v2 the keeper was cloned into the slot directory already).
  for (size_t i = leaf_fds; i < m->fds.size(); ++i) {
    if (::write(m->fds[i].get(), "0", 1) != 1) return sysError("write(slot v1 tasks, 0)");
  }
  // A cgroup namespace rooted at the slot's own cgroup: programs see their run directory
  // as "/run-<n>" and nothing of the host's tree, and (on v2) every run directory below
  // the slot is inside the namespace, which clone3(CLONE_INTO_CGROUP) requires.
  if (::unshare(CLONE_NEWCGROUP) != 0) return sysError("unshare(CLONE_NEWCGROUP)");
  if (init_.move_to_leaf) {
    // The slot directory may not hold processes once it delegates controllers to its runs.
    if (::write(m->fds[0].get(), "0", 1) != 1)
      return sysError("write(keeper leaf cgroup.procs, 0)");
  }
  if (::sethostname(init_.hostname.data(), init_.hostname.size()) != 0)
    return sysError("sethostname(" + init_.hostname + ")");
  if (auto s = buildSlotRoot(init_); !s) return s;
  cap_last_ = readCapLast();
  // Signals ignored by whoever started the server (nohup, trap '' PIPE) would stay
  // ignored in every program: execve keeps SIG_IGN. Start from the defaults.
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  auto spawner = Spawner::create();
  if (!spawner) return spawner.error();
  spawner_.emplace(std::move(spawner.value()));
  // The keeper never execs, so an empty bounding set costs it nothing (its effective
  // capabilities stay), and every child inherits it instead of dropping 41 one by one.
  for (int cap = 0; cap <= cap_last_; ++cap)
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return sysError("prctl(PR_CAPBSET_DROP, " + std::to_string(cap) + ")");
  // SIGCHLD through a signalfd, so the loop can wait for a socket request and a child
  // at once; blocked (not ignored), so children stay waitable.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return sysError("sigprocmask(SIGCHLD)");
  signal_fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_) return sysError("signalfd(SIGCHLD)");
  UniqueFd box(::open("/box", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!box) return sysError("open(/box)");
  return reply(protocol::encodeEmpty(protocol::Type::kReady), box.get());
}

Status Keeper::startRun(Message m) {
  if (running_) return fail(Error{"keeper: Run while a run is in progress", EBUSY});
  protocol::RunPlan plan;
  if (!protocol::decode(m.bytes, plan)) return fail(Error{"keeper: malformed Run message", EPROTO});
  const bool sealed_box = plan.seal_box;
  const std::string output_dir = plan.output_dir;
  if (output_dir == "." || output_dir == ".." || output_dir.find('/') != std::string::npos ||
      output_dir.find('\0') != std::string::npos)
    return fail(Error{"keeper: the output directory must be a plain name in /box", EINVAL});
  if (sealed_box) {
    if (auto s = work_dirs_.seal(output_dir); !s) {
      std::fprintf(stderr, "codecanvas-processor: slot %u: %s\n", init_.slot,
                   s.error().message.c_str());
      return reply(
          protocol::encode(protocol::StepFailure{protocol::Step::kSealBox, s.error().errno_value}));
    }
  }
  auto prepared = PreparedPlan::prepare(std::move(plan), std::move(m.fds), cap_last_);
  if (!prepared) return fail(prepared.error());
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fail(sysError("pipe2(error pipe)"));
  UniqueFd err_read(pipe_fds[0]), err_write(pipe_fds[1]);
  const ExecPlan& exec = prepared->execPlan(err_write.get());

  rusage before{};
  ::getrusage(RUSAGE_CHILDREN, &before);
  const uint64_t start = monotonicNs();
  // Returns once the child has exec'ed or exited (CLONE_VFORK).
  auto pid = spawner_->spawn(exec, prepared->cgroupDirFd());
  if (!pid) {
    return reply(
        protocol::encode(protocol::StepFailure{protocol::Step::kClone, pid.error().errno_value}));
  }
  err_write.reset();
  running_ = Running{*pid, start, before, sealed_box, output_dir};
  // End of file: the exec succeeded. A record: the step that failed; the child has exited.
  protocol::StepFailure failure;
  ssize_t n;
  do {
    n = ::read(err_read.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof failure) {
    int status = 0;
    ::waitpid(*pid, &status, 0);
    running_.reset();
    // Nothing of the program ran, but /tmp may hold what an earlier step left. A slot that
    // cannot be cleaned says so (Failure: the controller marks it broken).
    if (auto s = work_dirs_.afterRun(false, ""); !s) return fail(s.error());
    return reply(protocol::encode(failure));
  }
  return {};
}

// Called when the program's first process has ended: whatever it left behind (daemons,
// background children) is killed and reaped before the run counts as over.
Status Keeper::finishRun(int wait_status, const rusage& main_usage) {
  protocol::Exited e;
  e.wall_ns = monotonicNs() - running_->start_ns;
  e.wait_status = wait_status;
  ::kill(-1, SIGKILL);
  for (;;) {
    pid_t p = ::waitpid(-1, nullptr, 0);
    if (p > 0) {
      ++e.leftover;
      continue;
    }
    if (errno == EINTR) continue;
    break;  // ECHILD: the slot has no process left but the keeper
  }
  rusage after{};
  ::getrusage(RUSAGE_CHILDREN, &after);
  e.user_ns = toNs(after.ru_utime) - toNs(running_->children_before.ru_utime);
  e.system_ns = toNs(after.ru_stime) - toNs(running_->children_before.ru_stime);
  e.max_rss_kb = static_cast<uint64_t>(main_usage.ru_maxrss);
  // Every process of the run is gone: take back what it added to /box and /tmp before the
  // next run can be sent (it is sent when this report arrives).
  if (auto s = work_dirs_.afterRun(running_->sealed_box, running_->output_dir); !s) {
    std::fprintf(stderr, "codecanvas-processor: slot %u: after the run: %s\n", init_.slot,
                 s.error().message.c_str());
    e.reset_errno = s.error().errno_value != 0 ? s.error().errno_value : EIO;
  }
  running_.reset();
  return reply(protocol::encode(e));
}

// Reaps whatever has exited. Orphans of a run are reparented to the keeper (pid 1) and
// would otherwise stay zombies, holding pids against the run's process limit.
void Keeper::reapChildren() {
  signalfd_siginfo info;
  while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
  }
  for (;;) {
    int status = 0;
    rusage usage{};
    pid_t p = ::wait4(-1, &status, WNOHANG, &usage);
    if (p <= 0) return;
    if (running_ && p == running_->pid) {
      if (auto s = finishRun(status, usage); !s)
        std::fprintf(stderr, "codecanvas-processor: slot %u: %s\n", init_.slot,
                     s.error().message.c_str());
      return;
    }
  }
}

Status Keeper::handle(const Message& m) {
  auto type = protocol::typeOf(m.bytes);
  if (!type) return fail(Error{"keeper: empty message", EPROTO});
  switch (*type) {
    case protocol::Type::kKill:
      // pid 1 is exempt from kill(-1): only the run's processes die.
      if (running_) ::kill(-1, SIGKILL);
      return {};
    case protocol::Type::kWipe: {
      if (running_) return fail(Error{"keeper: Wipe during a run", EBUSY});
      // (System V and POSIX IPC objects need nothing here: every run has an IPC namespace
      // of its own, gone with the run's last process; see the exec sequence.)
      auto box = freshWorkDirs(init_);
      if (!box) return fail(box.error());
      work_dirs_.forget();
      return reply(protocol::encodeEmpty(protocol::Type::kReady), box->get());
    }
    default:
      return fail(Error{
          "keeper: unexpected message type " + std::to_string(static_cast<int>(*type)), EPROTO});
  }
}

int Keeper::run() {
  if (auto s = init(); !s) {
    std::fprintf(stderr, "codecanvas-processor: slot %u set-up failed: %s\n", init_.slot,
                 s.error().message.c_str());
    (void)fail(s.error());
    return 1;
  }
  for (;;) {
    pollfd fds[2] = {{sock_, POLLIN, 0}, {signal_fd_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("codecanvas-processor: poll");
      return 1;
    }
    if (fds[1].revents & POLLIN) reapChildren();
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      auto m = receiveMessage(sock_, /*dontwait=*/true);
      if (!m) {
        if (m.error().errno_value == EAGAIN) continue;
        // The controller is gone (or closed the slot): exiting as pid 1 makes the kernel
        // kill every process left in the slot.
        return m.error().errno_value == 0 ? 0 : 1;
      }
      auto type = protocol::typeOf(m->bytes);
      Status s = type == protocol::Type::kRun ? startRun(std::move(m.value())) : handle(m.value());
      if (!s) {
        std::fprintf(stderr, "codecanvas-processor: slot %u: %s\n", init_.slot,
                     s.error().message.c_str());
        return 1;
      }
    }
  }
}

}  // namespace

int keeperMain(int sock) {
  return Keeper(sock).run();
}

}  // namespace codecanvas::processor
