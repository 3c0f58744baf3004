#include "sandbox/run_operation.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "sandbox/run_plan.h"

namespace codecanvas::sandbox {

namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

Source sourceOf(cgroup::CgroupVersion v) {
  return v == cgroup::CgroupVersion::kV1 ? Source::kCgroupV1 : Source::kCgroupV2;
}

}  // namespace

RunOperation::RunOperation(SlotPort& slot, RunRequest request, Slot::RunHandler done)
    : slot_(slot),
      request_(std::move(request)),
      done_(std::move(done)),
      out_(slot.io(), 1),
      err_(slot.io(), 2),
      wall_timer_(slot.io()),
      cpu_timer_(slot.io()) {}

cgroup::RunCgroupLimits RunOperation::cgroupLimits() const {
  cgroup::RunCgroupLimits limits;
  limits.memory_bytes = request_.limits.memory_kb * 1024;
  limits.pids = request_.limits.processes;
  return limits;
}

void RunOperation::start() {
  slot_.runCgroups().acquire(
      cgroupLimits(),
      [self = shared_from_this()](Result<cgroup::RunCgroup> cg) { self->launch(std::move(cg)); });
}

void RunOperation::launch(Result<cgroup::RunCgroup> cgroup) {
  if (finished_) {  // ended (cancelled) while the cgroup was being made
    if (cgroup.ok()) slot_.runCgroups().retire(std::move(cgroup.value()));
    return;
  }
  Status s = cgroup.ok() ? Status{} : Status{withContext("run cgroup", cgroup.error())};
  if (cgroup.ok()) {
    cgroup_.emplace(std::move(cgroup.value()));
    if (!cancelled_.empty()) return endWithoutRunning(cancelled_);
    s = preparePlan();
  }
  if (!s) {
    // Nothing was sent: the keeper is as idle as before, and a wired run's partner must
    // see end of file rather than wait for this one.
    request_.stdin_pipe.reset();
    request_.stdout_pipe.reset();
    ended_ = out_.eof = err_.eof = true;
    failInternal(s.error().message, /*slot_broken=*/false);
    return maybeFinish();
  }
  prepared_ = true;
  if (!held_) send();
}

void RunOperation::send() {
  Status s = [&]() -> Status {
    for (const auto& f : request_.files)
      if (auto st = slot_.copyIn(f); !st) return st;
    // Here, with the slot running nothing (a predecessor's figures are read), is the only
    // safe moment to zero a counter and set a limit that every run of the slot shares (v1).
    if (auto st = cgroup_->claimShared(cgroupLimits()); !st)
      return withContext("run cgroup", st.error());
    std::vector<int> fds;
    for (const UniqueFd& fd : plan_fds_) fds.push_back(fd.get());
    if (cgroup_->v2DirFd() >= 0) fds.push_back(cgroup_->v2DirFd());
    const auto tasks = cgroup_->v1TasksFds();
    fds.insert(fds.end(), tasks.begin(), tasks.end());
    if (auto st = slot_.send(plan_bytes_, fds); !st)
      return Error{"sending the run to the keeper: " + st.error().message, EPIPE};
    return {};
  }();
  // Our copies of the write ends close here, so end of file on the pipes means every
  // process of the run has ended.
  plan_fds_.clear();
  plan_bytes_.clear();
  if (!s) {
    live_stdin_.reset();
    ended_ = out_.eof = err_.eof = true;
    failInternal(s.error().message, /*slot_broken=*/s.error().errno_value == EPIPE);
    return maybeFinish();
  }
  sent_ = true;
  // The wall clock and the CPU polls start with the request; the keeper's own measure of
  // the wall time (clone to reap) is the one reported.
  wall_timer_.expires_after(milliseconds(request_.limits.wall_ms));
  wall_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->kill(KillReason::kWall);
  });
  scheduleCpuPoll();
  if (!out_.eof) readStream(out_);  // a wired stdout is the other run's to read
  readStream(err_);
  if (request_.live) {
    request_.live->started(std::move(live_stdin_), [weak = weak_from_this(), &io = slot_.io()] {
      boost::asio::post(io, [weak] {
        if (auto self = weak.lock()) self->kill(KillReason::kRequested);
      });
    });
  }
  slot_.awaitMessage(
      [self = shared_from_this()](Result<Message> m) { self->onMessage(std::move(m)); });
  if (auto hook = std::move(on_sent_)) hook();
}

