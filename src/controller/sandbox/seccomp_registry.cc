#include "sandbox/seccomp_registry.h"

#include <algorithm>
#include <filesystem>

#include "sandbox/seccomp_policy.h"

namespace codecanvas::sandbox {

Result<SeccompRegistry> SeccompRegistry::load(const std::string& dir) {
  SeccompRegistry r;
  r.dir_ = dir;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".policy") continue;
    const std::string name = entry.path().stem().string();
    const std::string path = entry.path().string();
    auto policy = loadSeccompPolicy(path);
    if (!policy) {
      r.programs_.emplace(name, policy.error());
      continue;
    }
    auto bpf = compileSeccompPolicy(policy.value());
    if (!bpf) {
      r.programs_.emplace(name, withContext("compiling " + path, bpf.error()));
      continue;
    }
    r.programs_.emplace(name, std::make_unique<const std::vector<uint8_t>>(std::move(bpf.value())));
  }
  if (ec) return Error{"cannot list seccomp policies in " + dir + ": " + ec.message(), ec.value()};
  if (auto def = r.program("default"); !def) return def.error();
  return r;
}

Result<const std::vector<uint8_t>*> SeccompRegistry::program(const std::string& name) const {
  auto it = programs_.find(name);
  if (it == programs_.end())
    return Error{"no seccomp policy '" + name.substr(0, 100) + "' in " + dir_, ENOENT};
  if (!it->second) return it->second.error();
  return it->second.value().get();
}

std::vector<std::string> SeccompRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, program] : programs_) out.push_back(name);
  return out;
}

}  // namespace codecanvas::sandbox
