// The slot pool with real slots: jobs as the HTTP layer submits them, without HTTP.
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "jobs/slot_pool.h"
#include "sandbox/live_io.h"
#include "test_support.h"

namespace codecanvas::jobs {
using namespace codecanvas::cgroup;
using namespace codecanvas::sandbox;
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kUidBase = 60340;

std::string hostile(const std::string& name) {
  return std::string(HOSTILE_DIR) + "/" + name;
}

class PoolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    PoolOptions o;
    o.sandbox.slots = 1;
    o.sandbox.uid_base = kUidBase;
    o.queue_capacity = 4;
    auto pool = SlotPool::create(o);
    if (pool)
      pool_ = pool.value().release();
    else
      setup_error_ = new std::string(pool.error().message);
  }
  static void TearDownTestSuite() {
    delete pool_;
    delete setup_error_;
    pool_ = nullptr, setup_error_ = nullptr;
  }
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    ASSERT_NE(pool_, nullptr) << "pool set-up failed: " << (setup_error_ ? *setup_error_ : "?");
  }

  // A job of `runs` runs of a hostile program, each with `wall_ms`.
  static JobPlan job(const std::string& program, size_t runs, uint64_t wall_ms = 3000) {
    JobPlan plan;
    plan.files.push_back({program, "", hostile(program), 0755});
    for (size_t i = 0; i < runs; ++i) {
      RunRequest r;
      r.argv = {"./" + program};
      r.limits.cpu_ms = 20000;
      r.limits.wall_ms = wall_ms;
      plan.runs.push_back(r);
    }
    return plan;
  }

  static SlotPool* pool_;
  static std::string* setup_error_;
};
SlotPool* PoolTest::pool_ = nullptr;
std::string* PoolTest::setup_error_ = nullptr;

// A cancelled job stops where it is: the sleeping run is killed at once (not at its 20 s
// wall limit), no later run starts, the slot is wiped, not rebuilt, and takes the next job.
TEST_F(PoolTest, CancelStopsARunningJobAtOnce) {
  JobPlan plan = job("sleeper", 3, 20000);
  plan.cancel = std::make_shared<JobCancel>();
  auto cancel = plan.cancel;
  const auto rebuilds = pool_->stats().rebuilds;
  const auto t0 = std::chrono::steady_clock::now();
  auto future = pool_->submit(std::move(plan));
  ASSERT_TRUE(future);
  std::this_thread::sleep_for(300ms);
  cancel->request();
  ASSERT_EQ(future->wait_for(5s), std::future_status::ready) << "the job did not stop";
  JobOutcome o = future->get();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_TRUE(o.cancelled);
  EXPECT_FALSE(o.fault) << *o.fault;
  EXPECT_TRUE(o.runs.empty()) << "the first run was killed, none after it ran";
  auto next = pool_->submit(job("hello", 1));
  ASSERT_TRUE(next);
  JobOutcome n = next->get();
  ASSERT_EQ(n.runs.size(), 1u);
  EXPECT_EQ(n.runs[0].status, RunStatus::kOk) << n.runs[0].error;
  EXPECT_EQ(n.runs[0].stdout_data, "hello\n");
  EXPECT_EQ(pool_->stats().rebuilds, rebuilds) << "a cancellation must not cost the slot";
}

// A job cancelled while it waits for a slot never touches one.
TEST_F(PoolTest, CancelBeforeTheSlotIsFree) {
  auto busy = pool_->submit(job("sleeper", 1, 1000));
  ASSERT_TRUE(busy);
  JobPlan plan = job("hello", 1);
  plan.cancel = std::make_shared<JobCancel>();
  auto cancel = plan.cancel;
  auto waiting = pool_->submit(std::move(plan));
  ASSERT_TRUE(waiting);
  cancel->request();
  JobOutcome o = waiting->get();
  EXPECT_TRUE(o.cancelled);
  EXPECT_TRUE(o.runs.empty());
  busy->get();
}

