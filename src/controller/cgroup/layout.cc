#include "cgroup/layout.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <ctime>
#include <limits>
#include <vector>

namespace codecanvas::cgroup {
namespace {

// ---- parsing ------------------------------------------------------------------------

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    size_t end = text.find(sep);
    std::string_view part = text.substr(0, end);
    if (!part.empty()) parts.push_back(part);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return parts;
}

bool hasToken(std::string_view list, std::string_view token, char sep) {
  for (std::string_view t : split(list, sep)) {
    if (t == token) return true;
  }
  return false;
}

// mountinfo escapes space, tab, newline and backslash in paths as \ooo octal.
std::string unescapeMountPath(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 3 < in.size()) {
      int v = 0;
      bool octal = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = in[i + k];
        if (c < '0' || c > '7') octal = false;
        v = v * 8 + (c - '0');
      }
      if (octal && v < 256) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

struct CgroupMount {
  bool v2 = false;
  std::string root;        // the sub-tree of the hierarchy the mount shows
  std::string point;       // where it is mounted
  std::string super_opts;  // v1: lists the controllers, e.g. "rw,cpu,cpuacct"
};

// "36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid shared:9 - cgroup cgroup rw,memory"
// The optional fields before " - " vary in number, so find the separator first.
std::optional<CgroupMount> parseMountLine(std::string_view line) {
  std::vector<std::string_view> f = split(line, ' ');
  size_t sep = 0;
  for (size_t i = 6; i < f.size(); ++i) {
    if (f[i] == "-") {
      sep = i;
      break;
    }
  }
  if (sep == 0 || sep + 3 >= f.size()) return std::nullopt;
  std::string_view fstype = f[sep + 1];
  if (fstype != "cgroup" && fstype != "cgroup2") return std::nullopt;
  CgroupMount m;
  m.v2 = fstype == "cgroup2";
  m.root = unescapeMountPath(f[3]);
  m.point = unescapeMountPath(f[4]);
  m.super_opts = std::string(f[sep + 3]);
  if (m.root.empty() || m.root[0] != '/' || m.point.empty() || m.point[0] != '/') {
    return std::nullopt;
  }
  return m;
}

struct CgroupLine {
  bool v2 = false;          // "0::/path"
  std::string controllers;  // v1: "cpu,cpuacct"
  std::string path;
};

// "4:memory:/process_api/6f76" or "0::/system.slice/x.service"; the path may contain ':'.
std::optional<CgroupLine> parseCgroupLine(std::string_view line) {
  size_t c1 = line.find(':');
  if (c1 == std::string_view::npos || c1 == 0) return std::nullopt;
  size_t c2 = line.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  std::string_view id = line.substr(0, c1);
  for (char c : id) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  CgroupLine l;
  l.controllers = std::string(line.substr(c1 + 1, c2 - c1 - 1));
  l.path = std::string(line.substr(c2 + 1));
  l.v2 = id == "0" && l.controllers.empty();
  if (l.path.empty() || l.path[0] != '/') return std::nullopt;
  return l;
}

// The process's cgroup relative to what the mount shows. nullopt when the mount does not
// contain it, or when the path escapes upwards ("/../.."), which /proc/self/cgroup shows
// for a process outside its cgroup namespace's root: such a cgroup is not reachable.
std::optional<std::string> relativeToMount(const std::string& path, const std::string& root) {
  for (std::string_view part : split(path, '/')) {
    if (part == "..") return std::nullopt;
  }
  if (root == "/") return path;
  if (path == root) return "/";
  if (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
      path[root.size()] == '/') {
    return path.substr(root.size());
  }
  return std::nullopt;
}

std::optional<Placement> findV1(const std::vector<CgroupMount>& mounts,
                                const std::vector<CgroupLine>& lines, std::string_view ctl) {
  for (const CgroupLine& line : lines) {
    if (line.v2 || !hasToken(line.controllers, ctl, ',')) continue;
    for (const CgroupMount& m : mounts) {
      if (m.v2 || !hasToken(m.super_opts, ctl, ',')) continue;
      if (auto own = relativeToMount(line.path, m.root)) {
        return Placement{CgroupVersion::kV1, m.point, *own};
      }
    }
  }
  return std::nullopt;
}

std::optional<Placement> findV2(const std::vector<CgroupMount>& mounts,
                                const std::vector<CgroupLine>& lines) {
  for (const CgroupLine& line : lines) {
    if (!line.v2) continue;
    for (const CgroupMount& m : mounts) {
      if (!m.v2) continue;
      if (auto own = relativeToMount(line.path, m.root)) {
        return Placement{CgroupVersion::kV2, m.point, *own};
      }
    }
  }
  return std::nullopt;
}

bool isSpace(char c) {
  return c == ' ' || c == '\n' || c == '\t';
}

// cgroup.controllers: "cpuset cpu io memory pids\n"
bool hasWord(std::string_view text, std::string_view word) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isSpace(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !isSpace(text[i])) ++i;
    if (i > start && text.substr(start, i - start) == word) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Reads a whole procfs file; these are generated on read and may exceed one page.
Result<std::string> readWholeFile(const char* path) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return sysError(std::string("open(") + path + ", O_RDONLY)");
  std::string text;
  std::array<char, 4096> buf;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysError(std::string("read(") + path + ")");
    if (n == 0) break;
    text.append(buf.data(), static_cast<size_t>(n));
  }
  return text;
}

