// The slot keeper: pid 1 of a slot's pid namespace, started once per slot by the
// controller in new mount, pid, net, ipc and uts namespaces (it adds the cgroup
// namespace itself, see protocol::Init::move_to_leaf). It builds the slot's root, then
// serves Run, Kill and Wipe requests over the SOCK_SEQPACKET socket on fd 3 until the
// controller closes it. Single-threaded; it forks one processor child per run.
//
// Being pid 1 is what makes clean-up certain: kill(-1, SIGKILL) reaches every process of
// the slot and nothing outside it, orphans are reparented to the keeper and reaped here,
// and if the keeper dies the kernel kills everything left in the namespace.
#pragma once

namespace codecanvas::processor {

// Runs the keeper on the given socket; returns the process exit code.
int keeperMain(int sock);

}  // namespace codecanvas::processor
