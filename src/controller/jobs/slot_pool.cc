#include "jobs/slot_pool.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <string_view>

namespace codecanvas::jobs {

namespace {

double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// A sandbox fault, as opposed to anything the user's program did.
bool isFault(const sandbox::RunResult& r) {
  return r.status == sandbox::RunStatus::kInternalError;
}

// "<step>: <what failed>". The API puts "sandbox failure in " before it, so the run's own
// "sandbox failure: " prefix is dropped rather than said twice.
std::string faultText(const std::string& step, const sandbox::RunResult& r) {
  constexpr std::string_view kPrefix = "sandbox failure: ";
  std::string_view what = r.error.empty() ? std::string_view("sandbox failure") : r.error;
  if (what.starts_with(kPrefix)) what.remove_prefix(kPrefix.size());
  std::string s = step + ": " + std::string(what);
  if (!r.failed_step.empty() && r.error.find(r.failed_step) == std::string::npos)
    s += " (at step " + r.failed_step + ")";
  return s;
}

}  // namespace

// One job in its locked slot. Lives on the event-loop thread from start() until it calls
// pool_.release(); each step continues in the previous step's completion handler.
class SlotPool::Execution : public std::enable_shared_from_this<SlotPool::Execution> {
 public:
  Execution(SlotPool& pool, size_t index, std::unique_ptr<Pending> job)
      : pool_(pool), index_(index), job_(std::move(job)) {}

  void start() {
    outcome_.slot = static_cast<unsigned>(index_);
    outcome_.queue_ms = msSince(job_->submitted);
    if (const auto& cancel = job_->plan.cancel) {
      if (cancel->requested()) {  // cancelled while it waited: the slot was never touched
        outcome_.cancelled = true;
        return finish(/*rebuild=*/false);
      }
      // From any thread; the job itself is only ever touched on the loop.
      cancel->onRequest([weak = weak_from_this(), &io = pool_.io_] {
        boost::asio::post(io, [weak] {
          if (auto self = weak.lock()) self->cancelNow();
        });
      });
    }
    sandbox::Slot& slot = pool_.sandbox_->slot(index_);
    for (const auto& f : job_->plan.files) {
      if (auto s = slot.copyIn(f); !s)
        return fail("copying " + f.name + " into /box: " + s.error().message);
    }
    if (const auto& out = job_->plan.outputs) {
      if (auto s = slot.copyIn(sandbox::BoxFile{out->dir, "", "", 0755, true}); !s)
        return fail("making /box/" + out->dir + ": " + s.error().message);
    }
    if (job_->plan.compile) return compile();
    runAll();
  }

 private:
  sandbox::Slot& slot() { return pool_.sandbox_->slot(index_); }

  // The submitter gave up on the job: the step in progress is killed, none after it runs,
  // and the job ends with the usual wipe.
  void cancelNow() {
    if (delivered_ || !stopped().empty()) return;
    outcome_.cancelled = true;
    slot().stopRuns("the job was cancelled");
  }