void RunOperation::chain(std::shared_ptr<RunOperation> next) {
  next->held_ = true;
  successor_ = next;
  next->start();
}

void RunOperation::predecessorEnded() {
  held_ = false;
  if (finished_ || !cancelled_.empty() || !prepared_) return;  // launch() sends it otherwise
  send();
}

void RunOperation::cancel(const std::string& why) {
  if (finished_ || !cancelled_.empty()) return;
  cancelled_ = why;
  if (auto next = std::move(successor_)) next->cancel(why);
  if (sent_) {
    // The keeper's report still ends the run; its figures are not reported.
    failInternal("cancelled: " + why, /*slot_broken=*/false);
    if (!ended_) {
      if (auto s = slot_.send(protocol::encodeEmpty(protocol::Type::kKill)); !s)
        slot_.markBroken("kill: " + s.error().message);
    }
    return;
  }
  // Not prepared yet: launch() ends it. Prepared: it ends from the event loop, so that
  // `done` never runs inside the caller (a series cancelling its runs).
  if (prepared_)
    boost::asio::post(slot_.io(),
                      [self = shared_from_this(), why] { self->endWithoutRunning(why); });
}

void RunOperation::endWithoutRunning(const std::string& why) {
  if (finished_) return;
  plan_fds_.clear();
  plan_bytes_.clear();
  request_.stdin_pipe.reset();  // its partner sees end of file instead of waiting
  request_.stdout_pipe.reset();
  ended_ = out_.eof = err_.eof = true;
  failInternal("not started: " + why, /*slot_broken=*/false);
  maybeFinish();
}

