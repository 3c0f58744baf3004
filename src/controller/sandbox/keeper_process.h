// Starting a slot's keeper from the (multithreaded) server: clone3 into fresh mount,
// pid, net, ipc and uts namespaces, and exec codecanvas-processor at once. Between
// clone and exec the child only calls dup2 and execve, so no lock or allocator state of
// the server's other threads can bite.
#pragma once

#include <sys/types.h>

#include <shared_mutex>
#include <string>

#include "common/child_process.h"
#include "result.h"
#include "unique_fd.h"

namespace codecanvas::sandbox {

// A slot's keeper. Letting go of it closes the socket first (a keeper exits by itself on
// end of file), then kills the keeper (and with it, being pid 1 of its namespace, the
// whole slot) and reaps it: the members go in reverse order.
struct KeeperProcess {
  ChildProcess process;
  UniqueFd socket;  // SOCK_SEQPACKET to the keeper's fd 3
};

// cgroup_dir_fd >= 0: the keeper is born in that cgroup (v2 slot directory). Holds
// spawnLock() exclusively until the child has exec'ed (CLONE_VFORK). Any thread.
Result<KeeperProcess> spawnKeeper(const std::string& processor_path, int cgroup_dir_fd);

// A child keeps a copy of every descriptor of the server from its clone until its exec,
// close-on-exec or not; creating its namespaces (a network namespace) takes milliseconds.
// A file of /box open for writing at that moment stays open in the child, and a slot's
// execve of that file meanwhile fails with ETXTBSY. So whoever holds such a descriptor
// holds this lock shared (Slot::copyIn), and spawnKeeper exclusively.
std::shared_mutex& spawnLock();

}  // namespace codecanvas::sandbox