// The job's wall budget ends it however long its runs may each take: the run in progress
// is killed (and not reported), none after it starts.
TEST_F(PoolTest, WallBudgetStopsTheJob) {
  JobPlan plan = job("sleeper", 3, 20000);
  plan.budget.wall_ms = 400;
  const auto t0 = std::chrono::steady_clock::now();
  auto future = pool_->submit(std::move(plan));
  ASSERT_TRUE(future);
  ASSERT_EQ(future->wait_for(10s), std::future_status::ready);
  JobOutcome o = future->get();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_EQ(o.stopped, "job_wall_ms");
  EXPECT_FALSE(o.fault) << *o.fault;
  EXPECT_TRUE(o.runs.empty());
}

// The CPU budget is summed over the runs and checked as each one ends.
TEST_F(PoolTest, CpuBudgetStopsTheJobBetweenRuns) {
  JobPlan plan = job("spin", 4);
  for (auto& r : plan.runs) r.limits.cpu_ms = 150;
  plan.budget.cpu_ms = 250;
  auto future = pool_->submit(std::move(plan));
  ASSERT_TRUE(future);
  JobOutcome o = future->get();
  EXPECT_EQ(o.stopped, "job_cpu_ms");
  ASSERT_EQ(o.runs.size(), 2u) << "150 + 150 ms passes a budget of 250";
  EXPECT_EQ(o.runs[0].status, RunStatus::kTimeLimit);
}

// A judge's accepted runs keep no output; failing runs keep theirs while the job's output
// budget lasts, then are cut (and say so).
TEST_F(PoolTest, OutputBudgetBoundsWhatAJobKeeps) {
  JobPlan plan = job("echo_stdin", 4);
  const std::string chunk(100 * 1024, 'x');
  for (auto& r : plan.runs) r.stdin_data = chunk;
  plan.verdict = [](size_t i, const RunResult&, const RunResult*) {
    return i == 0 ? std::string("accepted") : std::string("wrong_answer");
  };
  plan.budget.output_bytes = 150 * 1024;
  auto future = pool_->submit(std::move(plan));
  ASSERT_TRUE(future);
  JobOutcome o = future->get();
  ASSERT_EQ(o.runs.size(), 4u);
  ASSERT_EQ(o.verdicts.size(), 4u);
  EXPECT_EQ(o.verdicts[0], "accepted");
  EXPECT_EQ(o.runs[0].stdout_data, "") << "an accepted test's output is never shown";
  EXPECT_EQ(o.runs[1].stdout_data.size(), chunk.size());
  EXPECT_FALSE(o.runs[1].stdout_truncated);
  EXPECT_EQ(o.runs[2].stdout_data.size(), 50u * 1024);
  EXPECT_TRUE(o.runs[2].stdout_truncated);
  EXPECT_EQ(o.runs[3].stdout_data.size(), 0u);
  EXPECT_TRUE(o.output_cut);
  EXPECT_EQ(o.stopped, "") << "the output budget cuts, it does not stop";
}