Result<UniqueFd> RunOperation::openStdin() {
  if (request_.stdin_pipe) {
    if (!*request_.stdin_pipe) return Error{"the wired stdin was used before", EBADF};
    return std::move(*request_.stdin_pipe);
  }
  if (request_.live) {
    // A pipe: the session writes what its client types, as it comes. Both ends blocking
    // for now; the session's own I/O makes its end non-blocking.
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return sysError("pipe2(stdin)");
    live_stdin_ = UniqueFd(fds[1]);
    return UniqueFd(fds[0]);
  }
  if (request_.stdin_data.empty() && request_.stdin_path.empty()) {
    // Most runs read no input: one sealed empty memfd per slot serves them all, each run
    // with an open file of its own (read-only), so no offset or flag passes between jobs.
    const std::string path = "/proc/self/fd/" + std::to_string(slot_.emptyStdin());
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sysError("open(" + path + ", O_RDONLY) for the empty stdin");
    return fd;
  }
  if (!request_.stdin_path.empty()) {
    // Only a regular file: a directory fd would reach the host's tree from inside the
    // chroot, a device or FIFO the host's state. O_NONBLOCK so a FIFO cannot stall the
    // event loop before it is refused; a regular file ignores the flag, cleared anyway.
    UniqueFd fd(::open(request_.stdin_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return sysError("open(" + request_.stdin_path + ") for stdin");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return sysError("fstat(" + request_.stdin_path + ")");
    if (!S_ISREG(st.st_mode))
      return Error{"stdin " + request_.stdin_path + " is not a regular file", EINVAL};
    if (::fcntl(fd.get(), F_SETFL, 0) != 0) return sysError("fcntl(stdin, F_SETFL)");
    return fd;
  }
  // A sealed memfd rather than a pipe: no writer to feed, any size, and the program can
  // seek in it as in a file.
  UniqueFd fd(::memfd_create("codecanvas-stdin", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return sysError("memfd_create(stdin)");
  const std::string& d = request_.stdin_data;
  for (size_t off = 0; off < d.size();) {
    ssize_t n = ::write(fd.get(), d.data() + off, d.size() - off);
    if (n < 0) return sysError("write(stdin memfd)");
    off += static_cast<size_t>(n);
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0 ||
      ::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    return sysError("seal(stdin memfd)");
  return fd;
}

Status RunOperation::preparePlan() {
  auto in = openStdin();
  if (!in) return in.error();
  int out_pipe[2], err_pipe[2];
  UniqueFd out_write;
  if (request_.stdout_pipe) {
    if (!*request_.stdout_pipe) return Error{"the wired stdout was used before", EBADF};
    out_write = std::move(*request_.stdout_pipe);
    out_.eof = true;  // nothing of it comes here
  } else {
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return sysError("pipe2(stdout)");
    out_write = UniqueFd(out_pipe[1]);
    out_.pipe.assign(out_pipe[0]);
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return sysError("pipe2(stderr)");
  UniqueFd err_write(err_pipe[1]);
  err_.pipe.assign(err_pipe[0]);

  PlanContext ctx;
  ctx.uid = slot_.uid();
  ctx.gid = slot_.gid();
  ctx.cgroup_limits_memory = cgroup_->limitsMemory();
  ctx.cgroup_v2_dir = cgroup_->v2DirFd() >= 0;
  ctx.v1_tasks_fds = static_cast<uint32_t>(cgroup_->v1TasksFds().size());
  auto seccomp = slot_.seccompProgram(request_.seccomp_policy);
  if (!seccomp) return seccomp.error();
  ctx.seccomp_bpf = seccomp.value();
  plan_bytes_ = protocol::encode(buildRunPlan(request_, ctx));
  // Checked here, before anything is sent: a message the socket refuses would look like a
  // lost keeper and cost the slot. The API keeps requests far below this.
  if (plan_bytes_.size() > kMaxMessageBytes)
    return Error{"the run's plan takes " + std::to_string(plan_bytes_.size()) +
                     " bytes, more than a keeper message carries (" +
                     std::to_string(kMaxMessageBytes) + "); fewer or shorter arguments",
                 EMSGSIZE};
  // In the order the plan expects them: stdin, stdout, stderr (then the cgroup's own).
  plan_fds_.push_back(std::move(in.value()));
  plan_fds_.push_back(std::move(out_write));
  plan_fds_.push_back(std::move(err_write));
  return {};
}

void RunOperation::onMessage(Result<Message> m) {
  ended_ = true;
  wall_timer_.cancel();
  cpu_timer_.cancel();
  // Every process of the run is gone: what is left in the pipes is bounded by their size.
  resume(out_);
  resume(err_);
  auto next = std::move(successor_);
  if (!m) {
    if (next) next->cancel("the run before it failed");
    failInternal("lost the slot keeper: " + m.error().message, /*slot_broken=*/true);
    return maybeFinish();
  }
  auto type = protocol::typeOf(m->bytes);
  if (type == protocol::Type::kExited && protocol::decode(m->bytes, exit_)) {
    // The figures first: the next run zeroes a counter the slot's runs share (v1 CPU).
    if (cgroup_) usage_ = cgroup_->readUsage();
    if (exit_.reset_errno != 0) {
      // The run's result stands; the slot, whose /box or /tmp may still hold what this
      // run left, runs nothing more.
      slot_.markBroken("taking back /box and /tmp after the run failed: " +
                       errnoText(exit_.reset_errno));
      if (next) next->cancel("the slot could not be cleaned after the run before it");
      return maybeFinish();
    }
    if (next) next->predecessorEnded();
    return maybeFinish();
  }
  if (next) next->cancel("the run before it failed");
  protocol::StepFailure sf;
  if (type == protocol::Type::kStartFailed && protocol::decode(m->bytes, sf)) {
    start_failure_ = sf;
    return maybeFinish();
  }
  protocol::Failure f;
  failInternal(
      "keeper refused the run: " + (protocol::decode(m->bytes, f) ? f.message : "unexpected reply"),
      /*slot_broken=*/true);
  maybeFinish();
}

void RunOperation::readStream(Stream& s) {
  s.pipe.async_read_some(boost::asio::buffer(s.buffer), [self = shared_from_this(), &s](
                                                            const boost::system::error_code& ec,
                                                            size_t n) {
    if (ec) {
      s.eof = true;
      return self->maybeFinish();
    }
    const size_t cap = self->request_.limits.output_kb * 1024;
    const size_t room = cap > s.data.size() ? cap - s.data.size() : 0;
    const size_t kept = std::min(n, room);
    s.data.append(s.buffer.data(), kept);
    if (n > room) {
      s.truncated = true;
      self->kill(KillReason::kOutput);
    }
    if (self->request_.live && kept > 0) {
      std::string chunk(s.buffer.data(), kept);
      if (self->ended_) {
        self->request_.live->output(s.number, std::move(chunk), {});
      } else {
        s.paused = true;
        self->request_.live->output(s.number, std::move(chunk),
                                    [weak = self->weak_from_this(), &s, &io = self->slot_.io()] {
                                      boost::asio::post(io, [weak, &s] {
                                        if (auto op = weak.lock()) op->resume(s);
                                      });
                                    });
        return;
      }
    }
    self->readStream(s);
  });
}

void RunOperation::resume(Stream& s) {
  if (!s.paused) return;
  s.paused = false;
  readStream(s);
}

// The CPU counter is polled rather than waited for: the kernel has no "CPU limit
// reached" event. The interval shrinks near the limit so a busy loop on every core is
// caught within a few milliseconds of CPU time.
void RunOperation::scheduleCpuPoll() {
  if (!cgroup_ || !cgroup_->measuresCpu() || ended_) return;
  auto used = cgroup_->cpuNs();
  const uint64_t limit_ns = request_.limits.cpu_ms * 1000000ull;
  if (used && *used > limit_ns) return kill(KillReason::kCpu);
  const uint64_t remaining_us = used ? (limit_ns - *used) / 1000 : 5000;
  const auto interval = microseconds(std::clamp<uint64_t>(remaining_us / 4, 500, 5000));
  cpu_timer_.expires_after(interval);
  cpu_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->scheduleCpuPoll();
  });
}

void RunOperation::kill(KillReason reason) {
  if (killed_ != KillReason::kNone || ended_) return;
  killed_ = reason;
  if (auto s = slot_.send(protocol::encodeEmpty(protocol::Type::kKill)); !s)
    slot_.markBroken("kill: " + s.error().message);
}

void RunOperation::maybeFinish() {
  if (ended_ && out_.eof && err_.eof && !finished_) finish();
}

void RunOperation::failInternal(const std::string& why, bool slot_broken) {
  if (internal_error_.empty()) internal_error_ = why;
  if (slot_broken) slot_.markBroken(why);
}

void RunOperation::finish() {
  finished_ = true;
  RunResult r;
  r.limits = request_.limits;
  r.stdout_data = std::move(out_.data);
  r.stderr_data = std::move(err_.data);
  r.stdout_truncated = out_.truncated;
  r.stderr_truncated = err_.truncated;
  if (!internal_error_.empty() || start_failure_) {
    r.status = RunStatus::kInternalError;
    if (start_failure_) {
      r.failed_step = protocol::stepName(start_failure_->step);
      r.failed_errno = start_failure_->err;
      r.error = "could not start the program: " + r.failed_step + ": " + errnoText(r.failed_errno);
    } else {
      r.error = "sandbox failure: " + internal_error_;
    }
  } else {
    const cgroup::CgroupLayout& layout = slot_.cgroupLayout();
    cgroup::RunUsage usage = usage_ ? *usage_ : cgroup_->readUsage();
    if (usage.cpu_ns) {
      r.time_ms = static_cast<double>(*usage.cpu_ns) / 1e6;
      r.cpu_source = sourceOf(layout.cpu.version);
    } else {
      r.time_ms = static_cast<double>(exit_.user_ns + exit_.system_ns) / 1e6;
      r.cpu_source = Source::kRusage;
    }
    if (usage.memory_peak_bytes) {
      r.memory_kb = *usage.memory_peak_bytes / 1024;
      r.memory_source = sourceOf(layout.memory.version);
    } else {
      r.memory_kb = exit_.max_rss_kb;
      r.memory_source = Source::kRusage;
    }
    r.wall_ms = static_cast<double>(exit_.wall_ns) / 1e6;
    r.leftover_processes = exit_.leftover;
    const int ws = exit_.wait_status;
    if (WIFEXITED(ws)) r.exit_code = WEXITSTATUS(ws);
    if (WIFSIGNALED(ws)) r.signal = WTERMSIG(ws);
    VerdictInput v;
    v.wait_status = ws;
    v.killed = killed_;
    v.output_cut = r.stdout_truncated || r.stderr_truncated;
    v.cpu_ns =
        usage.cpu_ns ? usage.cpu_ns : std::optional<uint64_t>(exit_.user_ns + exit_.system_ns);
    v.cpu_limit_ns = request_.limits.cpu_ms * 1000000ull;
    v.oom_kills = usage.oom_kills;
    v.memory_peak_bytes = usage.memory_peak_bytes;
    v.memory_limit_bytes = request_.limits.memory_kb * 1024;
    r.status = decideStatus(v);
    r.error = statusMessage(r.status, request_.limits, r.exit_code, r.signal);
  }
  if (cgroup_) slot_.runCgroups().retire(std::move(*cgroup_));
  auto done = std::move(done_);
  done(std::move(r));
}

}  // namespace codecanvas::sandbox
