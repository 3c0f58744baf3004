// Supervision of one step in a slot, on the server's Boost.Asio loop:
//   - sends the plan and the descriptors to the keeper,
//   - reads stdout and stderr through pipes and stops at the output cap,
//   - a wall-clock timer, and the run cgroup's CPU counter polled every few milliseconds,
//   - asks the keeper to kill everything in the slot as soon as a limit is passed,
//   - after the keeper reports the end: reads the cgroup's figures and decides the status.
#pragma once

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>

#include "slot.h"
#include "verdict.h"

namespace codecanvas::controller {

class RunOperation : public std::enable_shared_from_this<RunOperation> {
 public:
  RunOperation(Slot& slot, RunRequest request, Slot::RunHandler done);
  void start();

 private:
  struct Stream {
    explicit Stream(boost::asio::io_context& io) : pipe(io) {}
    boost::asio::posix::stream_descriptor pipe;
    std::array<char, 65536> buffer{};
    std::string data;
    bool truncated = false;
    bool eof = false;
  };

  void launch(Result<RunCgroup> cgroup);
  Status sendPlan();
  Result<UniqueFd> openStdin();
  void onMessage(Result<Message> m);
  void readStream(Stream& s);
  void scheduleCpuPoll();
  void kill(KillReason reason);
  void maybeFinish();
  void finish();
  void failInternal(const std::string& why, bool slot_broken);

  Slot& slot_;
  RunRequest request_;
  Slot::RunHandler done_;
  std::optional<RunCgroup> cgroup_;
  Stream out_, err_;
  boost::asio::steady_timer wall_timer_, cpu_timer_;
  bool ended_ = false, finished_ = false;
  KillReason killed_ = KillReason::kNone;
  protocol::Exited exit_;
  std::optional<protocol::StepFailure> start_failure_;
  std::string internal_error_;
};

}  // namespace codecanvas::controller
