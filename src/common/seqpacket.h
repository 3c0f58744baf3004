// Sending and receiving one SOCK_SEQPACKET message with file descriptors attached
// (SCM_RIGHTS). Used by the controller (server side) and the keeper alike; neither
// function allocates on the send path beyond the caller's buffers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "result.h"
#include "unique_fd.h"

namespace codecanvas {

// The largest message either side sends; a run plan with argv, environment and a
// seccomp program stays far below it.
inline constexpr size_t kMaxMessageBytes = 256 * 1024;
inline constexpr size_t kMaxMessageFds = 16;

Status sendMessage(int sock, std::span<const uint8_t> bytes, std::span<const int> fds = {});

struct Message {
  std::vector<uint8_t> bytes;
  std::vector<UniqueFd> fds;  // received close-on-exec
};

// Blocks unless `dontwait`; end of file (the peer is gone) is an Error with errno 0 and
// the message "peer closed the socket". With `dontwait`, EAGAIN comes back as an Error
// whose errno_value is EAGAIN.
Result<Message> receiveMessage(int sock, bool dontwait = false);

}  // namespace codecanvas