  void compile() {
    if (outcome_.cancelled) return wipe();
    CompileStep& step = *job_->plan.compile;
    if (!step.cache_key.empty()) {
      if (auto hit = pool_.cache_.find(step.cache_key)) {
        for (const auto& f : hit->files) {
          if (auto s = slot().copyIn(f); !s)
            return fail("copying the cached " + f.name + " into /box: " + s.error().message);
        }
        outcome_.compile = hit->compile;
        outcome_.compile_cached = true;
        if (job_->plan.on_stage) job_->plan.on_stage("compiled", &*outcome_.compile);
        return runAll();
      }
    }
    if (job_->plan.on_stage) job_->plan.on_stage("compile", nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    slot().asyncRun(step.request, [self = shared_from_this(), t0](sandbox::RunResult r) {
      self->outcome_.compile_ms = msSince(t0);
      self->compiled(std::move(r));
    });
  }

  void compiled(sandbox::RunResult r) {
    if (outcome_.cancelled) return wipe();  // its result is the cancellation's, not a fault
    if (isFault(r)) return fail(faultText("compile step", r));
    const bool ok = r.status == sandbox::RunStatus::kOk;
    outcome_.compile = std::move(r);
    if (job_->plan.on_stage) job_->plan.on_stage("compiled", &*outcome_.compile);
    if (!ok) return wipe();  // compile error: the program does not run
    CompileStep& step = *job_->plan.compile;
    if (!step.cache_key.empty()) {
      auto files = slot().readBoxFiles(step.artifacts, pool_.options_.max_artifact_bytes);
      if (files && !files->empty())
        pool_.cache_.insert(step.cache_key,
                            CompiledArtifacts{std::move(files.value()), *outcome_.compile});
    }
    runAll();
  }

  // The runs go out as one series: each run's plan is ready when the one before ends.
  void runAll() {
    if (job_->plan.runs.empty() || outcome_.cancelled) return wipe();
    if (job_->plan.on_stage) job_->plan.on_stage("run", nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    if (const uint64_t wall = job_->plan.budget.wall_ms) {
      budget_timer_.emplace(pool_.io_);
      budget_timer_->expires_after(std::chrono::milliseconds(wall));
      budget_timer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self || self->delivered_ || !self->stopped().empty()) return;
        self->outcome_.stopped = "job_wall_ms";
        self->slot().stopRuns("the job's wall-time budget is spent");
      });
    }
    slot().asyncRunSeries(
        job_->plan.runs,
        [self = shared_from_this()](size_t i, sandbox::RunResult r) {
          return self->ran(i, std::move(r));
        },
        [self = shared_from_this(), t0] {
          self->outcome_.run_ms = msSince(t0);
          if (self->budget_timer_) self->budget_timer_->cancel();
          if (self->fault_ && self->stopped().empty()) return self->fail(std::move(*self->fault_));
          if (const auto& out = self->job_->plan.outputs; out && !self->outcome_.cancelled) {
            auto found = self->slot().readBoxDirectory(out->dir, out->max_files, out->max_bytes);
            if (!found)
              return self->fail("reading /box/" + out->dir + ": " + found.error().message);
            self->outcome_.outputs = std::move(found->files);
            self->outcome_.outputs_truncated = found->truncated;
          }
          self->wipe();
        });
  }

  // Why the job stopped early ("" while it goes on): cancelled, or a budget spent.
  std::string stopped() const { return outcome_.cancelled ? "cancelled" : outcome_.stopped; }

  // Run `i` ended (on the loop, in order): its verdict on the whole result, then what of it
  // is kept, then whether the job goes on. False stops the series.
  bool ran(size_t i, sandbox::RunResult r) {
    if (!stopped().empty()) return false;  // killed by the stop, not a result
    if (isFault(r)) {
      fault_ = faultText("run " + std::to_string(i + 1), r);
      return false;
    }
    const JobPlan& plan = job_->plan;
    std::string verdict = plan.verdict ? plan.verdict(i, r) : "";
    cpu_ms_ += r.time_ms.value_or(0);
    if (plan.verdict && verdict == "accepted") {
      // No answer shows an accepted test's output: 500 tests of 16 MiB each would
      // otherwise be held until the answer is made.
      r.stdout_data.clear(), r.stdout_data.shrink_to_fit();
      r.stderr_data.clear(), r.stderr_data.shrink_to_fit();
    } else {
      keepWithinBudget(r.stdout_data, r.stdout_truncated);
      keepWithinBudget(r.stderr_data, r.stderr_truncated);
    }
    const bool failed = plan.verdict && verdict != "accepted";
    outcome_.runs.push_back(std::move(r));
    if (plan.verdict) outcome_.verdicts.push_back(std::move(verdict));
    if (failed && plan.stop_on_failure) return false;
    if (plan.budget.cpu_ms > 0 && cpu_ms_ >= static_cast<double>(plan.budget.cpu_ms) &&
        i + 1 < plan.runs.size()) {
      outcome_.stopped = "job_cpu_ms";
      return false;
    }
    return true;
  }

