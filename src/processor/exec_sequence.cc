#include "exec_sequence.h"

#include "common/seccomp_program.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <grp.h>
#include <cerrno>
#include <cstring>

namespace codecanvas::processor {

using protocol::Step;

Result<PreparedPlan> PreparedPlan::prepare(protocol::RunPlan plan, std::vector<UniqueFd> fds,
                                           int cap_last) {
  if (plan.argv.empty() || plan.argv[0].empty()) return Error{"run plan has an empty argv", EINVAL};
  // The whole point of a slot is an unprivileged identity; a plan that would run the
  // program as root is a controller bug, refused here rather than trusted.
  if (plan.uid == 0 || plan.gid == 0) return Error{"run plan asks for uid or gid 0", EPERM};
  const size_t expected = 3 + (plan.cgroup_v2_dir ? 1 : 0) + plan.v1_tasks_fds;
  if (fds.size() != expected) {
    return Error{
        "run plan expects " + std::to_string(expected) + " fds, got " + std::to_string(fds.size()),
        EINVAL};
  }
  // Never fail open: a plan without a seccomp program is a controller bug.
  if (plan.seccomp_bpf.empty()) return Error{"run plan has no seccomp program", EINVAL};
  if (checkSeccompProgram(plan.seccomp_bpf.data(), plan.seccomp_bpf.size()) != 0)
    return Error{"run plan has a malformed seccomp program", EINVAL};
  PreparedPlan p;
  p.plan_ = std::move(plan);
  p.fds_ = std::move(fds);
  size_t next = 3;
  if (p.plan_.cgroup_v2_dir) p.cgroup_dir_ = std::move(p.fds_[next++]);
  for (; next < p.fds_.size(); ++next) p.tasks_.push_back(p.fds_[next].get());
  for (const auto& a : p.plan_.argv) p.argv_.push_back(a.c_str());
  p.argv_.push_back(nullptr);
  p.search_path_ = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& e : p.plan_.env) {
    p.envp_.push_back(e.c_str());
    if (e.rfind("PATH=", 0) == 0) p.search_path_ = e.substr(5);
  }
  p.envp_.push_back(nullptr);
  p.exec_.cap_last = cap_last;
  return p;
}

const ExecPlan& PreparedPlan::execPlan(int error_fd) {
  exec_.argv = argv_.data();
  exec_.envp = envp_.data();
  exec_.search_path = search_path_.c_str();
  exec_.cwd = plan_.cwd.c_str();
  exec_.rlimits = plan_.rlimits.data();
  exec_.rlimit_count = plan_.rlimits.size();
  exec_.nice = plan_.nice;
  exec_.uid = plan_.uid;
  exec_.gid = plan_.gid;
  exec_.stdin_fd = fds_[0].get();
  exec_.stdout_fd = fds_[1].get();
  exec_.stderr_fd = fds_[2].get();
  exec_.error_fd = error_fd;
  exec_.tasks_fds = tasks_.data();
  exec_.tasks_count = tasks_.size();
  exec_.seccomp_bpf = plan_.seccomp_bpf.data();
  exec_.seccomp_size = plan_.seccomp_bpf.size();
  return exec_;
}

namespace {

// Reports the failed step through the error pipe and ends the child. 127 mirrors the
// shell's "could not execute"; the keeper reads the pipe, not the exit code.
[[noreturn]] void fail(int error_fd, Step step, int err) noexcept {
  protocol::StepFailure f{step, err};
  [[maybe_unused]] ssize_t n = ::write(error_fd, &f, sizeof f);
  ::_exit(127);
}

bool capabilitiesAreEmpty() noexcept {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  for (const auto& d : data)
    if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0) return false;
  return true;
}

int clearCapabilities() noexcept {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capset, &header, data) != 0) return errno;
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return errno;
  return capabilitiesAreEmpty() ? 0 : EPERM;
}

// execvpe without allocation: PATH entries are joined in a stack buffer.
int execSearching(const ExecPlan& p) noexcept {
  const char* name = p.argv[0];
  auto* argv = const_cast<char* const*>(p.argv);
  auto* envp = const_cast<char* const*>(p.envp);
  if (std::strchr(name, '/') != nullptr) {
    ::execve(name, argv, envp);
    return errno;
  }
  int result = ENOENT;
  char buf[4096];
  const size_t name_len = std::strlen(name);
  for (const char* dir = p.search_path; *dir != '\0';) {
    const char* end = std::strchr(dir, ':');
    size_t len = end != nullptr ? static_cast<size_t>(end - dir) : std::strlen(dir);
    if (len > 0 && len + 1 + name_len < sizeof buf) {
      std::memcpy(buf, dir, len);
      buf[len] = '/';
      std::memcpy(buf + len + 1, name, name_len + 1);
      ::execve(buf, argv, envp);
      // Keep looking past a missing file; remember a permission problem for the report.
      if (errno == EACCES)
        result = EACCES;
      else if (errno != ENOENT && errno != ENOTDIR)
        return errno;
    }
    if (end == nullptr) break;
    dir = end + 1;
  }
  return result;
}

