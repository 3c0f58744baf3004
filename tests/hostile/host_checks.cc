#include "host_checks.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace codecanvas::hostile {

namespace fs = std::filesystem;

namespace {

std::string readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool isAllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Mount points of every cgroup (v1) and cgroup2 file system, from /proc/self/mountinfo.
std::vector<std::string> cgroupMounts() {
  std::vector<std::string> mounts;
  std::istringstream info(readWhole("/proc/self/mountinfo"));
  for (std::string line; std::getline(info, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    const auto dash = std::find(w.begin(), w.end(), "-");
    if (w.size() < 5 || dash == w.end() || dash + 1 == w.end()) continue;
    if (dash[1] == "cgroup" || dash[1] == "cgroup2") mounts.push_back(w[4]);
  }
  return mounts;
}

std::vector<std::string> subdirectories(const std::string& path) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    if (e.is_directory(ec)) names.push_back(e.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Adds a problem when the cgroup `dir` holds a process.
void expectNoProcess(const std::string& dir, CgroupState& state) {
  std::string procs = readWhole(dir + "/cgroup.procs");
  std::replace(procs.begin(), procs.end(), '\n', ' ');
  if (!procs.empty()) state.problems.push_back(dir + " still holds processes: " + procs);
}

// The parent pid from /proc/<pid>/status, or "" when the process is gone.
std::string parentOf(const std::string& pid) {
  std::istringstream status(readWhole("/proc/" + pid + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("PPid:", 0) == 0) {
      std::string ppid = line.substr(5);
      ppid.erase(0, ppid.find_first_not_of(" \t"));
      return ppid;
    }
  }
  return "";
}

// Adds a problem when the cgroup `dir` holds anything but the slot's keeper: at most one
// process, a child of the server itself (a program's processes descend from the keeper).
// The keeper lives in the slot directory of each v1 hierarchy and in <slot>/keeper on v2.
void expectOnlyKeeper(const std::string& dir, const std::string& server_pid, CgroupState& state) {
  std::istringstream procs(readWhole(dir + "/cgroup.procs"));
  std::vector<std::string> pids;
  for (std::string pid; procs >> pid;) pids.push_back(pid);
  std::string others;
  for (const auto& pid : pids) {
    const std::string ppid = parentOf(pid);
    if (!ppid.empty() && ppid != server_pid) others += " " + pid + " (parent " + ppid + ")";
  }
  if (!others.empty())
    state.problems.push_back(dir + " holds processes other than the keeper:" + others);
  else if (pids.size() > 1)
    state.problems.push_back(dir + " holds " + std::to_string(pids.size()) +
                             " processes; only the keeper may be there");
}

void inspectSlot(const std::string& slot, const std::string& server_pid, CgroupState& state) {
  expectOnlyKeeper(slot, server_pid, state);
  const auto children = subdirectories(slot);
  int runs = 0;
  bool shared = false;
  for (const auto& name : children) {
    state.listing += " " + slot + "/" + name;
    if (name.rfind("run-", 0) == 0) {
      ++runs;
      expectNoProcess(slot + "/" + name, state);
    } else if (name == "shared") {
      shared = true;
      expectNoProcess(slot + "/" + name, state);
    } else if (name == "keeper") {  // v2: the keeper's own leaf
      expectOnlyKeeper(slot + "/" + name, server_pid, state);
    } else {
      state.problems.push_back("unexpected cgroup " + slot + "/" + name);
    }
  }
  state.run_dirs += runs;
  if (shared && runs != 0)
    state.problems.push_back(slot + " has a shared run directory and " + std::to_string(runs) +
                             " run-* directories");
  if (!shared && runs != 1)
    state.problems.push_back(slot + " has " + std::to_string(runs) +
                             " run-* directories; only the one prepared for the next run "
                             "may exist");
}

}  // namespace

std::vector<std::string> processesOfUids(uid_t first_uid, unsigned count) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename();
    if (!isAllDigits(pid)) continue;
    std::istringstream status(readWhole("/proc/" + pid + "/status"));
    std::string name, line, uids;
    bool hit = false;
    while (std::getline(status, line)) {
      if (line.rfind("Name:\t", 0) == 0) name = line.substr(6);
      if (line.rfind("Uid:", 0) != 0) continue;
      uids = line.substr(4);
      std::istringstream values(uids);
      for (unsigned long uid; values >> uid;)
        hit = hit || (uid >= first_uid && uid < first_uid + count);
    }
    if (hit) found.push_back("pid " + pid + " (" + name + ") uids" + uids);
  }
  return found;
}

