// The slot's root file system, built by the keeper inside its own mount namespace.
//
//   /            tmpfs, read-only after set-up: only directories, symlinks and the
//                generated /etc/passwd and /etc/group
//   /usr, ...    host paths from the rootfs manifest, bound read-only, nosuid, nodev
//   /proc        a fresh procfs of the slot's pid namespace
//   /dev         read-only tmpfs with null, zero, full, random, urandom bound from the host
//   /box         tmpfs with a size and inode cap, owned by the slot's uid: the working dir
//                (root's, mode 1777, once a run seals it: work_dirs.h)
//   /tmp         tmpfs with a size and inode cap, mode 1777
#pragma once

#include "protocol.h"
#include "result.h"
#include "unique_fd.h"

namespace codecanvas::processor {

// Builds the root and enters it: pivot_root, or chroot where pivot_root is impossible
// (the host root is an initramfs), saying so on stderr. Keeper only, once.
Status buildSlotRoot(const protocol::Init& init);

// Replaces /tmp with a fresh, empty tmpfs. Keeper only, when no process of a run is alive.
Status freshTmp(const protocol::Init& init);

// Replaces /box and /tmp with fresh, empty tmpfs mounts (the quickest way to a box that
// is certainly empty, whatever the last program left) and returns a directory fd of /box
// for the controller to copy files in. Keeper only, when no process of a run is alive.
Result<UniqueFd> freshWorkDirs(const protocol::Init& init);

}  // namespace codecanvas::processor
