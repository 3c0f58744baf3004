#include "sandbox/run_series.h"

namespace codecanvas::sandbox {

void RunSeries::start() {
  if (requests_.empty()) {
    if (auto end = std::move(end_)) end();
    return;
  }
  create(0, nullptr);
}

void RunSeries::create(size_t i, const std::shared_ptr<RunOperation>& after) {
  auto op = std::make_shared<RunOperation>(
      slot_, std::move(requests_[i]),
      [self = shared_from_this(), i](RunResult r) { self->arrived(i, std::move(r)); });
  live_.emplace(i, op);
  if (i + 1 < requests_.size()) {
    // The next run is prepared while this one runs, from the moment this one is sent.
    op->onSent([weak = weak_from_this(), i, sent = std::weak_ptr<RunOperation>(op)] {
      auto self = weak.lock();
      auto running = sent.lock();
      if (self && running && !self->stopped_) self->create(i + 1, running);
    });
  }
  if (after)
    after->chain(op);
  else
    op->start();
}

void RunSeries::stop(const std::string& why) {
  if (stopped_) return;
  stopped_ = true;
  std::vector<std::shared_ptr<RunOperation>> going;
  for (auto& [index, op] : live_) going.push_back(op);
  for (auto& op : going) op->cancel(why);
}

void RunSeries::arrived(size_t i, RunResult r) {
  live_.erase(i);
  early_.emplace(i, std::move(r));
  // A chained run normally ends after the one before it, but its result could still be
  // handled first (both in one batch of events): report strictly in order.
  while (!early_.empty() && early_.begin()->first == next_report_) {
    RunResult result = std::move(early_.begin()->second);
    early_.erase(early_.begin());
    const size_t index = next_report_++;
    if (stopped_) continue;
    // Runs after this one may be running (or ready to go): none may run on.
    if (!each_(index, std::move(result))) stop("the job stopped before this run");
  }
  // A run that ended without being sent (it could not be prepared) started no successor;
  // the next one goes out by itself, unless the slot broke (then none could).
  if (!stopped_ && live_.empty() && next_report_ < requests_.size()) {
    if (!slot_.broken()) return create(next_report_, nullptr);
    stopped_ = true;
  }
  if (live_.empty() && (stopped_ || next_report_ == requests_.size())) {
    early_.clear();
    if (auto end = std::move(end_)) end();
  }
}

}  // namespace codecanvas::sandbox
