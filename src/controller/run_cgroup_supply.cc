#include "run_cgroup_supply.h"

#include <boost/asio/post.hpp>

namespace codecanvas::controller {

RunCgroupSupply::RunCgroupSupply(boost::asio::io_context& io, boost::asio::thread_pool& pool,
                                 SlotCgroup slot)
    : io_(io), pool_(pool), shared_(std::make_shared<Shared>(std::move(slot))) {
  prepare(std::nullopt);
}

RunCgroupSupply::~RunCgroupSupply() {
  *alive_ = false;
  // Drain the worker first: nothing of this slot may be created or removed after the
  // directories are gone (a slot rebuilt under the same index reuses the paths).
  std::unique_lock lock(shared_->mutex);
  shared_->idle.wait(lock, [&] { return shared_->pending == 0; });
  ready_.reset();
  (void)shared_->slot.remove();  // also removes a run the worker prepared meanwhile
}

void RunCgroupSupply::postWork(std::function<void(Shared&)> work) {
  {
    std::lock_guard lock(shared_->mutex);
    ++shared_->pending;
  }
  boost::asio::post(pool_, [shared = shared_, work = std::move(work)] {
    std::lock_guard lock(shared->mutex);
    work(*shared);
    if (--shared->pending == 0) shared->idle.notify_all();
  });
}

void RunCgroupSupply::prepare(std::optional<RunCgroup> old) {
  preparing_ = true;
  auto alive = alive_;
  auto old_ptr = std::make_shared<std::optional<RunCgroup>>(std::move(old));
  postWork([alive, old_ptr, &io = io_, this](Shared& shared) {
    if (*old_ptr) (void)(*old_ptr)->remove();
    old_ptr->reset();
    // `alive` is only written on the io thread, before the destructor drains: reading it
    // here under the mutex the destructor also takes is ordered correctly.
    if (!*alive) return;
    auto next = std::make_shared<Result<RunCgroup>>(shared.slot.createRun({}));
    boost::asio::post(io, [alive, this, next] {
      if (*alive) deliver(std::move(*next));
    });
  });
}

void RunCgroupSupply::deliver(Result<RunCgroup> cg) {
  preparing_ = false;
  if (!waiting_) {
    ready_.emplace(std::move(cg));
    return;
  }
  auto [limits, done] = std::move(*waiting_);
  waiting_.reset();
  if (cg.ok()) {
    if (Status s = cg->setLimits(limits); !s) return done(s.error());
  }
  done(std::move(cg));
}

void RunCgroupSupply::acquire(const RunCgroupLimits& limits, Handler done) {
  if (!ready_) {
    waiting_.emplace(limits, std::move(done));
    if (!preparing_) prepare(std::nullopt);
    return;
  }
  Result<RunCgroup> cg = std::move(*ready_);
  ready_.reset();
  if (cg.ok()) {
    if (Status s = cg->setLimits(limits); !s) return done(s.error());
  }
  done(std::move(cg));
}

void RunCgroupSupply::retire(RunCgroup used) {
  if (preparing_) {
    // A preparation is under way (the last acquire failed); just drop the old one there.
    auto used_ptr = std::make_shared<RunCgroup>(std::move(used));
    postWork([used_ptr](Shared&) { (void)used_ptr->remove(); });
    return;
  }
  prepare(std::move(used));
}

}  // namespace codecanvas::controller
