#include "sandbox/keeper_process.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>

namespace codecanvas::sandbox {

Result<KeeperProcess> spawnKeeper(const std::string& processor_path, int cgroup_dir_fd) {
  if (::access(processor_path.c_str(), X_OK) != 0)
    return sysError("access(" + processor_path + ", X_OK): codecanvas-processor not found");
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    return sysError("socketpair(AF_UNIX, SOCK_SEQPACKET)");
  UniqueFd ours(pair[0]), theirs(pair[1]);
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) return sysError("open(/dev/null)");

  // Everything the child needs is prepared here, before clone: it must not allocate.
  const char* argv[] = {"codecanvas-processor", "keeper", nullptr};
  const char* envp[] = {nullptr};
  const char* path = processor_path.c_str();
  int pidfd = -1;
  clone_args args{};
  args.flags =
      CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (cgroup_dir_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_dir_fd);
  }
  // CLONE_VFORK: the parent sleeps until the child has exec'ed, so the lock below covers
  // the whole time the child holds copies of the server's descriptors.
  args.flags |= CLONE_VFORK;
  std::unique_lock lock(spawnLock());
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0)
    return sysError("clone3(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS)");
  if (pid == 0) {
    // Child: stdin/stdout to /dev/null, stderr stays the server's log, the socket on fd 3
    // (dup2 clears close-on-exec; fd 3 might already be the socket, hence the fcntl).
    // A session of its own: the slot's programs must not share the server's process
    // group or terminal (kill(0, ...) from inside would reach the server's group).
    if (::setsid() < 0) ::_exit(126);
    if (::dup2(devnull.get(), 0) < 0 || ::dup2(devnull.get(), 1) < 0) ::_exit(126);
    if (theirs.get() == 3) {
      if (::fcntl(3, F_SETFD, 0) != 0) ::_exit(126);
    } else if (::dup2(theirs.get(), 3) < 0) {
      ::_exit(126);
    }
    ::execve(path, const_cast<char* const*>(argv), const_cast<char* const*>(envp));
    ::_exit(127);
  }
  KeeperProcess k;
  k.process = ChildProcess(static_cast<pid_t>(pid), UniqueFd(pidfd));
  k.socket = std::move(ours);
  return k;
}

std::shared_mutex& spawnLock() {
  static std::shared_mutex lock;
  return lock;
}

}  // namespace codecanvas::sandbox
