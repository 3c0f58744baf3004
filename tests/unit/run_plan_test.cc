#include "sandbox/run_plan.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>

namespace codecanvas::sandbox {
namespace {

const protocol::Rlimit* find(const protocol::RunPlan& p, int resource) {
  auto it = std::find_if(p.rlimits.begin(), p.rlimits.end(),
                         [&](const protocol::Rlimit& l) { return l.resource == resource; });
  return it == p.rlimits.end() ? nullptr : &*it;
}

RunRequest request() {
  RunRequest r;
  r.argv = {"./main"};
  r.limits.cpu_ms = 1500;
  r.limits.memory_kb = 65536;
  r.limits.processes = 10;
  r.limits.open_files = 32;
  r.limits.file_kb = 100;
  return r;
}

TEST(RunPlan, RlimitsFollowTheLimits) {
  std::vector<uint8_t> bpf(16, 1);
  PlanContext ctx{.uid = 60100,
                  .gid = 60100,
                  .cgroup_limits_memory = true,
                  .cgroup_v2_dir = false,
                  .v1_tasks_fds = 3,
                  .seccomp_bpf = &bpf};
  auto plan = buildRunPlan(request(), ctx);
  // CPU is a backstop of whole seconds above the limit; the controller kills earlier.
  ASSERT_NE(find(plan, RLIMIT_CPU), nullptr);
  EXPECT_EQ(find(plan, RLIMIT_CPU)->soft, 3u);
  EXPECT_GT(find(plan, RLIMIT_CPU)->hard, find(plan, RLIMIT_CPU)->soft);
  EXPECT_EQ(find(plan, RLIMIT_NPROC)->hard, 10u);
  EXPECT_EQ(find(plan, RLIMIT_NOFILE)->hard, 32u);
  EXPECT_EQ(find(plan, RLIMIT_FSIZE)->hard, 100u * 1024);
  EXPECT_EQ(find(plan, RLIMIT_CORE)->hard, 1u) << "1, not 0: see run_plan.cc";
  ASSERT_NE(find(plan, RLIMIT_MSGQUEUE), nullptr);
  EXPECT_EQ(find(plan, RLIMIT_MSGQUEUE)->hard, kMessageQueueBytes);
  for (int resource : {RLIMIT_RTPRIO, RLIMIT_NICE}) {
    ASSERT_NE(find(plan, resource), nullptr) << resource;
    EXPECT_EQ(find(plan, resource)->hard, 0u) << resource;
  }
  ASSERT_NE(find(plan, RLIMIT_SIGPENDING), nullptr);
  EXPECT_EQ(find(plan, RLIMIT_AS), nullptr) << "the cgroup limits memory; no RLIMIT_AS";
  EXPECT_EQ(plan.uid, 60100u);
  EXPECT_EQ(plan.seccomp_bpf, bpf);
  EXPECT_EQ(plan.v1_tasks_fds, 3u);
  EXPECT_EQ(plan.cwd, "/box");
  EXPECT_GT(plan.nice, 0) << "programs run below the supervisors' priority";
}

TEST(RunPlan, TooFewOpenFilesAreRaisedToTheMinimum) {
  auto r = request();
  r.limits.open_files = 1;
  EXPECT_EQ(find(buildRunPlan(r, PlanContext{.uid = 1, .gid = 1}), RLIMIT_NOFILE)->hard,
            kMinOpenFiles);
}

TEST(RunPlan, AddressSpaceLimitStandsInWithoutMemoryCgroup) {
  PlanContext ctx{.uid = 1, .gid = 1};
  auto plan = buildRunPlan(request(), ctx);
  ASSERT_NE(find(plan, RLIMIT_AS), nullptr);
  EXPECT_EQ(find(plan, RLIMIT_AS)->hard, 65536u * 1024);
}

TEST(RunPlan, ExplicitAddressSpaceLimitIsKept) {
  auto r = request();
  r.limits.address_space_kb = 4096;
  PlanContext ctx{.uid = 1, .gid = 1, .cgroup_limits_memory = true};
  EXPECT_EQ(find(buildRunPlan(r, ctx), RLIMIT_AS)->hard, 4096u * 1024);
}

TEST(RunPlan, EnvironmentOverridesDefaults) {
  auto r = request();
  r.env = {"PATH=/opt/bin", "FOO=bar"};
  auto plan = buildRunPlan(r, PlanContext{.uid = 1, .gid = 1});
  EXPECT_NE(std::find(plan.env.begin(), plan.env.end(), "PATH=/opt/bin"), plan.env.end());
  EXPECT_EQ(std::count_if(plan.env.begin(), plan.env.end(),
                          [](const std::string& e) { return e.rfind("PATH=", 0) == 0; }),
            1);
  EXPECT_NE(std::find(plan.env.begin(), plan.env.end(), "FOO=bar"), plan.env.end());
  EXPECT_NE(std::find(plan.env.begin(), plan.env.end(), "HOME=/box"), plan.env.end());
}

}  // namespace
}  // namespace codecanvas::sandbox
