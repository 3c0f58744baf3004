#include "object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace codecanvas::http {

namespace {

std::string hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

std::string randomBytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::getrandom(out.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw std::runtime_error("getrandom failed");
    got += static_cast<size_t>(r);
  }
  return out;
}

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string randomId(std::string_view prefix) {
  const std::string bytes = randomBytes(16);
  return std::string(prefix) + hex(reinterpret_cast<const unsigned char*>(bytes.data()), 16);
}

// ---- ObjectStore

namespace {

constexpr char kOwnDirPrefix[] = "/var/tmp/codecanvas-store-";

// Directories of servers that are gone (a crash, SIGKILL): their pid no longer runs.
void removeStaleOwnDirs() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/var/tmp", ec)) {
    const std::string path = entry.path().string();
    if (path.rfind(kOwnDirPrefix, 0) != 0) continue;
    const std::string pid_text = path.substr(sizeof kOwnDirPrefix - 1);
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos ||
        pid_text.size() > 9)
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> ObjectStore::open(Options options) {
  const bool own = options.dir.empty();
  if (own) {
    removeStaleOwnDirs();
    options.dir = kOwnDirPrefix + std::to_string(::getpid());
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec)
    return Error{"cannot create the store directory " + options.dir + ": " + ec.message(),
                 ec.value()};
  UniqueFd dir(::open(options.dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return sysError("open(" + options.dir + ")");
  if (::fchmod(dir.get(), 0700) != 0) return sysError("fchmod(" + options.dir + ")");
  UniqueFd lock(::openat(dir.get(), ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock) return sysError("open(" + options.dir + "/.lock)");
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
    return Error{"another codecanvas-server uses the store directory " + options.dir +
                     "; give each server its own (--store-dir)",
                 EBUSY};
  // What an earlier process left: nobody holds its ids any more.
  for (const auto& entry : std::filesystem::directory_iterator(options.dir, ec)) {
    if (entry.path().filename() == ".lock") continue;
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
  if (ec) return Error{"cannot list " + options.dir + ": " + ec.message(), ec.value()};
  std::unique_ptr<ObjectStore> store(
      new ObjectStore(std::move(options), std::move(dir), std::move(lock), own));
  store->now_ = unixNow;
  return store;
}

ObjectStore::~ObjectStore() {
  if (!own_dir_) return;
  std::error_code ignored;
  std::filesystem::remove_all(options_.dir, ignored);
}

void ObjectStore::dropLocked(std::map<std::string, StoredObject>::iterator it) {
  ::unlinkat(dir_.get(), it->first.c_str(), 0);
  bytes_ -= it->second.size;
  objects_.erase(it);
}

void ObjectStore::sweep() {
  std::lock_guard lock(mu_);
  const int64_t t = now_();
  for (auto it = objects_.begin(); it != objects_.end();) {
    auto next = std::next(it);
    if (it->second.expires <= t) dropLocked(it);
    it = next;
  }
}

Result<StoredObject> ObjectStore::put(std::string_view prefix, const std::string& owner,
                                      const std::string& name, std::string_view content,
                                      int64_t ttl_seconds) {
  StoredObject o;
  o.id = randomId(prefix);
  o.owner = owner;
  o.name = name;
  o.size = content.size();
  o.created = now_();
  o.expires = o.created + ttl_seconds;
  {
    // Expired objects are dropped as they are found; a sweep of all of them only when
    // they might be what stands in the way.
    auto full = [&] {
      return objects_.size() >= options_.max_objects || bytes_ + o.size > options_.max_bytes;
    };
    std::unique_lock lock(mu_);
    if (full()) {
      lock.unlock();
      sweep();
      lock.lock();
    }
    if (full())
      return Error{"the server's file store is full (" + std::to_string(objects_.size()) +
                       " files, " + std::to_string(bytes_ >> 20) + " MiB); retry later",
                   ENOSPC};
    bytes_ += o.size;  // reserved while the file is written
  }
  auto unreserve = [&] {
    std::lock_guard lock(mu_);
    bytes_ -= o.size;
  };
  UniqueFd out(::openat(dir_.get(), o.id.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out) {
    unreserve();
    return sysError("openat(" + options_.dir + "/" + o.id + ")");
  }
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t w = ::write(out.get(), content.data() + done, content.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      const Error e = sysError("write(" + options_.dir + "/" + o.id + ")");
      ::unlinkat(dir_.get(), o.id.c_str(), 0);
      unreserve();
      return e;
    }
    done += static_cast<size_t>(w);
  }
  std::lock_guard lock(mu_);
  objects_.emplace(o.id, o);
  return o;
}

std::optional<StoredObject> ObjectStore::find(const std::string& id,
                                              const std::optional<std::string>& owner) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(id);
  if (it == objects_.end()) return std::nullopt;
  if (it->second.expires <= now_()) {
    dropLocked(it);
    return std::nullopt;
  }
  if (owner && it->second.owner != *owner) return std::nullopt;
  return it->second;
}

Result<std::string> ObjectStore::read(const StoredObject& o) const {
  // The id came from this store's index (randomId: a prefix and hex), never from a path a
  // client wrote, so it names a file in this directory and nothing else.
  UniqueFd in(::openat(dir_.get(), o.id.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) return sysError("openat(" + options_.dir + "/" + o.id + ")");
  std::string content(static_cast<size_t>(o.size), '\0');
  size_t got = 0;
  while (got < content.size()) {
    const ssize_t n = ::read(in.get(), content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysError("read(" + options_.dir + "/" + o.id + ")");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  content.resize(got);
  return content;
}

size_t ObjectStore::count() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

uint64_t ObjectStore::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

// ---- UrlSigner

UrlSigner::UrlSigner(std::string key) : key_(key.empty() ? randomBytes(32) : std::move(key)) {}

std::string UrlSigner::sign(std::string_view id, int64_t expires) const {
  const std::string message =
      "codecanvas-artifact\n" + std::string(id) + "\n" + std::to_string(expires);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ::HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  return hex(mac, len);
}

bool UrlSigner::valid(std::string_view id, int64_t expires, std::string_view signature) const {
  const std::string expected = sign(id, expires);
  return signature.size() == expected.size() &&
         CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
}

// ---- RunStore

void RunStore::put(const std::string& id, const std::string& owner, nlohmann::json answer,
                   int64_t now) {
  std::lock_guard lock(mu_);
  while (!by_age_.empty() &&
         (runs_.size() >= max_runs_ || runs_.at(by_age_.begin()->second).expires <= now)) {
    runs_.erase(by_age_.begin()->second);
    by_age_.erase(by_age_.begin());
  }
  const uint64_t order = next_++;
  runs_[id] = Entry{owner, std::move(answer), now + retention_, order};
  by_age_[order] = id;
}

std::optional<nlohmann::json> RunStore::find(const std::string& id, const std::string& owner,
                                             int64_t now) {
  std::lock_guard lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end() || it->second.owner != owner || it->second.expires <= now)
    return std::nullopt;
  return it->second.answer;
}

}  // namespace codecanvas::http
