// Starting a slot's keeper from the (multithreaded) server: clone3 into fresh mount,
// pid, net, ipc and uts namespaces, and exec codecanvas-processor at once. Between
// clone and exec the child only calls dup2 and execve, so no lock or allocator state of
// the server's other threads can bite.
#pragma once

#include <sys/types.h>

#include <string>

#include "result.h"
#include "unique_fd.h"

namespace codecanvas::controller {

struct KeeperProcess {
  pid_t pid = -1;   // in the server's pid namespace
  UniqueFd pidfd;   // supervision and signalling without pid reuse races
  UniqueFd socket;  // SOCK_SEQPACKET to the keeper's fd 3
};

// cgroup_dir_fd >= 0: the keeper is born in that cgroup (v2 slot directory).
Result<KeeperProcess> spawnKeeper(const std::string& processor_path, int cgroup_dir_fd);

// Kills the keeper (and with it, being pid 1 of its namespace, the whole slot) and reaps it.
void destroyKeeper(KeeperProcess& keeper);

}  // namespace codecanvas::controller
