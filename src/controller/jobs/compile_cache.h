// The compile cache: an identical (language, toolchain version, compile command, source)
// compiles once; later jobs get the artifacts back instead of running the compiler.
// In memory, bounded in bytes, least recently used evicted first. Thread-safe.
//
// The key is the whole text of all four parts, compared byte for byte, so two different
// sources can never share an entry (a hash alone could collide, and a collision here would
// hand one user another user's program).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "sandbox/run_types.h"

namespace codecanvas::jobs {

struct CompiledArtifacts {
  std::vector<sandbox::BoxFile> files;  // what the compile step left in /box
  sandbox::RunResult compile;           // the compile step as it ran the first time
};

class CompileCache {
 public:
  explicit CompileCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // `scope` says who may share the entry (the API key's name): a hit is visible to the
  // client (the compile is skipped, `cached` says so), and must not tell one client what
  // another compiled.
  static std::string makeKey(const std::string& scope, const std::string& language,
                             const std::string& version,
                             const std::vector<std::string>& compile_argv,
                             const std::string& source);

  // The entry for `key`, now the most recently used; null when absent.
  std::shared_ptr<const CompiledArtifacts> find(const std::string& key);
  // Stores (or replaces) an entry and evicts the least recently used until the cache fits.
  // An entry larger than the whole capacity is not stored.
  void insert(const std::string& key, CompiledArtifacts artifacts);

  struct Stats {
    uint64_t entries = 0, bytes = 0, capacity = 0, hits = 0, misses = 0, evictions = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const CompiledArtifacts> value;
    uint64_t bytes = 0;
  };
  static uint64_t sizeOf(const std::string& key, const CompiledArtifacts& a);

  mutable std::mutex mu_;
  uint64_t capacity_;
  uint64_t bytes_ = 0, hits_ = 0, misses_ = 0, evictions_ = 0;
  std::list<Entry> lru_;  // front: most recently used
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace codecanvas::jobs
