// Several runs of one job in one slot, one after another (a judge's tests): each run is
// chained after the previous one (RunOperation::chain), so its cgroup and plan are ready
// when the keeper reports the previous run's end and it goes out at once. Results are
// reported in order; the caller may stop after any of them. Server side, on the
// io_context's thread.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "sandbox/run_operation.h"

namespace codecanvas::sandbox {

class RunSeries : public std::enable_shared_from_this<RunSeries> {
 public:
  RunSeries(SlotPort& slot, std::vector<RunRequest> requests, Slot::SeriesHandler each,
            std::function<void()> end)
      : slot_(slot), requests_(std::move(requests)), each_(std::move(each)), end_(std::move(end)) {}
  void start();
  // Stops the series now: a run in progress is killed, none after it is sent; results
  // not yet reported are not. `end` still comes once, when the slot runs nothing any more.
  void stop(const std::string& why);

 private:
  // Creates run `i`, chained after `after` when there is one.
  void create(size_t i, const std::shared_ptr<RunOperation>& after);
  void arrived(size_t i, RunResult r);

  SlotPort& slot_;
  std::vector<RunRequest> requests_;
  Slot::SeriesHandler each_;
  std::function<void()> end_;
  std::map<size_t, RunResult> early_;  // results that came before an earlier run's
  size_t next_report_ = 0;
  bool stopped_ = false;
  std::map<size_t, std::shared_ptr<RunOperation>> live_;  // created, result not come yet
};

}  // namespace codecanvas::sandbox
