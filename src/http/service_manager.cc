#include "service_manager.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "unique_fd.h"

namespace codecanvas::http {

Status notifyServiceManager(const std::string& state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr || *name == '\0') return {};
  const size_t len = std::strlen(name);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if ((name[0] != '/' && name[0] != '@') || len >= sizeof addr.sun_path)
    return Error{"NOTIFY_SOCKET is not a socket path or an abstract name: " + std::string(name),
                 EINVAL};
  std::memcpy(addr.sun_path, name, len);
  if (name[0] == '@') addr.sun_path[0] = '\0';  // an abstract socket
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return sysError("socket(AF_UNIX) for the service manager");
  const auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  if (::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&addr), size) < 0)
    return sysError("telling the service manager " + state.substr(0, state.find('\n')));
  return {};
}

}  // namespace codecanvas::http
