#include "dir_names.h"

#include <dirent.h>
#include <fcntl.h>

#include <memory>

#include "unique_fd.h"

namespace codecanvas {

Result<std::vector<std::string>> namesIn(int dir_fd, const std::string& what) {
  UniqueFd own(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!own) return sysError("openat(" + what + ")");
  DIR* dir = ::fdopendir(own.get());
  if (dir == nullptr) return sysError("fdopendir(" + what + ")");
  (void)own.release();
  std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  if (errno != 0) return sysError("readdir(" + what + ")");
  return names;
}

}  // namespace codecanvas