// The live side of a run as a test sees it: stdin's write end, each chunk as it comes, and
// `more` called at once (auto_more) or held back until the test releases it.
class TestLive : public LiveIo {
 public:
  explicit TestLive(bool auto_more) : auto_more_(auto_more) {}
  void started(UniqueFd stdin_write, std::function<void()> kill) override {
    std::lock_guard lock(mu_);
    stdin_ = std::move(stdin_write);
    kill_ = std::move(kill);
    cv_.notify_all();
  }
  void output(int stream, std::string chunk, std::function<void()> more) override {
    std::function<void()> now;
    {
      std::lock_guard lock(mu_);
      (stream == 2 ? err_ : out_) += chunk;
      ++chunks_;
      if (more) (auto_more_ ? now : held_) = std::move(more);
      cv_.notify_all();
    }
    if (now) now();
  }
  // Waits (at most 10 s) until `pred` holds under the lock.
  template <typename Pred>
  bool await(Pred pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return pred(); });
  }
  void writeStdin(const std::string& s) {
    std::lock_guard lock(mu_);
    ASSERT_EQ(::write(stdin_.get(), s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  void closeStdin() {
    std::lock_guard lock(mu_);
    stdin_.reset();
  }
  void release() {
    std::function<void()> more;
    {
      std::lock_guard lock(mu_);
      auto_more_ = true;
      more = std::move(held_);
    }
    if (more) more();
  }
  void kill() {
    std::lock_guard lock(mu_);
    kill_();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool auto_more_;
  UniqueFd stdin_;
  std::function<void()> kill_, held_;
  std::string out_, err_;
  size_t chunks_ = 0;
};

// A live run: what is written to its stdin pipe reaches the program as it is written, its
// A run's output directory: made before the job, writable by the program though the rest
// of /box is sealed, and read after the run for its regular files only (the link to the
// host's /etc/passwd and the FIFO are passed over, and the FIFO does not block). The next
// job in the slot finds neither the directory nor anything else the run left.
TEST_F(PoolTest, AnOutputDirectoryGivesBackRegularFilesOnly) {
  JobPlan plan = job("outputdir", 1);
  plan.outputs = jobs::OutputCollection{"outputs", 8, 1 << 20};
  plan.runs[0].output_dir = "outputs";
  auto future = pool_->submit(std::move(plan));
  ASSERT_TRUE(future);
  ASSERT_EQ(future->wait_for(10s), std::future_status::ready) << "the collection blocked";
  JobOutcome o = future->get();
  EXPECT_FALSE(o.fault) << *o.fault;
  ASSERT_EQ(o.runs.size(), 1u);
  EXPECT_EQ(o.runs[0].stdout_data, "dir ok\nresult ok\nlink ok\nfifo ok\nstray ok\n");
  ASSERT_EQ(o.outputs.size(), 1u);
  EXPECT_EQ(o.outputs[0].name, "result.txt");
  EXPECT_EQ(o.outputs[0].content, "result\n");
  EXPECT_FALSE(o.outputs_truncated);

  auto next = pool_->submit(job("boxfiles", 1));
  ASSERT_TRUE(next);
  JobOutcome n = next->get();
  ASSERT_EQ(n.runs.size(), 1u);
  EXPECT_EQ(n.runs[0].stdout_data, "entry boxfiles\ncount 1\nmarker ok\n");
}

// The caps: files beyond the count or the bytes are left out, and the outcome says so.
TEST_F(PoolTest, AnOutputDirectoryKeepsToItsCaps) {
  JobPlan plan = job("outputdir", 1);
  plan.outputs = jobs::OutputCollection{"outputs", 0, 1 << 20};
  plan.runs[0].output_dir = "outputs";
  auto future = pool_->submit(std::move(plan));
  ASSERT_TRUE(future);
  JobOutcome o = future->get();
  EXPECT_TRUE(o.outputs.empty());
  EXPECT_TRUE(o.outputs_truncated);
  // Without an output directory in the run, /box/outputs is sealed like the rest.
  JobPlan sealed = job("outputdir", 1);
  sealed.outputs = jobs::OutputCollection{"outputs", 8, 1 << 20};
  auto second = pool_->submit(std::move(sealed));
  ASSERT_TRUE(second);
  JobOutcome s = second->get();
  ASSERT_EQ(s.runs.size(), 1u);
  EXPECT_EQ(s.runs[0].stdout_data.rfind("dir EACCES\nresult EACCES\n", 0), 0u)
      << s.runs[0].stdout_data;
  EXPECT_TRUE(s.outputs.empty());
}

// output comes back as it is written, and closing stdin ends it.
TEST_F(PoolTest, ALiveRunReadsItsStdinAsItIsWritten) {
  auto live = std::make_shared<TestLive>(true);
  JobPlan plan = job("echo_stdin", 1, 10000);
  plan.runs[0].live = live;
  std::vector<std::string> stages;
  plan.on_stage = [&stages](const char* s, const RunResult*) { stages.push_back(s); };
  auto future = pool_->submit(std::move(plan));
  ASSERT_TRUE(future);
  ASSERT_TRUE(live->await([&] { return live->stdin_.get() >= 0; })) << "never started";
  live->writeStdin("first line\n");
  EXPECT_TRUE(live->await([&] { return live->out_ == "first line\n"; })) << live->out_;
  live->writeStdin("second");
  EXPECT_TRUE(live->await([&] { return live->out_ == "first line\nsecond"; })) << live->out_;
  live->closeStdin();
  ASSERT_EQ(future->wait_for(10s), std::future_status::ready);
  JobOutcome o = future->get();
  ASSERT_EQ(o.runs.size(), 1u);
  EXPECT_EQ(o.runs[0].status, RunStatus::kOk) << o.runs[0].error;
  EXPECT_EQ(o.runs[0].stdout_data, "first line\nsecond");
  EXPECT_EQ(stages, std::vector<std::string>{"run"});
}

// Backpressure: while the first chunk is held, the pipe is not read and the program
// blocks; released, the rest comes, all of it, and the run ends well.
TEST_F(PoolTest, ALiveRunsOutputWaitsForItsReader) {
  auto live = std::make_shared<TestLive>(false);
  JobPlan plan = job("flood", 1, 10000);
  plan.runs[0].argv = {"./flood", "4"};
  plan.runs[0].limits.output_kb = 8192;
  plan.runs[0].live = live;
  auto future = pool_->submit(std::move(plan));
  ASSERT_TRUE(future);
  ASSERT_TRUE(live->await([&] { return live->chunks_ > 0; }));
  std::this_thread::sleep_for(500ms);
  {
    std::lock_guard lock(live->mu_);
    EXPECT_EQ(live->chunks_, 1u) << "more output was read while the first chunk was held";
    EXPECT_LE(live->out_.size(), 64u * 1024);
  }
  EXPECT_EQ(future->wait_for(0s), std::future_status::timeout) << "the program did not wait";
  live->release();
  ASSERT_EQ(future->wait_for(10s), std::future_status::ready);
  JobOutcome o = future->get();
  ASSERT_EQ(o.runs.size(), 1u);
  EXPECT_EQ(o.runs[0].status, RunStatus::kOk) << o.runs[0].error;
  std::lock_guard lock(live->mu_);
  EXPECT_EQ(live->out_.size(), 4u << 20);
  EXPECT_EQ(o.runs[0].stdout_data.size(), 4u << 20);
}

// The live side's kill ends the run with status killed; the slot takes the next job.
TEST_F(PoolTest, ALiveRunKilledByItsClientSaysKilled) {
  auto live = std::make_shared<TestLive>(true);
  JobPlan plan = job("sleeper", 1, 20000);
  plan.runs[0].live = live;
  const auto t0 = std::chrono::steady_clock::now();
  auto future = pool_->submit(std::move(plan));
  ASSERT_TRUE(future);
  ASSERT_TRUE(live->await([&] { return static_cast<bool>(live->kill_); }));
  live->kill();
  ASSERT_EQ(future->wait_for(10s), std::future_status::ready);
  JobOutcome o = future->get();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  ASSERT_EQ(o.runs.size(), 1u);
  EXPECT_EQ(o.runs[0].status, RunStatus::kKilled);
  EXPECT_EQ(o.runs[0].signal, SIGKILL);
  auto next = pool_->submit(job("hello", 1));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->get().runs.at(0).status, RunStatus::kOk);
}

// A slot whose keeper takes 2 s to start (a wrapper around the processor sleeps first,
// when a marker file exists) is rebuilt off the event loop: meanwhile the other slot's
// job runs and is timed as usual.
// A job with a companion in interactor mode: `run` in the first slot, `companion` in the
// second, each one's stdout the other's stdin.
JobPlan pairJob(const std::string& run, const std::string& companion, uint64_t wall_ms) {
  JobPlan plan;
  plan.files.push_back({run, "", hostile(run), 0755});
  RunRequest r;
  r.argv = {"./" + run};
  r.limits.wall_ms = wall_ms;
  plan.runs.push_back(r);
  CompanionPlan c;
  c.mode = CompanionPlan::Mode::kInteractor;
  c.files.push_back({companion, "", hostile(companion), 0755});
  c.request = [companion, wall_ms](size_t, const RunResult* run) {
    EXPECT_EQ(run, nullptr) << "an interactor runs beside the run, not after it";
    RunRequest q;
    q.argv = {"./" + companion};
    q.limits.wall_ms = wall_ms;
    return q;
  };
  plan.companion = std::move(c);
  // Not "accepted": the output of an accepted run is not kept, and these tests read it.
  plan.verdict = [](size_t, const RunResult&, const RunResult* companion) {
    return companion != nullptr ? "seen with its companion" : "no companion";
  };
  return plan;
}

TEST_F(PoolTest, AJobWithACompanionNeedsTwoSlotsAndIsRefusedByOne) {
  EXPECT_FALSE(pool_->submit(pairJob("peer", "echo_stdin", 2000)).has_value())
      << "a pool of one slot would hold such a job for ever";
  auto plain = pool_->submit(job("hello", 1));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->get().runs.at(0).status, RunStatus::kOk);
}

// One run that ended cleanly, and its companion's result beside it.
void expectOneCleanRunWithItsCompanion(const JobOutcome& o) {
  ASSERT_FALSE(o.fault) << *o.fault;
  ASSERT_EQ(o.runs.size(), 1u);
  EXPECT_EQ(o.runs[0].status, RunStatus::kOk) << o.runs[0].error;
  ASSERT_EQ(o.companion_runs.size(), 1u);
  ASSERT_TRUE(o.companion_runs[0].has_value());
}

class PairPoolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    PoolOptions o;
    o.sandbox.slots = 2;
    o.sandbox.uid_base = 60370;
    auto pool = SlotPool::create(o);
    if (pool) pool_ = pool.value().release();
  }
  static void TearDownTestSuite() {
    delete pool_;
    pool_ = nullptr;
  }
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    ASSERT_NE(pool_, nullptr) << "pool set-up failed";
  }
  static SlotPool* pool_;
};
SlotPool* PairPoolTest::pool_ = nullptr;

