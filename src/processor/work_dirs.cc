#include "work_dirs.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "dir_names.h"
#include "mounts.h"
#include "unique_fd.h"

namespace codecanvas::processor {

namespace {

// A sealed tree deeper than this was not made by a compiler; refusing it keeps the walk's
// open directories bounded.
constexpr int kMaxSealDepth = 32;

// Root's, readable by everyone, writable by nobody but root; execute bits kept (a
// directory gets them all, or it could not be entered).
mode_t sealedMode(mode_t mode) {
  if (S_ISDIR(mode)) return 0755;
  const mode_t perms = (mode & 0555) | 0444;
  return (mode & 0100) != 0 ? perms | 0111 : perms;
}

// Seals `name` in `parent_fd` and everything below it. Nothing of the run is alive, so no
// name can change between the lstat and the calls that follow it.
Status sealEntry(int parent_fd, const std::string& name, const std::string& path, int depth) {
  struct stat st {};
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return sysError("fstatat(" + path + ")");
  if (S_ISDIR(st.st_mode)) {
    if (depth >= kMaxSealDepth)
      return Error{"seal " + path + ": deeper than " + std::to_string(kMaxSealDepth) + " levels",
                   ELOOP};
    UniqueFd dir(
        ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) return sysError("openat(" + path + ")");
    auto names = namesIn(dir.get(), path);
    if (!names) return names.error();
    for (const auto& child : *names)
      if (auto s = sealEntry(dir.get(), child, path + "/" + child, depth + 1); !s) return s;
  }
  if (::fchownat(parent_fd, name.c_str(), 0, 0, AT_SYMLINK_NOFOLLOW) != 0)
    return sysError("fchownat(" + path + ", 0, 0)");
  // A symbolic link has no mode of its own; chmod would follow it.
  if (!S_ISLNK(st.st_mode) && ::fchmodat(parent_fd, name.c_str(), sealedMode(st.st_mode), 0) != 0)
    return sysError("fchmodat(" + path + ")");
  return {};
}

// Removes `name` from /box and everything below it, with two directories open at a time
// however deep the tree: a subdirectory is first moved up to the top of /box under a new
// name and emptied in its turn. Root may do all of this whatever the modes say.
Status removeTree(int box_fd, const std::string& name) {
  if (::unlinkat(box_fd, name.c_str(), 0) == 0) return {};
  if (errno != EISDIR) return sysError("unlinkat(/box/" + name + ")");
  std::vector<std::string> dirs{name};
  unsigned moved = 0;
  while (!dirs.empty()) {
    const std::string dir_name = dirs.back();
    dirs.pop_back();
    UniqueFd dir(
        ::openat(box_fd, dir_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) return sysError("openat(/box/" + dir_name + ")");
    auto names = namesIn(dir.get(), "/box/" + dir_name);
    if (!names) return names.error();
    for (const auto& child : *names) {
      if (::unlinkat(dir.get(), child.c_str(), 0) == 0) continue;
      if (errno != EISDIR) return sysError("unlinkat(/box/" + dir_name + "/" + child + ")");
      for (;;) {
        const std::string to = ".codecanvas-removing-" + std::to_string(moved++);
        if (::renameat2(dir.get(), child.c_str(), box_fd, to.c_str(), RENAME_NOREPLACE) == 0) {
          dirs.push_back(to);
          break;
        }
        if (errno != EEXIST) return sysError("renameat2(/box/" + dir_name + "/" + child + ")");
      }
    }
    if (::unlinkat(box_fd, dir_name.c_str(), AT_REMOVEDIR) != 0)
      return sysError("rmdir(/box/" + dir_name + ")");
  }
  return {};
}

}  // namespace

Status WorkDirs::seal(const std::string& output_dir) {
  UniqueFd box(::open("/box", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!box) return sysError("open(/box)");
  auto names = namesIn(box.get(), "/box");
  if (!names) return names.error();
  for (const auto& name : *names) {
    if (sealed_.count(name)) continue;  // sealed before; no run can have changed it
    if (name == output_dir) continue;   // the run's to write into
    if (auto s = sealEntry(box.get(), name, "/box/" + name, 1); !s) return s;
    sealed_.insert(name);
  }
  struct stat st {};
  if (::fstat(box.get(), &st) != 0) return sysError("fstat(/box)");
  if (st.st_uid != 0 || (st.st_mode & 07777) != 01777) {
    if (::fchown(box.get(), 0, 0) != 0 || ::fchmod(box.get(), 01777) != 0)
      return sysError("fchown/fchmod(/box, root, 1777)");
  }
  return {};
}

Status WorkDirs::afterRun(bool sealed_run, const std::string& output_dir) {
  if (auto s = emptyTmp(); !s) return s;
  return sealed_run ? takeBackBox(output_dir) : Status{};
}

Status WorkDirs::emptyTmp() {
  struct statvfs fs {};
  if (::statvfs("/tmp", &fs) != 0) return sysError("statvfs(/tmp)");
  // An empty tmpfs holds one inode (its root) and no blocks.
  if (fs.f_files - fs.f_ffree <= 1 && fs.f_bfree == fs.f_blocks) return {};
  return freshTmp(init_);
}

Status WorkDirs::takeBackBox(const std::string& output_dir) {
  UniqueFd box(::open("/box", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!box) return sysError("open(/box)");
  // Always the names, never the directory's ctime: kernels before 6.13 stamp tmpfs times
  // with a coarse clock, and a file made in the same tick as the last clean-up would
  // leave the ctime as it was. Nothing sealed can change, so what is not sealed goes.
  auto names = namesIn(box.get(), "/box");
  if (!names) return names.error();
  for (const auto& name : *names)
    if (!sealed_.count(name) && name != output_dir)
      if (auto s = removeTree(box.get(), name); !s) return s;
  return {};
}

}  // namespace codecanvas::processor