  // Cuts `text` to what is left of the job's output budget.
  void keepWithinBudget(std::string& text, bool& truncated) {
    const uint64_t budget = job_->plan.budget.output_bytes;
    if (budget == 0) return;
    const uint64_t left = budget > output_kept_ ? budget - output_kept_ : 0;
    if (text.size() > left) {
      text.resize(left);
      text.shrink_to_fit();
      truncated = true;
      outcome_.output_cut = true;
    }
    output_kept_ += text.size();
  }

  // The answer goes out before the wipe: the result is complete, and the client need not
  // wait for /box and /tmp to be emptied. The slot stays locked until they are, and a
  // failed wipe only costs the slot (it is rebuilt), not the answer.
  void wipe() {
    deliver();
    slot().asyncWipe([self = shared_from_this()](Status s) {
      if (!s)
        std::fprintf(stderr, "codecanvas: slot %zu: wiping failed, rebuilding it: %s\n",
                     self->index_, s.error().message.c_str());
      self->finish(/*rebuild=*/!s);
    });
  }

  void fail(std::string why) {
    outcome_.fault = std::move(why);
    // A broken slot (its keeper lost or confused) is rebuilt from scratch, never reused.
    // A step that failed without breaking it (a plan refused before it was sent, a
    // program that could not start) leaves a keeper that still answers: the wipe checks
    // that and empties the box like after any job.
    if (slot().broken()) return finish(/*rebuild=*/true);
    wipe();
  }

  void deliver() {
    if (delivered_) return;
    delivered_ = true;
    // Nothing is left to cancel; the submitter's token may outlive the pool.
    if (const auto& cancel = job_->plan.cancel) cancel->onRequest({});
    outcome_.total_ms = msSince(job_->submitted);
    job_->deliver(std::move(outcome_));
  }

  void finish(bool rebuild) {
    deliver();
    pool_.release(index_, rebuild || slot().broken());
  }

  SlotPool& pool_;
  size_t index_;
  std::unique_ptr<Pending> job_;
  JobOutcome outcome_;
  std::optional<std::string> fault_;  // a run's sandbox failure, acted on once the slot is idle
  bool delivered_ = false;
  std::optional<boost::asio::steady_timer> budget_timer_;  // the job's wall-time budget
  double cpu_ms_ = 0;                                      // of the runs so far
  uint64_t output_kept_ = 0;                               // bytes of output kept so far
};

Result<std::unique_ptr<SlotPool>> SlotPool::create(PoolOptions options) {
  if (options.sandbox.slots == 0) return Error{"the pool needs at least one slot", EINVAL};
  std::unique_ptr<SlotPool> pool(new SlotPool(std::move(options)));
  auto sandbox = sandbox::Sandbox::create(pool->io_, pool->options_.sandbox);
  if (!sandbox) return sandbox.error();
  pool->sandbox_ = std::move(sandbox.value());
  pool->slot_busy_.assign(pool->sandbox_->size(), false);
  pool->slot_broken_.assign(pool->sandbox_->size(), false);
  pool->retry_at_.assign(pool->sandbox_->size(), {});
  pool->loop_ = std::thread([p = pool.get()] {
    auto guard = boost::asio::make_work_guard(p->io_);
    p->io_.run();
  });
  return pool;
}

SlotPool::~SlotPool() {
  {
    // Jobs still waiting are answered "rejected"; running ones end on their own (every
    // step has a wall-clock limit) before the slots go.
    std::unique_lock lock(mu_);
    draining_ = true;
    for (auto& p : queue_) {
      JobOutcome o;
      o.rejected = true;
      p->deliver(std::move(o));
      --admitted_;
    }
    queue_.clear();
    idle_.wait(lock, [this] { return admitted_ == 0; });
  }
  // create() failed before the loop thread started: nothing would ever run the teardown
  // posted below, and waiting for it would hang the server instead of reporting the error.
  if (!loop_.joinable()) {
    sandbox_.reset();
    return;
  }
  // The slots are torn down on the loop thread, which owns them, before it stops.
  std::promise<void> done;
  boost::asio::post(io_, [this, &done] {
    sandbox_.reset();
    done.set_value();
  });
  done.get_future().wait();
  io_.stop();
  loop_.join();
}