// The two programs talk through two plain pipes: "ping" goes to the companion, which
// echoes it back; the run sees its own words come back.
TEST_F(PairPoolTest, TheRunAndItsInteractorTalkBothWays) {
  auto f = pool_->submit(pairJob("peer", "echo_stdin", 5000));
  ASSERT_TRUE(f);
  JobOutcome o = f->get();
  ASSERT_NO_FATAL_FAILURE(expectOneCleanRunWithItsCompanion(o));
  EXPECT_EQ(o.runs[0].stderr_data, "got ping\n");
  EXPECT_EQ(o.runs[0].stdout_data, "") << "the run's stdout went to the companion";
  EXPECT_EQ(o.companion_runs[0]->status, RunStatus::kOk)
      << "echo_stdin ends at the end of the run's output: " << o.companion_runs[0]->error;
  EXPECT_EQ(o.verdicts, std::vector<std::string>{"seen with its companion"});
  EXPECT_EQ(pool_->stats().broken, 0u);
}

// The run kills every process it may (kill -1): its interactor, in another slot with
// another uid and pid namespace, is not among them and lives until its own wall limit.
TEST_F(PairPoolTest, TheRunCannotSignalItsInteractor) {
  auto f = pool_->submit(pairJob("killall", "sleeper", 1500));
  ASSERT_TRUE(f);
  JobOutcome o = f->get();
  ASSERT_NO_FATAL_FAILURE(expectOneCleanRunWithItsCompanion(o));
  EXPECT_EQ(o.companion_runs[0]->status, RunStatus::kWallTimeLimit)
      << "the sleeper was killed before its limit: " << o.companion_runs[0]->error;
  EXPECT_GE(o.companion_runs[0]->wall_ms, 1400);
}

