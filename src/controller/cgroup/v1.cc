#include "cgroup/v1.h"

#include <fcntl.h>

#include <string>

namespace codecanvas::cgroup::v1 {
namespace {

std::optional<uint64_t> readUint(const CgroupDir& dir, const char* name) {
  Result<std::string> text = readCgroupFile(dir, name);
  return text ? parseCgroupUint(*text) : std::nullopt;
}

}  // namespace

Status writeMemoryLimit(const CgroupDir& run, uint64_t bytes) {
  std::string value = std::to_string(bytes);
  if (Status s = writeCgroupFile(run, "memory.limit_in_bytes", value); !s) return s;
  bool existed = false;  // absent when the kernel runs without swap accounting
  return writeCgroupFileIfPresent(run, "memory.memsw.limit_in_bytes", value, &existed);
}

Status writePidsLimit(const CgroupDir& run, uint64_t pids) {
  return writeCgroupFile(run, "pids.max", std::to_string(pids));
}

Result<UniqueFd> openTasks(const CgroupDir& run) {
  return openCgroupFile(run, "tasks", O_WRONLY);
}

Result<UniqueFd> openCpuUsage(const CgroupDir& run) {
  return openCgroupFile(run, "cpuacct.usage", O_RDONLY);
}

Result<uint64_t> readCpuNs(int cpu_usage_fd, const char* path) {
  return preadCgroupUint(cpu_usage_fd, path, {});
}

std::optional<uint64_t> readMemoryPeak(const CgroupDir& run) {
  return readUint(run, "memory.max_usage_in_bytes");
}

std::optional<uint64_t> readOomKills(const CgroupDir& run) {
  Result<std::string> text = readCgroupFile(run, "memory.oom_control");
  return text ? parseKeyedValue(*text, "oom_kill") : std::nullopt;
}

std::optional<uint64_t> readPidsPeak(const CgroupDir& run) {
  return readUint(run, "pids.peak");
}

}  // namespace codecanvas::cgroup::v1
