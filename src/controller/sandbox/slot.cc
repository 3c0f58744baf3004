#include "sandbox/slot.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <optional>

#include "dir_names.h"
#include "sandbox/run_series.h"

namespace codecanvas::sandbox {

namespace {
// Building a root is a few dozen mounts; a keeper that needs longer is stuck.
constexpr int kStartTimeoutMs = 10000;
}  // namespace

Slot::Slot(boost::asio::io_context& io, boost::asio::thread_pool& pool, SlotSettings settings,
           cgroup::CgroupTree& cgroups)
    : SlotPort(io), pool_(pool), settings_(std::move(settings)), cgroups_(cgroups) {}

Slot::~Slot() {
  socket_watch_.reset();
  // The keeper first: with it every process of the slot dies, so the cgroup directories
  // the supply removes next are empty.
  keeper_.socket.reset();  // a keeper exits by itself on end of file
  keeper_.process.killAndReap();
  run_cgroups_.reset();
}

Result<std::unique_ptr<Slot>> Slot::create(boost::asio::io_context& io,
                                           boost::asio::thread_pool& pool, SlotSettings settings,
                                           cgroup::CgroupTree& cgroups) {
  std::unique_ptr<Slot> slot(new Slot(io, pool, std::move(settings), cgroups));
  if (auto s = slot->start(); !s)
    return withContext("slot " + std::to_string(slot->index()), s.error());
  return slot;
}

Status Slot::start() {
  auto cg = cgroups_.createSlot(settings_.index);
  if (!cg) return cg.error();
  cgroup::SlotCgroup& slot_cgroup = cg.value();
  const bool v2 = slot_cgroup.usesV2();
  auto keeper = spawnKeeper(settings_.processor_path, v2 ? slot_cgroup.v2SlotDirFd() : -1);
  if (!keeper) {
    (void)slot_cgroup.remove();
    return keeper.error();
  }
  keeper_ = std::move(keeper.value());
  empty_stdin_.reset(::memfd_create("codecanvas-empty-stdin", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!empty_stdin_ || ::fcntl(empty_stdin_.get(), F_ADD_SEALS,
                               F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    (void)slot_cgroup.remove();
    return sysError("memfd_create(empty stdin)");
  }
  // From here on the supply owns the slot's cgroup and removes it with the slot.
  Status s = startKeeper(slot_cgroup);
  run_cgroups_ = std::make_unique<cgroup::RunCgroupSupply>(io(), pool_, std::move(slot_cgroup));
  return s;
}

Status Slot::startKeeper(cgroup::SlotCgroup& slot_cgroup) {
  const bool v2 = slot_cgroup.usesV2();

  protocol::Init init = settings_.init;
  init.slot = settings_.index;
  init.move_to_leaf = v2;
  std::vector<int> fds;
  UniqueFd leaf;
  if (v2) {
    auto procs = slot_cgroup.openKeeperLeafProcs();
    if (!procs) return procs.error();
    leaf = std::move(procs.value());
    fds.push_back(leaf.get());
  }
  auto v1_tasks = slot_cgroup.openV1SlotTasks();
  if (!v1_tasks) return v1_tasks.error();
  init.v1_joins = static_cast<uint8_t>(v1_tasks->size());
  for (const UniqueFd& fd : *v1_tasks) fds.push_back(fd.get());
  if (auto s = sendMessage(keeper_.socket.get(), protocol::encode(init), fds); !s) return s;
  pollfd p{keeper_.socket.get(), POLLIN, 0};
  if (::poll(&p, 1, kStartTimeoutMs) == 0)
    return Error{"keeper did not finish building the slot root within " +
                     std::to_string(kStartTimeoutMs) + " ms",
                 ETIMEDOUT};
  auto reply = receiveMessage(keeper_.socket.get());
  if (!reply) return withContext("keeper set-up", reply.error());
  if (protocol::typeOf(reply->bytes) == protocol::Type::kFailure) {
    protocol::Failure f;
    protocol::decode(reply->bytes, f);
    return Error{"keeper set-up: " + f.message, f.err};
  }
  if (protocol::typeOf(reply->bytes) != protocol::Type::kReady || reply->fds.size() != 1)
    return Error{"keeper set-up: unexpected reply", EPROTO};
  box_ = std::move(reply->fds[0]);
  if (v2) {
    if (auto s = slot_cgroup.enableSubtreeControllers(); !s) return s;
  }
  // asio watches a duplicate, so closing keeper_.socket stays the single owner's job.
  socket_watch_ = std::make_unique<boost::asio::posix::stream_descriptor>(
      io(), ::fcntl(keeper_.socket.get(), F_DUPFD_CLOEXEC, 3));
  return {};
}

void Slot::awaitMessage(std::function<void(Result<Message>)> handler) {
  socket_watch_->async_wait(
      boost::asio::posix::stream_descriptor::wait_read,
      [this, handler = std::move(handler)](const boost::system::error_code& ec) {
        if (ec) {
          handler(Error{"waiting for the keeper: " + ec.message(), ec.value()});
          return;
        }
        auto m = receiveMessage(keeper_.socket.get(), /*dontwait=*/true);
        if (!m && m.error().errno_value == EAGAIN) {
          awaitMessage(handler);
          return;
        }
        handler(std::move(m));
      });
}

Status Slot::send(const std::vector<uint8_t>& bytes, std::span<const int> fds) {
  return sendMessage(keeper_.socket.get(), bytes, fds);
}

Result<const std::vector<uint8_t>*> Slot::seccompProgram(const std::string& policy) const {
  if (settings_.seccomp == nullptr) return Error{"the slot has no seccomp policies", EINVAL};
  return settings_.seccomp->program(policy);
}

void Slot::markBroken(const std::string& why) {
  if (!broken_) std::fprintf(stderr, "codecanvas: slot %u is broken: %s\n", index(), why.c_str());
  broken_ = true;
}

void Slot::asyncRun(RunRequest request, RunHandler done) {
  // A series of one: its result is kept until the slot is free again, then handed over.
  auto result = std::make_shared<RunResult>();
  std::vector<RunRequest> one;
  one.push_back(std::move(request));
  asyncRunSeries(
      std::move(one),
      [result](size_t, RunResult r) {
        *result = std::move(r);
        return true;
      },
      [result, done = std::move(done)] { done(std::move(*result)); });
}

void Slot::asyncRunSeries(std::vector<RunRequest> requests, SeriesHandler each,
                          std::function<void()> end) {
  if (broken_ || busy_) {
    RunResult r;
    if (!requests.empty()) r.limits = requests.front().limits;
    r.error = broken_ ? "sandbox slot is broken" : "sandbox slot is busy";
    boost::asio::post(io(), [each = std::move(each), end = std::move(end), r = std::move(r)] {
      each(0, r);
      end();
    });
    return;
  }
  busy_ = true;
  auto series = std::make_shared<RunSeries>(static_cast<SlotPort&>(*this), std::move(requests),
                                            std::move(each), [this, end = std::move(end)] {
                                              busy_ = false;
                                              end();
                                            });
  series_ = series;
  series->start();
}

void Slot::stopRuns(const std::string& why) {
  if (auto series = series_.lock()) series->stop(why);
}

void Slot::asyncWipe(std::function<void(Status)> done) {
  if (broken_) {
    boost::asio::post(io(), [done = std::move(done)] {
      done(Error{"sandbox slot is broken", EIO});
    });
    return;
  }
  busy_ = true;
  if (auto s = send(protocol::encodeEmpty(protocol::Type::kWipe)); !s) {
    markBroken(s.error().message);
    busy_ = false;
    boost::asio::post(io(), [done = std::move(done), s] { done(s); });
    return;
  }
  awaitMessage([this, done = std::move(done)](Result<Message> m) {
    busy_ = false;
    if (!m) {
      markBroken("wipe: " + m.error().message);
      return done(m.error());
    }
    if (protocol::typeOf(m->bytes) != protocol::Type::kReady || m->fds.size() != 1) {
      protocol::Failure f;
      std::string why = protocol::decode(m->bytes, f) ? f.message : "unexpected reply";
      markBroken("wipe: " + why);
      return done(Error{"wipe: " + why, f.err});
    }
    box_ = std::move(m->fds[0]);
    done(Status{});
  });
}

namespace {

// The names in the directory, sorted.
Result<std::vector<std::string>> sortedNamesIn(int dir_fd, const std::string& what) {
  auto names = namesIn(dir_fd, what);
  if (names) std::sort(names->begin(), names->end());
  return names;
}

// The regular file `name` in `dir_fd` when it is one, opened without following a link:
// the program that made it ran as the slot's uid, so a name may be a link to somewhere
// the server should not read, or a FIFO that would block the read (O_NONBLOCK).
struct OpenedFile {
  UniqueFd fd;
  uint64_t size = 0;
  uint32_t mode = 0;
};
std::optional<OpenedFile> openRegular(int dir_fd, const std::string& name) {
  UniqueFd in(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!in) return std::nullopt;
  struct stat st {};
  if (::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return OpenedFile{std::move(in), static_cast<uint64_t>(st.st_size), st.st_mode & 0777u};
}

// At most `size` bytes of the file (it may have shrunk since its fstat).
Result<std::string> readUpTo(int fd, uint64_t size, const std::string& what) {
  std::string content(static_cast<size_t>(size), '\0');
  size_t got = 0;
  while (got < content.size()) {
    const ssize_t n = ::read(fd, content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysError("read(" + what + ")");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  content.resize(got);
  return content;
}

}  // namespace

Result<std::vector<BoxFile>> Slot::readBoxFiles(const std::vector<std::string>& patterns,
                                                uint64_t max_bytes) const {
  auto names = sortedNamesIn(box_.get(), "/box");
  if (!names) return names.error();
  std::vector<BoxFile> files;
  uint64_t total = 0;
  for (const std::string& name : *names) {
    bool wanted = false;
    for (const auto& p : patterns) wanted = wanted || ::fnmatch(p.c_str(), name.c_str(), 0) == 0;
    if (!wanted) continue;
    auto in = openRegular(box_.get(), name);
    if (!in) continue;
    total += in->size;
    if (total > max_bytes)
      return Error{"the files in /box matching the artifacts exceed " +
                       std::to_string(max_bytes / 1024) + " KiB",
                   EFBIG};
    auto content = readUpTo(in->fd.get(), in->size, "/box/" + name);
    if (!content) return content.error();
    files.push_back(BoxFile{name, std::move(*content), "", in->mode});
  }
  return files;
}

Result<Slot::DirectoryFiles> Slot::readBoxDirectory(const std::string& subdir, size_t max_files,
                                                    uint64_t max_bytes) const {
  DirectoryFiles out;
  if (subdir.empty() || subdir.find('/') != std::string::npos || subdir == "." || subdir == "..")
    return Error{"box directory name must be a plain name: '" + subdir + "'", EINVAL};
  // O_NOFOLLOW: the program may have replaced the directory by a link to the host's.
  UniqueFd dir(
      ::openat(box_.get(), subdir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return out;
  const std::string where = "/box/" + subdir;
  auto names = sortedNamesIn(dir.get(), where);
  if (!names) return names.error();
  uint64_t total = 0;
  for (const std::string& name : *names) {
    auto in = openRegular(dir.get(), name);
    if (!in) continue;
    if (out.files.size() == max_files || total + in->size > max_bytes) {
      out.truncated = true;
      continue;
    }
    auto content = readUpTo(in->fd.get(), in->size, where + "/" + name);
    if (!content) return content.error();
    total += content->size();
    out.files.push_back(BoxFile{name, std::move(*content), "", in->mode});
  }
  return out;
}

Status Slot::copyIn(const BoxFile& file) {
  if (file.name.empty() || file.name.find('/') != std::string::npos || file.name == "." ||
      file.name == "..")
    return Error{"box file name must be a plain file name: '" + file.name + "'", EINVAL};
  // No keeper may be cloned while the file is open for writing (spawnLock).
  std::shared_lock no_spawn(spawnLock());
  if (file.directory) {
    if (::mkdirat(box_.get(), file.name.c_str(), file.mode & 0777) != 0)
      return sysError("mkdirat(/box/" + file.name + ")");
    UniqueFd d(
        ::openat(box_.get(), file.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d || ::fchown(d.get(), settings_.init.uid, settings_.init.gid) != 0 ||
        ::fchmod(d.get(), file.mode & 0777) != 0)
      return sysError("fchown/fchmod(/box/" + file.name + ")");
    return {};
  }
  // /box is a fresh tmpfs that nothing has run in yet, but O_EXCL|O_NOFOLLOW still make
  // sure no name there can redirect the write.
  UniqueFd out(::openat(box_.get(), file.name.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, file.mode & 0777));
  if (!out) return sysError("openat(/box/" + file.name + ", O_CREAT|O_EXCL)");
  auto writeAll = [&](const char* p, size_t n) -> Status {
    while (n > 0) {
      ssize_t w = ::write(out.get(), p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return sysError("write(/box/" + file.name + ")");
      }
      p += w, n -= static_cast<size_t>(w);
    }
    return {};
  };
  if (file.host_path.empty()) {
    if (auto s = writeAll(file.content.data(), file.content.size()); !s) return s;
  } else {
    UniqueFd in(::open(file.host_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) return sysError("open(" + file.host_path + ")");
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(in.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sysError("read(" + file.host_path + ")");
      if (n == 0) break;
      if (auto s = writeAll(buf, static_cast<size_t>(n)); !s) return s;
    }
  }
  // fchmod as well: the process umask may have cleared bits of the requested mode.
  if (::fchown(out.get(), settings_.init.uid, settings_.init.gid) != 0 ||
      ::fchmod(out.get(), file.mode & 0777) != 0)
    return sysError("fchown/fchmod(/box/" + file.name + ")");
  return {};
}

}  // namespace codecanvas::sandbox
