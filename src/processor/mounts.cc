#include "mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace codecanvas::processor {

namespace {

// The new root is assembled on a tmpfs mounted over the host's /tmp in the keeper's
// private mount namespace: /tmp exists on every host, and the host never sees it.
constexpr const char* kStaging = "/tmp";

std::string flagsText(unsigned long flags) {
  std::string s;
  auto add = [&](unsigned long f, const char* name) {
    if (flags & f) s += s.empty() ? name : std::string("|") + name;
  };
  add(MS_BIND, "MS_BIND"), add(MS_REMOUNT, "MS_REMOUNT"), add(MS_RDONLY, "MS_RDONLY");
  add(MS_NOSUID, "MS_NOSUID"), add(MS_NODEV, "MS_NODEV"), add(MS_NOEXEC, "MS_NOEXEC");
  add(MS_PRIVATE, "MS_PRIVATE"), add(MS_REC, "MS_REC"), add(MS_MOVE, "MS_MOVE");
  return s.empty() ? "0" : s;
}

Status doMount(const char* src, const std::string& dst, const char* type, unsigned long flags,
               const std::string& data = {}) {
  if (::mount(src, dst.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) == 0) return {};
  return sysError("mount(src=" + std::string(src ? src : "none") + ", dst=" + dst +
                  ", type=" + (type ? type : "none") + ", flags=" + flagsText(flags) +
                  (data.empty() ? "" : ", data=" + data) + ")");
}

// Read-only, nosuid, nodev for a bind mount takes a second, remounting call: the flags of
// the first MS_BIND call are ignored by the kernel.
Status bindReadOnly(const std::string& src, const std::string& dst, bool allow_dev = false) {
  if (auto s = doMount(src.c_str(), dst, nullptr, MS_BIND); !s) return s;
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | (allow_dev ? 0 : MS_NODEV);
  return doMount(nullptr, dst, nullptr, flags);
}

Status makeDirs(const std::string& path, mode_t mode = 0755) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) return sysError("mkdir(" + part + ")");
  }
  return {};
}

Status writeFile(const std::string& path, const std::string& content, mode_t mode = 0644) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) return sysError("open(" + path + ", O_CREAT)");
  if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    return sysError("write(" + path + ")");
  return {};
}

std::string dirnameOf(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : p.substr(0, slash);
}

// One manifest entry: a host symlink is recreated as a symlink (Debian's /bin -> usr/bin),
// a directory or file is bound read-only at the same path.
Status addBind(const protocol::BindEntry& entry, const std::string& root) {
  const std::string& host = entry.path;
  if (host.empty() || host[0] != '/' || host.find("/..") != std::string::npos)
    return Error{"rootfs manifest: path must be absolute and without '..': " + host, EINVAL};
  struct stat st {};
  if (::lstat(host.c_str(), &st) != 0) {
    if (errno == ENOENT && entry.optional) return {};
    return sysError("lstat(" + host + ") for the rootfs manifest");
  }
  const std::string target = root + host;
  if (auto s = makeDirs(dirnameOf(target)); !s) return s;
  if (S_ISLNK(st.st_mode)) {
    char link[4096];
    ssize_t n = ::readlink(host.c_str(), link, sizeof link - 1);
    if (n < 0) return sysError("readlink(" + host + ")");
    link[n] = '\0';
    if (::symlink(link, target.c_str()) != 0 && errno != EEXIST)
      return sysError("symlink(" + std::string(link) + ", " + target + ")");
    return {};
  }
  if (S_ISDIR(st.st_mode)) {
    if (::mkdir(target.c_str(), 0755) != 0 && errno != EEXIST)
      return sysError("mkdir(" + target + ")");
  } else if (auto s = writeFile(target, ""); !s) {
    return s;
  }
  return bindReadOnly(host, target);
}

Status buildDev(const std::string& root) {
  const std::string dev = root + "/dev";
  if (auto s = makeDirs(dev); !s) return s;
  // Not nodev: the bound device nodes must work. noexec and nosuid: nothing runs from here.
  if (auto s =
          doMount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,nr_inodes=64,mode=0755");
      !s)
    return s;
  for (const char* node : {"null", "zero", "full", "random", "urandom"}) {
    const std::string target = dev + "/" + node;
    if (auto s = writeFile(target, "", 0666); !s) return s;
    if (auto s = bindReadOnly(std::string("/dev/") + node, target, /*allow_dev=*/true); !s)
      return s;
  }
  const std::pair<const char*, const char*> links[] = {{"/proc/self/fd", "fd"},
                                                       {"/proc/self/fd/0", "stdin"},
                                                       {"/proc/self/fd/1", "stdout"},
                                                       {"/proc/self/fd/2", "stderr"}};
  for (const auto& [to, name] : links)
    if (::symlink(to, (dev + "/" + name).c_str()) != 0)
      return sysError("symlink(" + dev + "/" + name + ")");
  return doMount(nullptr, dev, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC);
}