std::string joinPath(const std::string& dir, const char* name) {
  std::string p = dir;
  if (p.empty() || p.back() != '/') p += '/';
  return p + name;
}

}  // namespace

const char* cgroupVersionName(CgroupVersion version) {
  switch (version) {
    case CgroupVersion::kV1:
      return "v1";
    case CgroupVersion::kV2:
      return "v2";
    case CgroupVersion::kNone:
      break;
  }
  return "none";
}

std::string Placement::ownDir() const {
  if (own.empty() || own == "/") return mount;
  if (!mount.empty() && mount.back() == '/') return mount + own.substr(1);
  return mount + own;
}

std::string CgroupLayout::describe() const {
  return std::string("memory=") + cgroupVersionName(memory.version) +
         " pids=" + cgroupVersionName(pids.version) + " cpu=" + cgroupVersionName(cpu.version);
}

CgroupLayout parseCgroupLayout(
    std::string_view mountinfo, std::string_view self_cgroup,
    const std::function<std::string(const std::string&)>& readV2Controllers) {
  std::vector<CgroupMount> mounts;
  for (std::string_view line : split(mountinfo, '\n')) {
    if (auto m = parseMountLine(line)) mounts.push_back(std::move(*m));
  }
  std::vector<CgroupLine> lines;
  for (std::string_view line : split(self_cgroup, '\n')) {
    if (auto l = parseCgroupLine(line)) lines.push_back(std::move(*l));
  }

  CgroupLayout layout;
  std::optional<Placement> v2 = findV2(mounts, lines);
  std::string v2_controllers;
  if (v2 && readV2Controllers) v2_controllers = readV2Controllers(v2->ownDir());

  auto place = [&](std::string_view ctl, std::string_view v2_name) -> Placement {
    if (auto p = findV1(mounts, lines, ctl)) return *p;
    // An empty v2_name means "always available on v2" (cpu.stat is a core file).
    if (v2 && (v2_name.empty() || hasWord(v2_controllers, v2_name))) return *v2;
    return Placement{};
  };
  layout.memory = place("memory", "memory");
  layout.pids = place("pids", "pids");
  layout.cpu = place("cpuacct", "");
  return layout;
}

Result<CgroupLayout> detectCgroupLayout() {
  Result<std::string> mountinfo = readWholeFile("/proc/self/mountinfo");
  if (!mountinfo) return mountinfo.error();
  Result<std::string> self_cgroup = readWholeFile("/proc/self/cgroup");
  if (!self_cgroup) {
    // A kernel built without cgroups has no /proc/self/cgroup: nothing is served.
    if (self_cgroup.error().errno_value == ENOENT) return CgroupLayout{};
    return self_cgroup.error();
  }
  auto read_controllers = [](const std::string& dir) -> std::string {
    Result<std::string> text = readWholeFile(joinPath(dir, "cgroup.controllers").c_str());
    return text ? std::move(text).value() : std::string();
  };
  return parseCgroupLayout(*mountinfo, *self_cgroup, read_controllers);
}

// ---- cgroup file access -------------------------------------------------------------

Result<CgroupDir> openCgroupDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sysError("open(" + path + ", O_RDONLY|O_DIRECTORY)");
  return CgroupDir{path, std::move(fd)};
}

Result<CgroupDir> makeCgroupDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0) return sysError("mkdir(" + path + ")");
  return openCgroupDir(path);
}

