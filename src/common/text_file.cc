#include "common/text_file.h"

#include <fcntl.h>
#include <unistd.h>

#include "unique_fd.h"

namespace codecanvas {

Result<std::string> readTextFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sysError("open(" + path + ", O_RDONLY)");
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysError("read(" + path + ")");
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      return Error{path + ": larger than " + std::to_string(max_bytes / 1024) +
                       " KiB; is this really the file meant?",
                   EFBIG};
    }
  }
}

}  // namespace codecanvas
