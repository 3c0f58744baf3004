// What the hostile suite checks on the host after every program: leftover processes of
// the slot uids, leftover run cgroups, and canary files. Runs as root on the host, in the
// test process; nothing here talks to the server.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "unique_fd.h"

namespace codecanvas::hostile {

// Every host process any of whose real, effective, saved or file-system uids is in
// [first_uid, first_uid + count), as "pid 123 (sleep) uids 61000 61000 61000 61000".
// Zombies count: a zombie of a slot uid is a process the sandbox failed to reap.
std::vector<std::string> processesOfUids(uid_t first_uid, unsigned count);

// The directories codecanvas-<server_pid> of a running server, one per cgroup hierarchy
// it uses, found below every cgroup (v1) and cgroup2 mount of the host.
std::vector<std::string> findInstanceDirs(pid_t server_pid);

// The run cgroups below those instance directories. Each must hold exactly slot-0 ..
// slot-<slots-1>; in each slot, a hierarchy either shares one `shared` directory between
// runs (then no run-* directory may exist) or makes a fresh run-<n> per run (then exactly
// one may exist: the one the pool prepares ahead for the next run); no directory but a
// v2 slot's `keeper` leaf may hold a process.
struct CgroupState {
  int instances = 0;                  // instance directories still there
  int run_dirs = 0;                   // run-* directories seen, all slots and hierarchies
  std::vector<std::string> problems;  // empty: as it should be
  std::string listing;                // every slot child seen, for messages
};
CgroupState inspectRunCgroups(const std::vector<std::string>& instances, unsigned slots);

// A file with random content whose content, mode and modification time are kept to be
// compared later. Made world-writable on purpose: only the sandbox may stop a write.
class Canary {
 public:
  // Creates `path` (mode 0666) with `content`; error() says why when it could not.
  Canary(std::string path, std::string content);
  ~Canary();
  Canary(const Canary&) = delete;
  Canary& operator=(const Canary&) = delete;

  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }
  // "" when content, mode, size and mtime are as created, else what changed.
  std::string changes() const;

 private:
  std::string path_, content_, error_;
  long long mtime_ns_ = 0;
  unsigned mode_ = 0;
};

// Entries of a directory other than "." and "..", sorted; empty when unreadable.
std::vector<std::string> directoryEntries(const std::string& path);

// 32 random hex digits from /dev/urandom.
std::string randomHex();

// A listening AF_UNIX stream socket in the host's abstract namespace (the name has no
// leading NUL here). Invalid on failure.
UniqueFd listenAbstract(const std::string& name);
// Connects to it from the host: true when something listens there.
bool connectAbstract(const std::string& name);

}  // namespace codecanvas::hostile
