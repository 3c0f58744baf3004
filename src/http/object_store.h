// What the code-executor adapter (code_executor_api.h) keeps between requests: the files
// clients upload, the files runs leave in /box/outputs/ (artifacts), and the runs
// themselves, each for a retention time and within caps, and the signer of the
// time-limited URLs artifacts are fetched at.
//
// Blobs live in one directory the server owns (mode 0700, emptied at start: ids are not
// meant to outlive the process that made them, nor is a random signing key); the index
// and the runs are in memory. By default that directory is /var/tmp/codecanvas-store-<pid>,
// removed at exit (and by the next server, when a crash left it behind); a directory the
// operator names is locked (flock on its .lock file) so that no two servers share it. Every object
// belongs to the API key that made it (its name, "" on an open server): another key finds nothing.
// Thread safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"
#include "unique_fd.h"

namespace codecanvas::http {

// A random id: `prefix` then 32 hex digits (128 bits from getrandom).
std::string randomId(std::string_view prefix);

struct StoredObject {
  std::string id;
  std::string owner;  // the API key's name
  std::string name;   // the file name the client or the program gave it
  uint64_t size = 0;
  int64_t created = 0;  // Unix seconds
  int64_t expires = 0;
};

class ObjectStore {
 public:
  struct Options {
    std::string dir;                  // empty: a directory of this process's own (above)
    uint64_t max_bytes = 1ULL << 30;  // all blobs together
    size_t max_objects = 10000;
  };
  // Creates the directory (and its parents) when missing, locks it and empties it.
  static Result<std::unique_ptr<ObjectStore>> open(Options options);
  ~ObjectStore();
  const std::string& dir() const { return options_.dir; }

  // Stores `content` under a new id `prefix`<hex>, kept `ttl_seconds`. An error (ENOSPC)
  // when the caps leave no room even after the expired objects are gone.
  Result<StoredObject> put(std::string_view prefix, const std::string& owner,
                           const std::string& name, std::string_view content, int64_t ttl_seconds);
  // The object when it exists and has not expired; `owner` unset: any owner's.
  std::optional<StoredObject> find(const std::string& id,
                                   const std::optional<std::string>& owner = std::nullopt);
  Result<std::string> read(const StoredObject& object) const;
  // Drops what has expired (put() calls it when the caps are reached).
  void sweep();
  size_t count() const;
  uint64_t bytes() const;

  // For tests: the clock, Unix seconds.
  void setClockForTest(std::function<int64_t()> now) { now_ = std::move(now); }
  int64_t now() const { return now_(); }

 private:
  ObjectStore(Options options, UniqueFd dir, UniqueFd lock, bool own_dir)
      : options_(std::move(options)),
        dir_(std::move(dir)),
        lock_(std::move(lock)),
        own_dir_(own_dir) {}
  void dropLocked(std::map<std::string, StoredObject>::iterator it);

  Options options_;
  UniqueFd dir_;
  UniqueFd lock_;
  bool own_dir_ = false;  // made for this process: removed with the store
  std::function<int64_t()> now_;
  mutable std::mutex mu_;
  std::map<std::string, StoredObject> objects_;
  uint64_t bytes_ = 0;
};

// HMAC-SHA256 signatures of (id, expiry) pairs for the artifact URLs.
class UrlSigner {
 public:
  // An empty key: a random one (URLs then die with the process).
  explicit UrlSigner(std::string key);
  std::string sign(std::string_view id, int64_t expires) const;  // 64 hex digits
  // Compares in constant time.
  bool valid(std::string_view id, int64_t expires, std::string_view signature) const;

 private:
  std::string key_;
};

// Runs of POST /v1/runs, for GET /v1/runs/{id}: their answers, kept for the retention time,
// the oldest dropped beyond `max_runs`.
class RunStore {
 public:
  RunStore(size_t max_runs, int64_t retention_seconds)
      : max_runs_(max_runs), retention_(retention_seconds) {}
  void put(const std::string& id, const std::string& owner, nlohmann::json answer, int64_t now);
  std::optional<nlohmann::json> find(const std::string& id, const std::string& owner, int64_t now);

 private:
  struct Entry {
    std::string owner;
    nlohmann::json answer;
    int64_t expires = 0;
    uint64_t order = 0;
  };
  std::mutex mu_;
  std::map<std::string, Entry> runs_;
  std::map<uint64_t, std::string> by_age_;
  uint64_t next_ = 0;
  size_t max_runs_;
  int64_t retention_;
};

}  // namespace codecanvas::http