// A fresh procfs still shows host-wide facts. What no submission needs is hidden: at
// least what runc hides by default, plus the host's interrupt counts, load and pressure.
// (That narrows the side channel of how busy the host is without closing it: sysinfo(2)
// still gives the load, and /proc/stat and /proc/meminfo stay, as runtimes read them.)
//   - files: /dev/null bound over them (reads are empty, writes vanish);
//   - directories: an empty read-only tmpfs over them;
//   - read-only: a read-only bind of the entry on itself.
// Entries this kernel lacks are skipped.
Status maskProc(const std::string& proc) {
  for (const char* name :
       {"cmdline", "config.gz", "kallsyms", "kcore", "keys", "key-users", "sched_debug",
        "timer_list", "timer_stats", "latency_stats", "sysrq-trigger", "kmsg", "interrupts",
        "loadavg", "acpi", "asound", "scsi", "pressure"}) {
    const std::string target = proc + "/" + name;
    struct stat st {};
    if (::lstat(target.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (auto s = doMount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                           "size=4k,nr_inodes=1,mode=0555");
          !s)
        return s;
    } else if (auto s = bindReadOnly("/dev/null", target); !s) {
      return s;
    }
  }
  for (const char* name : {"sys", "bus", "fs", "irq"}) {
    const std::string target = proc + "/" + name;
    if (::access(target.c_str(), F_OK) != 0) continue;
    if (auto s = bindReadOnly(target, target); !s) return s;
  }
  return {};
}

Status writeIdentityFiles(const protocol::Init& init, const std::string& root) {
  if (auto s = makeDirs(root + "/etc"); !s) return s;
  const std::string uid = std::to_string(init.uid), gid = std::to_string(init.gid);
  if (auto s = writeFile(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nrunner:x:" + uid +
                                                   ":" + gid + ":codecanvas:/box:/bin/sh\n");
      !s)
    return s;
  if (auto s = writeFile(root + "/etc/group", "root:x:0:\nrunner:x:" + gid + ":\n"); !s) return s;
  return writeFile(root + "/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n");
}

// Enters the assembled root. pivot_root detaches the host's mounts completely; on an
// initramfs root the kernel refuses it (EINVAL), and moving the new root over / plus
// chroot is the only way left. That is safe here because every capability that could
// undo a chroot (CAP_SYS_CHROOT, CAP_SYS_ADMIN) is dropped before a program runs.
Status enterRoot(const std::string& root) {
  if (::chdir(root.c_str()) != 0) return sysError("chdir(" + root + ")");
  if (::syscall(SYS_pivot_root, ".", ".") == 0) {
    // The old root is stacked under the new one at "."; detach it.
    if (::umount2(".", MNT_DETACH) != 0) return sysError("umount2(old root, MNT_DETACH)");
  } else if (errno == EINVAL) {
    std::fprintf(stderr,
                 "codecanvas-processor: pivot_root(%s): EINVAL (the host root is an initramfs); "
                 "entering the slot root with MS_MOVE and chroot instead\n",
                 root.c_str());
    if (auto s = doMount(".", "/", nullptr, MS_MOVE); !s) return s;
    if (::chroot(".") != 0) return sysError("chroot(" + root + ")");
  } else {
    return sysError("pivot_root(" + root + ")");
  }
  if (::chdir("/") != 0) return sysError("chdir(/)");
  return doMount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV);
}

Status mountWorkDir(const std::string& path, const std::string& options) {
  return doMount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options);
}

std::string boxOptions(const protocol::Init& init) {
  return "size=" + std::to_string(init.box_kb) + "k,nr_inodes=" + std::to_string(init.box_inodes) +
         ",mode=0755,uid=" + std::to_string(init.uid) + ",gid=" + std::to_string(init.gid);
}

std::string tmpOptions(const protocol::Init& init) {
  return "size=" + std::to_string(init.tmp_kb) + "k,nr_inodes=" + std::to_string(init.box_inodes) +
         ",mode=1777";
}

}  // namespace

Status buildSlotRoot(const protocol::Init& init) {
  // Nothing mounted from here on may propagate back to the host.
  if (auto s = doMount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE); !s) return s;
  const std::string root = kStaging;
  if (auto s =
          doMount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0755");
      !s)
    return s;
  if (auto s = writeIdentityFiles(init, root); !s) return s;
  for (const auto& entry : init.binds)
    if (auto s = addBind(entry, root); !s) return s;
  for (const char* dir : {"/proc", "/box", "/tmp"})
    if (auto s = makeDirs(root + dir); !s) return s;
  if (auto s = doMount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC); !s)
    return s;
  if (auto s = maskProc(root + "/proc"); !s) return s;
  if (auto s = buildDev(root); !s) return s;
  if (auto s = mountWorkDir(root + "/box", boxOptions(init)); !s) return s;
  if (auto s = mountWorkDir(root + "/tmp", tmpOptions(init)); !s) return s;
  return enterRoot(root);
}

Status freshTmp(const protocol::Init& init) {
  if (::umount2("/tmp", MNT_DETACH) != 0) return sysError("umount2(/tmp, MNT_DETACH)");
  return mountWorkDir("/tmp", tmpOptions(init));
}

Result<UniqueFd> freshWorkDirs(const protocol::Init& init) {
  if (::umount2("/box", MNT_DETACH) != 0) return sysError("umount2(/box, MNT_DETACH)");
  if (auto s = mountWorkDir("/box", boxOptions(init)); !s) return s.error();
  if (auto s = freshTmp(init); !s) return s.error();
  UniqueFd box(::open("/box", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!box) return sysError("open(/box, O_DIRECTORY)");
  return box;
}

}  // namespace codecanvas::processor
