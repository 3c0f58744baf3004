// Supervision of one step in a slot, on the server's Boost.Asio loop:
//   - sends the plan and the descriptors to the keeper,
//   - reads stdout and stderr through pipes and stops at the output cap,
//   - a wall-clock timer, and the run cgroup's CPU counter polled every few milliseconds,
//   - asks the keeper to kill everything in the slot as soon as a limit is passed,
//   - after the keeper reports the end: reads the cgroup's figures and decides the status.
// Runs can be chained (a judge's tests): the next run acquires its cgroup and builds its
// plan while this one runs, and is sent the moment the keeper reports this run's end, so
// the controller's work between two runs (figures, result, next plan) leaves the path.
#pragma once

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "sandbox/live_io.h"
#include "sandbox/run_status.h"
#include "sandbox/slot.h"

namespace codecanvas::sandbox {

class RunOperation : public std::enable_shared_from_this<RunOperation> {
 public:
  RunOperation(SlotPort& slot, RunRequest request, Slot::RunHandler done);
  // Acquires the run cgroup, builds the plan and sends it (at once, or for a chained run
  // once its predecessor has ended). `done` is called exactly once.
  void start();
  // Called once the plan has reached the keeper (not for a run that never started).
  void onSent(std::function<void()> hook) { on_sent_ = std::move(hook); }
  // Starts `next` chained after this run, which has been sent: `next` is sent when the
  // keeper reports this run's end, and not at all if this run fails or cannot start.
  void chain(std::shared_ptr<RunOperation> next);
  // Stops the run: one not yet sent never is, one running is killed. Either way `done`
  // still comes, with an internal error that says why; nothing in it is a real result.
  void cancel(const std::string& why);

 private:
  struct Stream {
    Stream(boost::asio::io_context& io, int number) : pipe(io), number(number) {}
    boost::asio::posix::stream_descriptor pipe;
    int number;                      // 1: stdout, 2: stderr
    std::array<char, 65536> buffer;  // not zeroed (two per run): a read fills what it uses
    std::string data;
    bool truncated = false;
    bool eof = false;
    // A live run: a chunk is with the session, and the pipe is not read until it asks for
    // more (or the run ends).
    bool paused = false;
  };

  cgroup::RunCgroupLimits cgroupLimits() const;
  void launch(Result<cgroup::RunCgroup> cgroup);
  Status preparePlan();
  void send();
  void predecessorEnded();
  void endWithoutRunning(const std::string& why);
  Result<UniqueFd> openStdin();
  void onMessage(Result<Message> m);
  void readStream(Stream& s);
  // A live run: reads on from a paused stream (the session asked for more, or the run ended).
  void resume(Stream& s);
  void scheduleCpuPoll();
  void kill(KillReason reason);
  void maybeFinish();
  void finish();
  void failInternal(const std::string& why, bool slot_broken);

  SlotPort& slot_;
  RunRequest request_;
  Slot::RunHandler done_;
  std::optional<cgroup::RunCgroup> cgroup_;
  Stream out_, err_;
  boost::asio::steady_timer wall_timer_, cpu_timer_;
  // The plan, built ahead of its sending: the message and the descriptors it carries.
  std::vector<uint8_t> plan_bytes_;
  std::vector<UniqueFd> plan_fds_;
  bool prepared_ = false, held_ = false, sent_ = false;
  std::string cancelled_;  // why the run was cancelled; empty: it was not
  std::function<void()> on_sent_;
  std::shared_ptr<RunOperation> successor_;
  std::optional<cgroup::RunUsage> usage_;  // read when the keeper reported the end
  bool ended_ = false, finished_ = false;
  KillReason killed_ = KillReason::kNone;
  protocol::Exited exit_;
  std::optional<protocol::StepFailure> start_failure_;
  std::string internal_error_;
  UniqueFd live_stdin_;  // a live run: the write end of stdin, until the run is sent
};

}  // namespace codecanvas::sandbox
