#include "cgroup/v2.h"

#include <fcntl.h>

namespace codecanvas::cgroup::v2 {
namespace {

std::optional<uint64_t> readUint(const CgroupDir& dir, const char* name) {
  Result<std::string> text = readCgroupFile(dir, name);
  return text ? parseCgroupUint(*text) : std::nullopt;
}

bool listsWord(std::string_view text, std::string_view word) {
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find_first_of(" \n", i);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(i, end - i) == word) return true;
    i = end + 1;
  }
  return false;
}

}  // namespace

Status enableControllers(const CgroupDir& dir, const std::vector<std::string>& controllers) {
  Result<std::string> enabled = readCgroupFile(dir, "cgroup.subtree_control");
  if (!enabled) return enabled.error();
  std::string request;
  for (const std::string& c : controllers) {
    if (listsWord(*enabled, c)) continue;
    if (!request.empty()) request += ' ';
    request += '+' + c;
  }
  // Writing an already enabled controller again is harmless for the kernel, but it is not
  // for us: in a cgroup that holds processes even a no-op write fails with EBUSY.
  if (request.empty()) return {};
  return writeCgroupFile(dir, "cgroup.subtree_control", request);
}

bool holdsProcess(const CgroupDir& dir, pid_t pid) {
  Result<std::string> procs = readCgroupFile(dir, "cgroup.procs");
  return procs && listsWord(*procs, std::to_string(pid));
}

std::string processList(const CgroupDir& dir) {
  Result<std::string> procs = readCgroupFile(dir, "cgroup.procs");
  if (!procs) return "?";
  std::string list = *procs;
  for (char& c : list) c = c == '\n' ? ' ' : c;
  while (!list.empty() && list.back() == ' ') list.pop_back();
  return list;
}

Status moveSelfTo(const CgroupDir& dir) {
  return writeCgroupFile(dir, "cgroup.procs", "0");
}

Result<UniqueFd> openProcs(const CgroupDir& dir) {
  return openCgroupFile(dir, "cgroup.procs", O_WRONLY);
}

Status writeMemoryLimit(const CgroupDir& run, uint64_t bytes) {
  if (Status s = writeCgroupFile(run, "memory.max", std::to_string(bytes)); !s) return s;
  bool existed = false;  // absent when the kernel runs without swap accounting
  if (Status s = writeCgroupFileIfPresent(run, "memory.swap.max", "0", &existed); !s) return s;
  // One OOM kill ends the whole run, as a v1 memory limit effectively does for a
  // single-process program: a judge wants "memory limit", not a half-dead process tree.
  return writeCgroupFileIfPresent(run, "memory.oom.group", "1", &existed);
}

Status writePidsLimit(const CgroupDir& run, uint64_t pids) {
  return writeCgroupFile(run, "pids.max", std::to_string(pids));
}

Result<UniqueFd> openCpuStat(const CgroupDir& run) {
  return openCgroupFile(run, "cpu.stat", O_RDONLY);
}

Result<uint64_t> readCpuNs(int cpu_stat_fd, const char* path) {
  Result<uint64_t> usec = preadCgroupUint(cpu_stat_fd, path, "usage_usec");
  if (!usec) return usec;
  return *usec * 1000;
}

std::optional<uint64_t> readMemoryPeak(const CgroupDir& run) {
  return readUint(run, "memory.peak");
}

std::optional<uint64_t> readOomKills(const CgroupDir& run) {
  Result<std::string> text = readCgroupFile(run, "memory.events");
  return text ? parseKeyedValue(*text, "oom_kill") : std::nullopt;
}

std::optional<uint64_t> readPidsPeak(const CgroupDir& run) {
  return readUint(run, "pids.peak");
}

}  // namespace codecanvas::cgroup::v2
