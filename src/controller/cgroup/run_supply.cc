#include "cgroup/run_supply.h"

#include <boost/asio/post.hpp>

namespace codecanvas::cgroup {

RunCgroupSupply::RunCgroupSupply(boost::asio::io_context& io, boost::asio::thread_pool& pool,
                                 SlotCgroup slot)
    : io_(io), pool_(pool), shared_(std::make_shared<Shared>(std::move(slot))) {
  prepare();
}

RunCgroupSupply::~RunCgroupSupply() {
  *alive_ = false;
  // Drain the worker first: nothing of this slot may be created or removed after the
  // directories are gone (a slot rebuilt under the same index reuses the paths).
  {
    std::unique_lock pending(shared_->pending_mutex);
    shared_->idle.wait(pending, [&] { return shared_->pending == 0; });
  }
  std::lock_guard lock(shared_->mutex);
  ready_.reset();
  (void)shared_->slot.remove();  // also removes a run the worker prepared meanwhile
}

void RunCgroupSupply::postWork(std::function<void(Shared&)> work) {
  {
    std::lock_guard lock(shared_->pending_mutex);
    ++shared_->pending;
  }
  boost::asio::post(pool_, [shared = shared_, work = std::move(work)] {
    {
      std::lock_guard lock(shared->mutex);
      work(*shared);
    }
    std::lock_guard lock(shared->pending_mutex);
    if (--shared->pending == 0) shared->idle.notify_all();
  });
}

void RunCgroupSupply::prepare() {
  preparing_ = true;
  auto alive = alive_;
  postWork([alive, &io = io_, this](Shared& shared) {
    // `alive` is written by the destructor before it drains the worker: atomic, as the
    // destructor may run on the rebuild worker (Sandbox::asyncRebuild).
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
  handOut(std::move(cg), limits, std::move(done));
}

void RunCgroupSupply::acquire(const RunCgroupLimits& limits, Handler done) {
  if (!ready_) {
    waiting_.emplace(limits, std::move(done));
    if (!preparing_) prepare();
    return;
  }
  Result<RunCgroup> cg = std::move(*ready_);
  ready_.reset();
  handOut(std::move(cg), limits, std::move(done));
}

void RunCgroupSupply::handOut(Result<RunCgroup> cg, const RunCgroupLimits& limits, Handler done) {
  // The next one is made while this run runs, so back-to-back runs find it ready.
  if (!preparing_) prepare();
  // What the slot's runs share (v1) is claimed later, when the run is sent: the previous
  // run may still be running now (RunOperation::chain).
  if (cg.ok()) {
    if (Status s = cg->setLimits(limits); !s) return done(s.error());
  }
  done(std::move(cg));
}

void RunCgroupSupply::retire(RunCgroup used) {
  auto used_ptr = std::make_shared<RunCgroup>(std::move(used));
  postWork([used_ptr](Shared&) { (void)used_ptr->remove(); });
}

}  // namespace codecanvas::cgroup