std::optional<std::future<JobOutcome>> SlotPool::submit(JobPlan plan) {
  auto pending = std::make_unique<Pending>();
  pending->plan = std::move(plan);
  auto future = pending->promise.get_future();
  if (!admit(std::move(pending))) return std::nullopt;
  return future;
}

bool SlotPool::submit(JobPlan plan, std::function<void(JobOutcome)> done) {
  auto pending = std::make_unique<Pending>();
  pending->plan = std::move(plan);
  pending->done = std::move(done);
  return admit(std::move(pending));
}

bool SlotPool::admit(std::unique_ptr<Pending> pending) {
  pending->submitted = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (draining_ || admitted_ >= slot_busy_.size() + options_.queue_capacity) return false;
    ++admitted_;
    queue_.push_back(std::move(pending));
  }
  boost::asio::post(io_, [this] { dispatch(); });
  return true;
}

void SlotPool::dispatch() {
  for (size_t i = 0; i < slot_busy_.size(); ++i) {
    std::unique_ptr<Pending> job;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) return;
      if (slot_busy_[i]) continue;
      if (slot_broken_[i]) {
        // A slot whose rebuild failed gets another chance, at most every few seconds,
        // when work is waiting for it; it is busy while it is built.
        if (std::chrono::steady_clock::now() >= retry_at_[i]) {
          slot_busy_[i] = true;
          boost::asio::post(
              io_, [this, i] { rebuild(i, [this, i] { slotFree(i, /*job_ended=*/false); }); });
        }
        continue;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
      slot_busy_[i] = true;
    }
    std::make_shared<Execution>(*this, i, std::move(job))->start();
  }
}

void SlotPool::rebuild(size_t index, std::function<void()> then) {
  sandbox_->asyncRebuild(index, [this, index, then = std::move(then)](Status s) {
    {
      std::lock_guard lock(mu_);
      slot_broken_[index] = !s;
      if (s) {
        ++rebuilds_;
      } else {
        ++rebuild_failures_;
        retry_at_[index] = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      }
    }
    if (!s)
      std::fprintf(stderr, "codecanvas: rebuilding slot %zu failed: %s\n", index,
                   s.error().message.c_str());
    then();
  });
}

void SlotPool::release(size_t index, bool rebuild_slot) {
  if (rebuild_slot) {
    // The slot stays busy (and the job counted, so a shutdown waits) until it is rebuilt.
    return rebuild(index, [this, index] { slotFree(index, /*job_ended=*/true); });
  }
  slotFree(index, /*job_ended=*/true);
}

void SlotPool::slotFree(size_t index, bool job_ended) {
  {
    std::lock_guard lock(mu_);
    slot_busy_[index] = false;
    if (job_ended) --admitted_;
  }
  idle_.notify_all();
  // Not dispatch() directly: the finished job's handlers are still on the stack.
  boost::asio::post(io_, [this] { dispatch(); });
}

void SlotPool::stopAdmitting() {
  std::lock_guard lock(mu_);
  draining_ = true;
}

bool SlotPool::admitting() const {
  std::lock_guard lock(mu_);
  return !draining_;
}

bool SlotPool::drain(std::chrono::milliseconds grace) {
  stopAdmitting();
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, grace, [this] { return admitted_ == 0; });
}

SlotPool::Stats SlotPool::stats() const {
  std::lock_guard lock(mu_);
  Stats s;
  s.slots = slot_busy_.size();
  for (size_t i = 0; i < slot_busy_.size(); ++i) {
    s.busy += slot_busy_[i] ? 1 : 0;
    s.broken += slot_broken_[i] ? 1 : 0;
  }
  s.queued = queue_.size();
  s.queue_capacity = options_.queue_capacity;
  s.rebuilds = rebuilds_;
  s.rebuild_failures = rebuild_failures_;
  return s;
}

}  // namespace codecanvas::jobs