Result<CgroupDir> makeCgroupSubdir(const CgroupDir& parent, const std::string& name) {
  std::string path = joinPath(parent.path, name.c_str());
  if (::mkdirat(parent.fd.get(), name.c_str(), 0755) != 0) return sysError("mkdir(" + path + ")");
  UniqueFd fd(::openat(parent.fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sysError("open(" + path + ", O_RDONLY|O_DIRECTORY)");
  return CgroupDir{std::move(path), std::move(fd)};
}

Result<UniqueFd> openCgroupFile(const CgroupDir& dir, const char* name, int flags) {
  UniqueFd fd(::openat(dir.fd.get(), name, flags | O_CLOEXEC));
  if (!fd) {
    return sysError("open(" + joinPath(dir.path, name) +
                    ((flags & O_ACCMODE) == O_WRONLY ? ", O_WRONLY)" : ", O_RDONLY)"));
  }
  return fd;
}

namespace {

int keptFd(const CgroupDir& dir, const char* name) {
  for (const auto& [kept_name, fd] : dir.kept)
    if (kept_name == name) return fd.get();
  return -1;
}

}  // namespace

Status keepCgroupFiles(CgroupDir& dir, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    // Read-write where the file allows it (limits, and v1's resettable peaks).
    UniqueFd fd(::openat(dir.fd.get(), name, O_RDWR | O_CLOEXEC));
    if (!fd && errno != ENOENT) fd.reset(::openat(dir.fd.get(), name, O_RDONLY | O_CLOEXEC));
    if (!fd && errno == ENOENT) continue;
    if (!fd) return sysError("open(" + joinPath(dir.path, name) + ")");
    dir.kept.emplace_back(name, std::move(fd));
  }
  return {};
}

Result<std::string> readCgroupFile(const CgroupDir& dir, const char* name) {
  UniqueFd opened;
  int fd = keptFd(dir, name);
  if (fd < 0) {
    Result<UniqueFd> f = openCgroupFile(dir, name, O_RDONLY);
    if (!f) return f.error();
    opened = std::move(f.value());
    fd = opened.get();
  }
  constexpr size_t kMaxSize = 64 * 1024;
  std::string text;
  std::array<char, 4096> buf;
  while (text.size() < kMaxSize) {
    // pread from where the text ends: a kept fd is read again from offset 0 each time.
    ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysError("read(" + joinPath(dir.path, name) + ")");
    if (n == 0) break;
    text.append(buf.data(), static_cast<size_t>(n));
  }
  return text;
}

Status writeCgroupFileIfPresent(const CgroupDir& dir, const char* name, std::string_view value,
                                bool* existed) {
  UniqueFd opened;
  int fd = keptFd(dir, name);
  if (fd < 0) {
    opened.reset(::openat(dir.fd.get(), name, O_WRONLY | O_CLOEXEC));
    if (existed != nullptr) *existed = opened || errno != ENOENT;
    if (!opened && existed != nullptr && errno == ENOENT) return {};
    if (!opened) return sysError("open(" + joinPath(dir.path, name) + ", O_WRONLY)");
    fd = opened.get();
  } else if (existed != nullptr) {
    *existed = true;
  }
  // The kernel parses one value per write(2) call, so never split it.
  ssize_t n = ::pwrite(fd, value.data(), value.size(), 0);
  if (n != static_cast<ssize_t>(value.size())) {
    int err = n < 0 ? errno : EIO;
    return sysError("write(" + joinPath(dir.path, name) + ", \"" + std::string(value) + "\")", err);
  }
  return {};
}

Status writeCgroupFile(const CgroupDir& dir, const char* name, std::string_view value) {
  return writeCgroupFileIfPresent(dir, name, value, nullptr);
}

Result<uint64_t> preadCgroupUint(int fd, const char* path, std::string_view key) {
  // cpu.stat is about ten short lines; 1 KiB holds it, and usage_usec comes first anyway.
  std::array<char, 1024> buf;
  ssize_t n;
  do {
    n = ::pread(fd, buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sysError(std::string("pread(") + path + ")");
  std::string_view text(buf.data(), static_cast<size_t>(n));
  std::optional<uint64_t> v = key.empty() ? parseCgroupUint(text) : parseKeyedValue(text, key);
  if (!v) {
    return Error{std::string("parse(") + path + "): no number" +
                     (key.empty() ? std::string() : " for " + std::string(key)),
                 0};
  }
  return *v;
}

std::optional<uint64_t> parseCgroupUint(std::string_view text) {
  text = trim(text);
  if (text == "max") return std::numeric_limits<uint64_t>::max();
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<uint64_t> parseKeyedValue(std::string_view text, std::string_view key) {
  for (std::string_view line : split(text, '\n')) {
    size_t space = line.find(' ');
    if (space == std::string_view::npos || line.substr(0, space) != key) continue;
    return parseCgroupUint(line.substr(space + 1));
  }
  return std::nullopt;
}

Status removeCgroupDir(const std::string& path) {
  constexpr int kMaxTries = 12;  // 0.1 ms doubling: about 200 ms in all
  long delay_ns = 100'000;
  for (int attempt = 1;; ++attempt) {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || attempt == kMaxTries) {
      Error e = sysError("rmdir(" + path + ")");
      if (e.errno_value == EBUSY) e.message += " (processes still in it)";
      return e;
    }
    timespec ts{0, delay_ns};
    ::nanosleep(&ts, nullptr);
    delay_ns = std::min(delay_ns * 2, 50'000'000L);
  }
}

Status removeCgroupTree(const std::string& path) {
  std::vector<std::string> children;
  if (DIR* d = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        struct stat st;
        is_dir =
            ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
      }
      if (is_dir) children.push_back(joinPath(path, e->d_name));
    }
    ::closedir(d);
  } else if (errno == ENOENT) {
    return {};
  } else {
    return sysError("opendir(" + path + ")");
  }
  Status first;
  for (const std::string& child : children) {
    Status s = removeCgroupTree(child);
    if (!s && first) first = s;
  }
  if (!first) return first;
  return removeCgroupDir(path);
}

}  // namespace codecanvas::cgroup
