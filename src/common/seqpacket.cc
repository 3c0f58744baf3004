#include "seqpacket.h"

#include <sys/socket.h>

#include <cstring>
#include <memory>

namespace codecanvas {

Status sendMessage(int sock, std::span<const uint8_t> bytes, std::span<const int> fds) {
  if (bytes.size() > kMaxMessageBytes || fds.size() > kMaxMessageFds) {
    return Error{"sendmsg: message of " + std::to_string(bytes.size()) + " bytes and " +
                     std::to_string(fds.size()) + " fds is over the limit",
                 EMSGSIZE};
  }
  iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxMessageFds)];
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n >= 0) return {};
    if (errno != EINTR)
      return sysError("sendmsg(seqpacket, " + std::to_string(bytes.size()) + " bytes)");
  }
}

Result<Message> receiveMessage(int sock, bool dontwait) {
  // One scratch buffer per thread, never zero-filled: three messages per run would
  // otherwise each clear 256 KiB to receive a few hundred bytes.
  thread_local std::unique_ptr<uint8_t[]> scratch(new uint8_t[kMaxMessageBytes]);
  Message m;
  iovec iov{scratch.get(), kMaxMessageBytes};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxMessageFds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | (dontwait ? MSG_DONTWAIT : 0));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sysError("recvmsg(seqpacket)");
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      m.fds.emplace_back(fd);
    }
  }
  if (n == 0 && m.fds.empty()) return Error{"recvmsg(seqpacket): peer closed the socket", 0};
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
    return Error{"recvmsg(seqpacket): message truncated", EMSGSIZE};
  }
  m.bytes.assign(scratch.get(), scratch.get() + n);
  return m;
}

}  // namespace codecanvas
