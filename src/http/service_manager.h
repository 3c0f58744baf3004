// Telling the service manager (systemd, Type=notify) how the server is: "READY=1" once it
// listens, "STOPPING=1" when it begins to shut down, "STATUS=..." for `systemctl status`.
// The protocol is one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an
// abstract name after '@'). Without the variable no service manager is listening and
// nothing is sent. Written here rather than linking libsystemd: on Debian 12 its -dev
// package pulls a newer libsystemd0 than the installed systemd accepts.
#pragma once

#include <string>

#include "result.h"

namespace codecanvas::http {

// Sends `state` (newline-separated assignments); ok when there is no service manager.
Status notifyServiceManager(const std::string& state);

}  // namespace codecanvas::http
