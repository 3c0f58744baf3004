#include "protocol.h"

#include <gtest/gtest.h>

#include "result.h"

namespace codecanvas::protocol {
namespace {

TEST(Protocol, InitRoundTrip) {
  Init in;
  in.slot = 3;
  in.uid = 60103;
  in.gid = 60103;
  in.box_kb = 1234;
  in.binds = {{"/usr", false}, {"/lib64", true}};
  in.move_to_leaf = true;
  in.v1_joins = 3;
  Init out;
  ASSERT_TRUE(decode(encode(in), out));
  EXPECT_EQ(out.slot, 3u);
  EXPECT_EQ(out.uid, 60103u);
  EXPECT_EQ(out.box_kb, 1234u);
  ASSERT_EQ(out.binds.size(), 2u);
  EXPECT_EQ(out.binds[1].path, "/lib64");
  EXPECT_TRUE(out.binds[1].optional);
  EXPECT_TRUE(out.move_to_leaf);
  EXPECT_EQ(out.v1_joins, 3u);
}

TEST(Protocol, RunPlanRoundTrip) {
  RunPlan in;
  in.argv = {"./a.out", "x y", ""};
  in.env = {"PATH=/usr/bin"};
  in.rlimits = {{1, 2, 3}, {4, 5, 6}};
  in.nice = 10;
  in.uid = 7;
  in.gid = 8;
  in.seccomp_bpf = {1, 2, 3, 4, 5, 6, 7, 8};
  in.cgroup_v2_dir = true;
  in.v1_tasks_fds = 2;
  RunPlan out;
  ASSERT_TRUE(decode(encode(in), out));
  EXPECT_EQ(out.argv, in.argv);
  EXPECT_EQ(out.env, in.env);
  ASSERT_EQ(out.rlimits.size(), 2u);
  EXPECT_EQ(out.rlimits[1].hard, 6u);
  EXPECT_EQ(out.nice, 10);
  EXPECT_EQ(out.seccomp_bpf, in.seccomp_bpf);
  EXPECT_TRUE(out.cgroup_v2_dir);
  EXPECT_EQ(out.v1_tasks_fds, 2u);
}

TEST(Protocol, RepliesRoundTrip) {
  Exited e{.wait_status = 9,
           .wall_ns = 10,
           .user_ns = 11,
           .system_ns = 12,
           .max_rss_kb = 13,
           .leftover = 2};
  Exited e2;
  ASSERT_TRUE(decode(encode(e), e2));
  EXPECT_EQ(e2.wall_ns, 10u);
  EXPECT_EQ(e2.leftover, 2u);
  StepFailure f{Step::kExecve, 2}, f2;
  ASSERT_TRUE(decode(encode(f), f2));
  EXPECT_EQ(f2.step, Step::kExecve);
  EXPECT_EQ(f2.err, 2);
  Failure g{"boom", 5}, g2;
  ASSERT_TRUE(decode(encode(g), g2));
  EXPECT_EQ(g2.message, "boom");
  EXPECT_EQ(typeOf(encodeEmpty(Type::kKill)), Type::kKill);
}

// A keeper must never trust a message's lengths: every truncation and a wrong type fail.
TEST(Protocol, MalformedMessagesAreRejected) {
  RunPlan plan;
  plan.argv = {"/bin/true"};
  const auto bytes = encode(plan);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    RunPlan out;
    EXPECT_FALSE(decode(std::vector<uint8_t>(bytes.begin(), bytes.begin() + cut), out)) << cut;
  }
  auto longer = bytes;
  longer.push_back(0);
  RunPlan out;
  EXPECT_FALSE(decode(longer, out)) << "trailing bytes";
  Init init;
  EXPECT_FALSE(decode(bytes, init)) << "wrong type";
  EXPECT_FALSE(typeOf({}).has_value());
  // A string length far beyond the buffer.
  std::vector<uint8_t> evil = encodeEmpty(Type::kFailure);
  for (uint8_t b : {0xff, 0xff, 0xff, 0x7f}) evil.push_back(b);
  Failure f;
  EXPECT_FALSE(decode(evil, f));
}

TEST(Protocol, StepNamesAreDistinct) {
  EXPECT_STREQ(stepName(Step::kExecve), "execve");
  EXPECT_STREQ(stepName(Step::kUid), "setresuid");
  EXPECT_STREQ(stepName(Step::kSeccomp), "seccomp");
}

TEST(Errors, SysErrorNamesCallAndErrno) {
  Error e = sysError("mount(src=/usr, dst=/tmp/usr, flags=MS_BIND)", EPERM);
  EXPECT_EQ(e.message,
            "mount(src=/usr, dst=/tmp/usr, flags=MS_BIND): EPERM (Operation not permitted)");
  EXPECT_EQ(e.errno_value, EPERM);
  EXPECT_EQ(errnoText(ENOENT), "ENOENT (No such file or directory)");
  EXPECT_EQ(withContext("slot 2", e).message.rfind("slot 2: mount(", 0), 0u);
}

}  // namespace
}  // namespace codecanvas::protocol