// A cancel stops both sides at once and frees both slots.
TEST_F(PairPoolTest, CancelStopsBothSides) {
  JobPlan plan = pairJob("sleeper", "sleeper", 20000);
  plan.cancel = std::make_shared<JobCancel>();
  auto cancel = plan.cancel;
  auto f = pool_->submit(std::move(plan));
  ASSERT_TRUE(f);
  std::this_thread::sleep_for(300ms);
  const auto t0 = std::chrono::steady_clock::now();
  cancel->request();
  JobOutcome o = f->get();
  EXPECT_TRUE(o.cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  // Both slots take the next job.
  auto next = pool_->submit(pairJob("peer", "echo_stdin", 5000));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->get().verdicts, std::vector<std::string>{"seen with its companion"});
}

TEST(PoolRebuildTest, ASlowRebuildHoldsUpNoOtherSlot) {
  CODECANVAS_REQUIRE_ROOT();
  const std::string dir = "/tmp/codecanvas-pool-test-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string marker = dir + "/slow", wrapper = dir + "/processor";
  // The keeper starts with an empty environment: sleep by its full path, found here (the
  // cgroup v2 guest has it outside /bin).
  std::string sleep_path;
  const char* path_env = std::getenv("PATH");
  std::istringstream path_dirs(path_env != nullptr ? path_env : "/usr/bin:/bin");
  for (std::string d; sleep_path.empty() && std::getline(path_dirs, d, ':');)
    if (::access((d + "/sleep").c_str(), X_OK) == 0) sleep_path = d + "/sleep";
  CODECANVAS_REQUIRE(!sleep_path.empty(), "no sleep command in PATH");
  // 2 s here; longer on a slow test machine (the emulated guest), so that the other
  // slot's job still ends well inside the rebuild.
  const int rebuild_s = testing::timeSlack() > 1 ? 6 : 2;
  const auto inside_rebuild = std::chrono::milliseconds(rebuild_s * 600);
  std::ofstream(wrapper) << "#!/bin/sh\n[ -e " << marker << " ] && " << sleep_path << " "
                         << rebuild_s << "\nexec " << defaultProcessorPath() << " \"$@\"\n";
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  constexpr uint32_t kBase = 60350;
  PoolOptions options;
  options.sandbox.slots = 2;
  options.sandbox.uid_base = kBase;
  options.sandbox.processor_path = wrapper;
  auto created = SlotPool::create(options);
  ASSERT_TRUE(created) << created.error().message;
  std::unique_ptr<SlotPool> pool = std::move(created.value());
  std::ofstream(marker) << "";

  // Slot 0 (the first free one) runs a long sleeper; its keeper is killed under it.
  JobPlan long_job;
  long_job.files.push_back({"sleeper", "", hostile("sleeper"), 0755});
  long_job.runs.emplace_back().argv = {"./sleeper"};
  long_job.runs[0].limits.wall_ms = 20000;
  auto victim = pool->submit(std::move(long_job));
  ASSERT_TRUE(victim);
  pid_t keeper = 0;
  for (int i = 0; i < 100 && keeper == 0; ++i) {
    std::this_thread::sleep_for(20ms);
    for (const auto& p : testing::hostProcessesOfUid(kBase)) {
      for (pid_t q = std::stoi(p); q > 1 && keeper == 0; q = testing::parentOf(q))
        if (testing::parentOf(q) == ::getpid()) keeper = q;
    }
  }
  ASSERT_GT(keeper, 0) << "no keeper above the sleeper";
  ASSERT_EQ(::kill(keeper, SIGKILL), 0);
  JobOutcome lost = victim->get();
  EXPECT_TRUE(lost.fault) << "the job whose keeper died is a sandbox fault";

  // Slot 0 is being rebuilt for 2 s. Slot 1 runs a job with a 300 ms wall limit.
  JobPlan quick;
  quick.files.push_back({"sleeper", "", hostile("sleeper"), 0755});
  quick.runs.emplace_back().argv = {"./sleeper"};
  quick.runs[0].limits.wall_ms = 300;
  const auto t0 = std::chrono::steady_clock::now();
  auto other = pool->submit(std::move(quick));
  ASSERT_TRUE(other);
  JobOutcome o = other->get();
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(o.runs.size(), 1u) << (o.fault ? *o.fault : "");
  EXPECT_EQ(o.runs[0].status, RunStatus::kWallTimeLimit) << o.runs[0].error;
  EXPECT_LT(o.runs[0].wall_ms, 1000 * testing::timeSlack())
      << "the other slot's wall timer waited for the rebuild";
  EXPECT_LT(took, inside_rebuild) << "the other slot's job waited for the rebuild";
  EXPECT_EQ(pool->stats().rebuilds, 0u) << "slot 0 should still be being built";

  std::filesystem::remove(marker);
  for (int i = 0; i < 600 && pool->stats().rebuilds == 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(pool->stats().rebuilds, 1u);
  EXPECT_EQ(pool->stats().broken, 0u);
  pool.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace codecanvas::jobs
