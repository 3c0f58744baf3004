#include "jobs/compile_cache.h"

namespace codecanvas::jobs {

std::string CompileCache::makeKey(const std::string& scope, const std::string& language,
                                  const std::string& version,
                                  const std::vector<std::string>& compile_argv,
                                  const std::string& source) {
  // Length-prefixed parts: no choice of strings can make two different tuples collide.
  std::string key;
  auto part = [&](const std::string& s) {
    key += std::to_string(s.size());
    key += ':';
    key += s;
  };
  part(scope);
  part(language);
  part(version);
  key += std::to_string(compile_argv.size());
  key += '|';
  for (const auto& a : compile_argv) part(a);
  part(source);
  return key;
}

uint64_t CompileCache::sizeOf(const std::string& key, const CompiledArtifacts& a) {
  uint64_t n = 2 * key.size() + a.compile.stdout_data.size() + a.compile.stderr_data.size() + 256;
  for (const auto& f : a.files) n += f.name.size() + f.content.size() + 64;
  return n;
}

std::shared_ptr<const CompiledArtifacts> CompileCache::find(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

void CompileCache::insert(const std::string& key, CompiledArtifacts artifacts) {
  const uint64_t bytes = sizeOf(key, artifacts);
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
  }
  if (bytes > capacity_) return;
  while (bytes_ + bytes > capacity_ && !lru_.empty()) {
    const Entry& victim = lru_.back();
    bytes_ -= victim.bytes;
    index_.erase(victim.key);
    lru_.pop_back();
    ++evictions_;
  }
  lru_.push_front(
      Entry{key, std::make_shared<const CompiledArtifacts>(std::move(artifacts)), bytes});
  index_.emplace(key, lru_.begin());
  bytes_ += bytes;
}

CompileCache::Stats CompileCache::stats() const {
  std::lock_guard lock(mu_);
  return Stats{index_.size(), bytes_, capacity_, hits_, misses_, evictions_};
}

}  // namespace codecanvas::jobs
