#include "jobs/slot_pool.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include "judge/verdicts.h"

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

// A pipe, both ends close-on-exec: {read end, write end}.
Result<std::pair<UniqueFd, UniqueFd>> makePipe(const std::string& what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return sysError("pipe2(" + what + ")");
  return std::pair<UniqueFd, UniqueFd>{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace

// One job in its locked slot (two for a job with a companion: the judge's interactor or
// checker runs in the second). Lives on the event-loop thread from start() until it has
// called pool_.release() for each; each step continues in the previous step's completion
// handler.
class SlotPool::Execution : public std::enable_shared_from_this<SlotPool::Execution> {
 public:
  Execution(SlotPool& pool, size_t index, std::optional<size_t> partner,
            std::unique_ptr<Pending> job)
      : pool_(pool), index_(index), partner_(partner), job_(std::move(job)) {}

  void start() {
    outcome_.slot = static_cast<unsigned>(index_);
    outcome_.queue_ms = msSince(job_->submitted);
    if (const auto& cancel = job_->plan.cancel) {
      if (cancel->requested()) {  // cancelled while it waited: the slot was never touched
        outcome_.cancelled = true;
        return finish();
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
    if (const auto& companion = job_->plan.companion) {
      for (const auto& f : companion->files) {
        if (auto s = partnerSlot().copyIn(f); !s)
          return fail("copying " + f.name + " into the judge slot's /box: " + s.error().message);
      }
    }
    if (const auto& out = job_->plan.outputs) {
      if (auto s = slot.copyIn(sandbox::BoxFile{out->dir, "", "", 0755, true}); !s)
        return fail("making /box/" + out->dir + ": " + s.error().message);
    }
    if (job_->plan.compile) return compile();
    compileCompanion();
  }

 private:
  sandbox::Slot& slot() { return pool_.sandbox_->slot(index_); }
  sandbox::Slot& partnerSlot() { return pool_.sandbox_->slot(*partner_); }

  // Stops whatever runs in the job's slots (the step in progress is killed).
  void stopAll(const std::string& why) {
    slot().stopRuns(why);
    if (partner_) partnerSlot().stopRuns(why);
  }

  // The submitter gave up on the job: the step in progress is killed, none after it runs,
  // and the job ends with the usual wipe.
  void cancelNow() {
    if (delivered_ || !stopped().empty()) return;
    outcome_.cancelled = true;
    stopAll("the job was cancelled");
  }

  // Compiles `step` in slot `index`, or copies its artifacts in from the compile cache;
  // `then` gets the compiler's result and whether it came from the cache. A cancellation
  // or a sandbox fault ends the job instead. `announce`: a live job hears of a compile
  // that really runs ("compile").
  void compileIn(size_t index, const CompileStep& step, const std::string& what, bool announce,
                 std::function<void(sandbox::RunResult, bool cached)> then) {
    sandbox::Slot& in = pool_.sandbox_->slot(index);
    if (!step.cache_key.empty()) {
      if (auto hit = pool_.cache_.find(step.cache_key)) {
        for (const auto& f : hit->files) {
          if (auto s = in.copyIn(f); !s)
            return fail("copying the cached " + f.name + " into /box: " + s.error().message);
        }
        return then(hit->compile, true);
      }
    }
    if (announce && job_->plan.on_stage) job_->plan.on_stage("compile", nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    in.asyncRun(step.request, [self = shared_from_this(), t0, index, &step, what,
                               then = std::move(then)](sandbox::RunResult r) {
      self->outcome_.compile_ms += msSince(t0);
      // Its result is the cancellation's, not a fault.
      if (self->outcome_.cancelled) return self->wipe();
      if (isFault(r)) return self->fail(faultText(what, r));
      if (r.status == sandbox::RunStatus::kOk && !step.cache_key.empty()) {
        auto files = self->pool_.sandbox_->slot(index).readBoxFiles(
            step.artifacts, self->pool_.options_.max_artifact_bytes);
        if (files && !files->empty())
          self->pool_.cache_.insert(step.cache_key, CompiledArtifacts{std::move(files.value()), r});
      }
      then(std::move(r), false);
    });
  }

  void compile() {
    if (outcome_.cancelled) return wipe();
    compileIn(index_, *job_->plan.compile, "compile step", /*announce=*/true,
              [this](sandbox::RunResult r, bool from_cache) {
                const bool ok = r.status == sandbox::RunStatus::kOk;
                outcome_.compile = std::move(r);
                outcome_.compile_cached = from_cache;
                if (job_->plan.on_stage) job_->plan.on_stage("compiled", &*outcome_.compile);
                if (!ok) return wipe();  // compile error: the program does not run
                compileCompanion();
              });
  }

  // The judge's program compiles after the user's (whose compile error is the answer
  // and needs no judge), in its own slot.
  void compileCompanion() {
    const auto& companion = job_->plan.companion;
    if (!companion || !companion->compile) return runAll();
    if (outcome_.cancelled) return wipe();
    compileIn(*partner_, *companion->compile, "the judge program's compile step",
              /*announce=*/false, [this](sandbox::RunResult r, bool from_cache) {
                const bool ok = r.status == sandbox::RunStatus::kOk;
                outcome_.companion_compile = std::move(r);
                outcome_.companion_compile_cached = from_cache;
                if (!ok) return wipe();  // nothing can be judged
                runAll();
              });
  }

  void startBudgetTimer() {
    const uint64_t wall = job_->plan.budget.wall_ms;
    if (wall == 0) return;
    budget_timer_.emplace(pool_.io_);
    budget_timer_->expires_after(std::chrono::milliseconds(wall));
    budget_timer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->delivered_ || !self->stopped().empty()) return;
      self->outcome_.stopped = "job_wall_ms";
      self->stopAll("the job's wall-time budget is spent");
    });
  }

  // The runs go out as one series: each run's plan is ready when the one before ends.
  void runAll() {
    if (job_->plan.runs.empty() || outcome_.cancelled) return wipe();
    if (job_->plan.on_stage) job_->plan.on_stage("run", nullptr);
    runs_t0_ = std::chrono::steady_clock::now();
    startBudgetTimer();
    if (job_->plan.companion) return runPair(0);
    slot().asyncRunSeries(
        job_->plan.runs,
        [self = shared_from_this()](size_t i, sandbox::RunResult r) {
          return self->ran(i, std::move(r), nullptr);
        },
        [self = shared_from_this()] { self->runsEnded(); });
  }

  // Every run has ended or the job stopped, and the job's slots run nothing any more.
  void runsEnded() {
    outcome_.run_ms = msSince(runs_t0_);
    if (budget_timer_) budget_timer_->cancel();
    if (fault_ && stopped().empty()) return fail(std::move(*fault_));
    if (const auto& out = job_->plan.outputs; out && !outcome_.cancelled) {
      auto found = slot().readBoxDirectory(out->dir, out->max_files, out->max_bytes);
      if (!found) return fail("reading /box/" + out->dir + ": " + found.error().message);
      outcome_.outputs = std::move(found->files);
      outcome_.outputs_truncated = found->truncated;
    }
    wipe();
  }

  // A job with a companion: run `i` and the judge's program for it, each in its slot,
  // one pair at a time (no chaining: the pipes between them are made for each pair).
  void runPair(size_t i) {
    const JobPlan& plan = job_->plan;
    if (i >= plan.runs.size() || !stopped().empty()) return runsEnded();
    sandbox::RunRequest run = plan.runs[i];
    if (plan.companion->mode == CompanionPlan::Mode::kChecker) {
      slot().asyncRun(std::move(run), [self = shared_from_this(), i](sandbox::RunResult r) {
        self->checkRun(i, std::move(r));
      });
      return;
    }
    // The interactor's stdout is the run's stdin and the run's stdout the interactor's
    // stdin: two pipes, each end handed to one side only, so either side's end is the
    // other's end of file (or SIGPIPE).
    auto to_companion = makePipe("run to interactor");
    auto to_run = makePipe("interactor to run");
    if (!to_companion || !to_run) {
      fault_ = (to_companion ? to_run : to_companion).error().message;
      return runsEnded();
    }
    run.stdout_pipe = std::make_shared<UniqueFd>(std::move(to_companion->second));
    run.stdin_pipe = std::make_shared<UniqueFd>(std::move(to_run->first));
    sandbox::RunRequest judge = plan.companion->request(i, nullptr);
    judge.stdin_pipe = std::make_shared<UniqueFd>(std::move(to_companion->first));
    judge.stdout_pipe = std::make_shared<UniqueFd>(std::move(to_run->second));
    slot().asyncRun(std::move(run), [self = shared_from_this(), i](sandbox::RunResult r) {
      self->pair_run_ = std::move(r);
      if (self->pair_companion_) self->pairDone(i);
    });
    partnerSlot().asyncRun(std::move(judge), [self = shared_from_this(), i](sandbox::RunResult r) {
      self->pair_companion_ = std::move(r);
      if (self->pair_run_) self->pairDone(i);
    });
  }

  // A checker judges a run that ended cleanly, given its output; a run that failed
  // (a limit, a crash) has its verdict already.
  void checkRun(size_t i, sandbox::RunResult r) {
    if (!stopped().empty() || isFault(r) || r.status != sandbox::RunStatus::kOk) {
      pair_run_ = std::move(r);
      return pairDone(i);
    }
    sandbox::RunRequest judge = job_->plan.companion->request(i, &r);
    pair_run_ = std::move(r);
    partnerSlot().asyncRun(std::move(judge), [self = shared_from_this(), i](sandbox::RunResult c) {
      self->pair_companion_ = std::move(c);
      self->pairDone(i);
    });
  }

  // Both sides of pair `i` have ended (both slots are idle).
  void pairDone(size_t i) {
    sandbox::RunResult r = std::move(*pair_run_);
    std::optional<sandbox::RunResult> judge = std::move(pair_companion_);
    pair_run_.reset();
    pair_companion_.reset();
    if (judge && isFault(*judge) && stopped().empty()) {
      fault_ = faultText("the judge program of run " + std::to_string(i + 1), *judge);
      return runsEnded();
    }
    if (ran(i, std::move(r), judge ? &*judge : nullptr)) return runPair(i + 1);
    runsEnded();
  }

  // Why the job stopped early ("" while it goes on): cancelled, or a budget spent.
  std::string stopped() const { return outcome_.cancelled ? "cancelled" : outcome_.stopped; }

  // Run `i` ended (on the loop, in order), with the judge program's result for it when the
  // job has one: its verdict on the whole result, then what of it is kept, then whether
  // the job goes on. False stops the series.
  bool ran(size_t i, sandbox::RunResult r, sandbox::RunResult* companion) {
    if (!stopped().empty()) return false;  // killed by the stop, not a result
    if (isFault(r)) {
      fault_ = faultText("run " + std::to_string(i + 1), r);
      return false;
    }
    const JobPlan& plan = job_->plan;
    std::string verdict = plan.verdict ? plan.verdict(i, r, companion) : "";
    cpu_ms_ += r.time_ms.value_or(0);
    if (plan.companion) {
      std::optional<sandbox::RunResult> kept;
      if (companion) {
        kept = std::move(*companion);
        kept->stdout_data.clear();
        if (kept->stderr_data.size() > kCompanionMessageBytes) {
          kept->stderr_data.resize(kCompanionMessageBytes);
          kept->stderr_truncated = true;
        }
        kept->stderr_data.shrink_to_fit();
      }
      outcome_.companion_runs.push_back(std::move(kept));
    }
    const bool passed = judge::passes(verdict);
    if (plan.verdict && passed) {
      // No answer shows an accepted test's output: 500 tests of 16 MiB each would
      // otherwise be held until the answer is made.
      r.stdout_data.clear(), r.stdout_data.shrink_to_fit();
      r.stderr_data.clear(), r.stderr_data.shrink_to_fit();
    } else {
      keepWithinBudget(r.stdout_data, r.stdout_truncated);
      keepWithinBudget(r.stderr_data, r.stderr_truncated);
    }
    const bool failed = plan.verdict && !passed;
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
    for (size_t index : slots()) {
      // A broken slot (its keeper lost or confused) cannot wipe: it is rebuilt instead.
      if (pool_.sandbox_->slot(index).broken()) {
        releaseSlot(index, /*rebuild=*/true);
        continue;
      }
      pool_.sandbox_->slot(index).asyncWipe([self = shared_from_this(), index](Status s) {
        if (!s)
          std::fprintf(stderr, "codecanvas: slot %zu: wiping failed, rebuilding it: %s\n", index,
                       s.error().message.c_str());
        self->releaseSlot(index, /*rebuild=*/!s);
      });
    }
  }

  std::vector<size_t> slots() const {
    std::vector<size_t> all{index_};
    if (partner_) all.push_back(*partner_);
    return all;
  }

  // The job gives slot `index` back; the last slot it gives back ends it for the pool.
  void releaseSlot(size_t index, bool rebuild) {
    const bool last = ++released_ == (partner_ ? 2u : 1u);
    pool_.release(index, rebuild || pool_.sandbox_->slot(index).broken(), /*job_ended=*/last);
  }

  void fail(std::string why) {
    outcome_.fault = std::move(why);
    // A broken slot (its keeper lost or confused) is rebuilt from scratch, never reused
    // (wipe() sees to that). A step that failed without breaking it (a plan refused before
    // it was sent, a program that could not start) leaves a keeper that still answers: the
    // wipe checks that and empties the box like after any job. A job's other slot is wiped
    // either way.
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

  // Without a wipe (nothing ever touched the slots): every slot of the job is given back.
  void finish() {
    deliver();
    for (size_t index : slots()) releaseSlot(index, /*rebuild=*/false);
  }

  SlotPool& pool_;
  size_t index_;
  std::optional<size_t> partner_;  // the companion's slot
  size_t released_ = 0;            // slots given back so far
  std::unique_ptr<Pending> job_;
  JobOutcome outcome_;
  std::optional<std::string> fault_;  // a run's sandbox failure, acted on once the slot is idle
  bool delivered_ = false;
  std::optional<boost::asio::steady_timer> budget_timer_;  // the job's wall-time budget
  double cpu_ms_ = 0;                                      // of the runs so far
  std::chrono::steady_clock::time_point runs_t0_;
  // The pair in progress (a job with a companion): each side's result once it has ended.
  std::optional<sandbox::RunResult> pair_run_, pair_companion_;
  uint64_t output_kept_ = 0;  // bytes of output kept so far
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
    // Two slots at once could never be had: refused rather than queued for ever.
    if (pending->plan.companion && slot_busy_.size() < 2) return false;
    ++admitted_;
    queue_.push_back(std::move(pending));
  }
  boost::asio::post(io_, [this] { dispatch(); });
  return true;
}

void SlotPool::dispatch() {
  for (;;) {
    std::unique_ptr<Pending> job;
    std::vector<size_t> taken;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) return;
      // In order of arrival: a job that needs two slots (a companion) waits for two, and
      // the jobs behind it wait with it, so it is never passed over for ever.
      const size_t need = queue_.front()->plan.companion ? 2 : 1;
      for (size_t i = 0; i < slot_busy_.size() && taken.size() < need; ++i) {
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
        taken.push_back(i);
      }
      if (taken.size() < need) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      for (size_t i : taken) slot_busy_[i] = true;
    }
    const std::optional<size_t> partner =
        taken.size() > 1 ? std::optional<size_t>(taken[1]) : std::nullopt;
    std::make_shared<Execution>(*this, taken[0], partner, std::move(job))->start();
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

void SlotPool::release(size_t index, bool rebuild_slot, bool job_ended) {
  if (rebuild_slot) {
    // The slot stays busy (and the job counted, so a shutdown waits) until it is rebuilt.
    return rebuild(index, [this, index, job_ended] { slotFree(index, job_ended); });
  }
  slotFree(index, job_ended);
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
