#include "sandbox/rootfs_manifest.h"

#include <set>
#include <sstream>

#include "common/text_file.h"

namespace codecanvas::sandbox {

Result<std::vector<protocol::BindEntry>> parseRootfsManifest(std::string_view text,
                                                             std::string_view origin) {
  std::vector<protocol::BindEntry> entries;
  std::set<std::string> seen;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string path, flag, extra;
    if (!(words >> path)) continue;
    words >> flag >> extra;
    const std::string where = std::string(origin) + ":" + std::to_string(number) + ": ";
    if (path[0] != '/' || path.find("..") != std::string::npos || path == "/")
      return Error{where + "'" + path + "' must be an absolute path below / without '..'", EINVAL};
    if (!flag.empty() && flag != "optional")
      return Error{where + "unknown flag '" + flag + "' (only 'optional' is known)", EINVAL};
    if (!extra.empty()) return Error{where + "unexpected '" + extra + "'", EINVAL};
    for (const char* reserved : {"/proc", "/dev", "/box", "/tmp", "/etc/passwd", "/etc/group"})
      if (path == reserved)
        return Error{where + path + " is built by the keeper itself and cannot be bound", EINVAL};
    if (!seen.insert(path).second) return Error{where + "duplicate path " + path, EINVAL};
    entries.push_back({path, flag == "optional"});
  }
  if (entries.empty()) return Error{std::string(origin) + ": the manifest binds nothing", EINVAL};
  return entries;
}

Result<std::vector<protocol::BindEntry>> loadRootfsManifest(const std::string& path) {
  auto text = readTextFile(path);
  if (!text) return text.error();
  return parseRootfsManifest(*text, path);
}

}  // namespace codecanvas::sandbox