std::vector<std::string> findInstanceDirs(pid_t server_pid) {
  const std::string name = "codecanvas-" + std::to_string(server_pid);
  std::vector<std::string> found;
  for (const std::string& mount : cgroupMounts()) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(
             mount, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->path().filename() == name && it->is_directory(ec)) {
        found.push_back(it->path());
        it.disable_recursion_pending();
      }
      if (it.depth() >= 5) it.disable_recursion_pending();
    }
  }
  return found;
}

CgroupState inspectRunCgroups(const std::vector<std::string>& instances, unsigned slots) {
  CgroupState state;
  std::vector<std::string> want;
  for (unsigned i = 0; i < slots; ++i) want.push_back("slot-" + std::to_string(i));
  std::sort(want.begin(), want.end());
  for (const std::string& instance : instances) {
    std::error_code ec;
    if (!fs::is_directory(instance, ec)) {
      state.problems.push_back(instance + " is gone");
      continue;
    }
    ++state.instances;
    expectNoProcess(instance, state);
    const auto children = subdirectories(instance);
    if (children != want) {
      std::string got;
      for (const auto& c : children) got += " " + c;
      state.problems.push_back(instance + " holds" + got + " instead of the " +
                               std::to_string(slots) + " slot directories");
    }
    // codecanvas-<server pid>
    const std::string base = fs::path(instance).filename();
    const std::string server_pid = base.substr(base.rfind('-') + 1);
    for (const auto& child : children) inspectSlot(instance + "/" + child, server_pid, state);
  }
  return state;
}

Canary::Canary(std::string path, std::string content)
    : path_(std::move(path)), content_(std::move(content)) {
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (!fd) {
    error_ = "open(" + path_ + ", O_CREAT|O_EXCL): " + std::strerror(errno);
    return;
  }
  struct stat st {};
  if (::write(fd.get(), content_.data(), content_.size()) !=
          static_cast<ssize_t>(content_.size()) ||
      ::fchmod(fd.get(), 0666) != 0 || ::fstat(fd.get(), &st) != 0) {
    error_ = "write/fchmod/fstat(" + path_ + "): " + std::strerror(errno);
    return;
  }
  mtime_ns_ = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  mode_ = st.st_mode & 07777;
}

Canary::~Canary() {
  ::unlink(path_.c_str());
}

std::string Canary::changes() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return path_ + ": " + std::strerror(errno);
  std::string why;
  if ((st.st_mode & 07777) != mode_) why += " mode";
  if (st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec != mtime_ns_) why += " mtime";
  if (readWhole(path_) != content_) why += " content";
  return why.empty() ? "" : path_ + " changed:" + why;
}

std::vector<std::string> directoryEntries(const std::string& path) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path, ec)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

std::string randomHex() {
  unsigned char bytes[16] = {};
  std::ifstream("/dev/urandom", std::ios::binary)
      .read(reinterpret_cast<char*>(bytes), sizeof bytes);
  std::string hex;
  for (unsigned char b : bytes) {
    static const char kDigits[] = "0123456789abcdef";
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  return hex;
}

namespace {

socklen_t abstractAddress(const std::string& name, sockaddr_un& un) {
  std::memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  const size_t n = std::min(name.size(), sizeof un.sun_path - 1);
  std::memcpy(un.sun_path + 1, name.data(), n);  // sun_path[0] stays 0: abstract
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
}

}  // namespace

UniqueFd listenAbstract(const std::string& name) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un un;
  const socklen_t len = abstractAddress(name, un);
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&un), len) != 0 ||
      ::listen(fd.get(), 16) != 0)
    return UniqueFd();
  return fd;
}

bool connectAbstract(const std::string& name) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un un;
  const socklen_t len = abstractAddress(name, un);
  return fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&un), len) == 0;
}

}  // namespace codecanvas::hostile