// Puts stdin/stdout/stderr in place and the error pipe on fd 3. The sources were received
// over the keeper socket, so they are all >= 3 and never collide with 0..2.
int setUpStdio(const ExecPlan& p, int& error_fd) noexcept {
  if (::dup2(p.stdin_fd, 0) < 0 || ::dup2(p.stdout_fd, 1) < 0 || ::dup2(p.stderr_fd, 2) < 0) {
    return errno;
  }
  if (error_fd != 3) {
    if (::dup3(error_fd, 3, O_CLOEXEC) < 0) return errno;
    error_fd = 3;
  }
  ::umask(022);
  return 0;
}

}  // namespace

// The exec sequence. One step a line; the comments say why each must come where it is.
[[noreturn]] void runChild(const ExecPlan& p) noexcept {
  int err_fd = p.error_fd;
  // Join the run's cgroup (v1) before anything else, so that every page and every CPU
  // cycle from here on, the exec'ed program's included, is counted and limited by the
  // run. Writing "0" to `tasks` moves just this thread without the cgroup.procs stall.
  for (size_t i = 0; i < p.tasks_count; ++i)
    if (::write(p.tasks_fds[i], "0", 1) != 1) fail(err_fd, Step::kJoinCgroup, errno);
  // An IPC namespace of the run's own, while still root (it needs CAP_SYS_ADMIN) and after
  // the cgroup join (its memory is the run's): System V shared memory, queues and
  // semaphores and POSIX message queues outlive the processes that made them. In a
  // namespace of their own they die with the run's last process, so a run can neither
  // pin memory outside every limit nor pass data to the next run (a judge's next test).
  if (::unshare(CLONE_NEWIPC) != 0) fail(err_fd, Step::kIpcNamespace, errno);
  // The keeper blocks SIGCHLD for its signalfd; the mask survives execve, so clear it.
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) fail(err_fd, Step::kSignalMask, errno);
  // rlimits while still root: lowering is always allowed, but the plan may also raise a
  // hard limit above the keeper's, which needs CAP_SYS_RESOURCE.
  for (size_t i = 0; i < p.rlimit_count; ++i) {
    rlimit l{p.rlimits[i].soft, p.rlimits[i].hard};
    if (::setrlimit(static_cast<__rlimit_resource>(p.rlimits[i].resource), &l) != 0)
      fail(err_fd, Step::kRlimits, errno);
  }
  // Below the supervisors' priority, while still root (lowering niceness later would need
  // CAP_SYS_NICE): the controller's timers and the keeper must win the CPU from a program
  // that keeps every core busy, or the CPU limit is enforced late.
  if (::setpriority(PRIO_PROCESS, 0, p.nice) != 0) fail(err_fd, Step::kNice, errno);
  // The bounding set must be empty, so that no exec can ever regain a capability. The
  // keeper emptied its own once at start-up (each PR_CAPBSET_DROP commits new credentials,
  // 41 of them cost about 120 us per run) and children inherit it; check, don't trust.
  for (int cap = 0; cap <= p.cap_last; ++cap)
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 0) fail(err_fd, Step::kBoundingSet, EPERM);
  // Groups, then gid, then uid: the first two need CAP_SETGID, which the uid change ends.
  const gid_t groups[1] = {p.gid};
  if (::setgroups(1, groups) != 0) fail(err_fd, Step::kGroups, errno);
  if (::setresgid(p.gid, p.gid, p.gid) != 0) fail(err_fd, Step::kGid, errno);
  if (::setresuid(p.uid, p.uid, p.uid) != 0) fail(err_fd, Step::kUid, errno);
  // Leaving uid 0 already cleared the permitted and effective sets; clear inheritable and
  // ambient too and check, rather than trust, that nothing is left.
  if (int e = clearCapabilities(); e != 0) fail(err_fd, Step::kCapabilities, e);
  // no_new_privs: setuid binaries and file capabilities stop working, and an unprivileged
  // process may install the seccomp filter below.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(err_fd, Step::kNoNewPrivs, errno);
  // chdir as the sandbox user, so the directory's permissions are checked for that user.
  if (::chdir(p.cwd) != 0) fail(err_fd, Step::kChdir, errno);
  if (int e = setUpStdio(p, err_fd); e != 0) fail(err_fd, Step::kStdio, e);
  // Nothing but stdio and the close-on-exec error pipe crosses into the program.
  if (::close_range(4, ~0U, 0) != 0) fail(err_fd, Step::kCloseFds, errno);
  // seccomp last: once installed, the policy also binds this code, and every call above
  // (setresuid, prctl, close_range) may be one it refuses.
  if (int e = installSeccompProgram(p.seccomp_bpf, p.seccomp_size); e != 0)
    fail(err_fd, Step::kSeccomp, e);
  fail(err_fd, Step::kExecve, execSearching(p));
}

}  // namespace codecanvas::processor
