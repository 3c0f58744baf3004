// Unit tests for the seccomp policy parser, compiler and installer. No privileges needed:
// every test that installs a filter does so in a forked child (no_new_privs + seccomp are
// irreversible), and the parent only reads the child's wait status.
#include "sandbox/seccomp_policy.h"
#include "common/seccomp_program.h"
#include "sandbox/seccomp_registry.h"

#include <asm/unistd.h>
#include <errno.h>
#include <gtest/gtest.h>

#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kernel_features.h"

#ifndef CODECANVAS_DATA_DIR
#error "CODECANVAS_DATA_DIR must name the directory holding profiles/"
#endif

namespace codecanvas::sandbox {
namespace {

using Action = SeccompRule::Action;
using Op = ArgCondition::Op;

const std::string kDefaultPolicyPath =
    std::string(CODECANVAS_DATA_DIR) + "/profiles/seccomp/default.policy";

// ---- Parsing

TEST(SeccompPolicyParse, ParsesRulesConditionsAndReasons) {
  auto policy = parseSeccompPolicy(
      "# a comment line\n"
      "\n"
      "default allow  # everything else runs\n"
      "kill ptrace  # no tracing\n"
      "errno:EAFNOSUPPORT socket a0!=AF_UNIX  # no network\n"
      "kill clone a0&CLONE_NEWUSER|CLONE_NEWNET==CLONE_NEWUSER a1==0x10 # combined\r\n"
      "errno:13 getpid a0==42 # a numeric errno\n",
      "test.policy");
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  EXPECT_EQ(policy->origin, "test.policy");
  EXPECT_EQ(policy->default_action, Action::kAllow);
  ASSERT_EQ(policy->rules.size(), 4u);

  const auto& ptrace_rule = policy->rules[0];
  EXPECT_EQ(ptrace_rule.action, Action::kKill);
  EXPECT_EQ(ptrace_rule.syscall, "ptrace");
  EXPECT_TRUE(ptrace_rule.conditions.empty());
  EXPECT_EQ(ptrace_rule.reason, "no tracing");
  EXPECT_EQ(ptrace_rule.line, 4);

  const auto& socket_rule = policy->rules[1];
  EXPECT_EQ(socket_rule.action, Action::kErrno);
  EXPECT_EQ(socket_rule.errno_value, EAFNOSUPPORT);
  ASSERT_EQ(socket_rule.conditions.size(), 1u);
  EXPECT_EQ(socket_rule.conditions[0].arg, 0u);
  EXPECT_EQ(socket_rule.conditions[0].op, Op::kNe);
  EXPECT_EQ(socket_rule.conditions[0].value, uint64_t{AF_UNIX});

  const auto& clone_rule = policy->rules[2];
  ASSERT_EQ(clone_rule.conditions.size(), 2u);
  EXPECT_EQ(clone_rule.conditions[0].op, Op::kMaskedEq);
  EXPECT_EQ(clone_rule.conditions[0].mask, uint64_t{CLONE_NEWUSER | CLONE_NEWNET});
  EXPECT_EQ(clone_rule.conditions[0].value, uint64_t{CLONE_NEWUSER});
  EXPECT_EQ(clone_rule.conditions[1].arg, 1u);
  EXPECT_EQ(clone_rule.conditions[1].op, Op::kEq);
  EXPECT_EQ(clone_rule.conditions[1].value, 0x10u);
  EXPECT_EQ(clone_rule.reason, "combined");

  EXPECT_EQ(policy->rules[3].errno_value, 13);
}

TEST(SeccompPolicyParse, DefaultKillAllowsAllowRules) {
  auto policy = parseSeccompPolicy(
      "default kill # allow-list\n"
      "allow read # needed\n",
      "t");
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  EXPECT_EQ(policy->default_action, Action::kKill);
  EXPECT_EQ(policy->rules[0].action, Action::kAllow);
}

struct BadPolicy {
  const char* text;
  const char* expected;  // must appear in the message after "bad.policy:<line>:"
  int line;
};

class SeccompPolicyParseError : public ::testing::TestWithParam<BadPolicy> {};

TEST_P(SeccompPolicyParseError, NamesOriginLineAndProblem) {
  auto policy = parseSeccompPolicy(GetParam().text, "bad.policy");
  ASSERT_FALSE(policy.ok());
  const std::string& message = policy.error().message;
  const std::string where = "bad.policy:" + std::to_string(GetParam().line) + ":";
  EXPECT_EQ(message.rfind(where, 0), 0u) << message;
  EXPECT_NE(message.find(GetParam().expected), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SeccompPolicyParseError,
    ::testing::Values(
        BadPolicy{"kill ptrace # ok\nkil mount # typo\n", "unknown action 'kil'", 2},
        BadPolicy{"errno:EWHAT socket # x\n", "unknown action 'errno:EWHAT'", 1},
        BadPolicy{"errno:0 socket # fake success\n", "unknown action 'errno:0'", 1},
        BadPolicy{"errno:5000 socket # x\n", "unknown action", 1},
        BadPolicy{"# c\n\nkill ptrac # typo\n", "unknown system call 'ptrac'", 3},
        BadPolicy{"kill socketcall # i386 only\n", "unknown system call 'socketcall'", 1},
        BadPolicy{"kill # x\n", "missing system call", 1},
        BadPolicy{"kill ptrace\n", "missing reason", 1},
        BadPolicy{"kill ptrace #   \n", "missing reason", 1},
        BadPolicy{"kill socket b0==1 # x\n", "bad condition 'b0==1'", 1},
        BadPolicy{"kill socket a6==1 # x\n", "bad condition 'a6==1'", 1},
        BadPolicy{"kill socket a0<1 # x\n", "bad condition 'a0<1'", 1},
        BadPolicy{"kill socket a0&1<1 # x\n", "bad condition 'a0&1<1'", 1},
        BadPolicy{"kill socket a0&1 # x\n", "bad condition", 1},
        BadPolicy{"kill socket a0==AF_FOO # x\n", "unknown value 'AF_FOO'", 1},
        BadPolicy{"kill socket a0==0xzz # x\n", "unknown value '0xzz'", 1},
        BadPolicy{"kill socket a0==1| # x\n", "unknown value", 1},
        BadPolicy{"kill socket a0&BOGUS==1 # x\n", "unknown mask 'BOGUS'", 1},
        BadPolicy{"kill clone a0&0x10==0x30 # x\n", "is constant", 1},
        BadPolicy{"kill clone a0&0x10!=0x30 # x\n", "is constant", 1},
        BadPolicy{"kill mmap a0==1 a1==1 a2==1 a3==1 a4==1 a5==1 a0==2 # x\n",
                  "more than 6 conditions", 1},
        BadPolicy{"allow read # x\n", "repeats the default", 1},
        BadPolicy{"default errno:EPERM # x\nerrno:EPERM read # x\n", "repeats the default", 2},
        BadPolicy{"kill ptrace # x\ndefault kill # x\n", "before the first rule", 2},
        BadPolicy{"default kill # x\ndefault allow # x\n", "a second 'default'", 2},
        BadPolicy{"default deny # x\n", "unknown action 'deny'", 1},
        BadPolicy{"default # x\n", "expected 'default ACTION'", 1}));

TEST(SeccompPolicyLoad, MissingFileNamesPathAndErrno) {
  auto policy = loadSeccompPolicy("/nonexistent/codecanvas.policy");
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(policy.error().message.find("/nonexistent/codecanvas.policy"), std::string::npos);
  EXPECT_EQ(policy.error().errno_value, ENOENT);
}

// ---- The shipped default policy

TEST(SeccompDefaultPolicy, LoadsWithAReasonForEveryRule) {
  auto policy = loadSeccompPolicy(kDefaultPolicyPath);
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  EXPECT_EQ(policy->default_action, Action::kAllow);
  EXPECT_GE(policy->rules.size(), 50u);
  for (const auto& rule : policy->rules) EXPECT_FALSE(rule.reason.empty()) << rule.line;
}

TEST(SeccompDefaultPolicy, CompilesToWholeInstructionsDeterministically) {
  auto policy = loadSeccompPolicy(kDefaultPolicyPath);
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  auto first = compileSeccompPolicy(*policy);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->empty());
  EXPECT_EQ(first->size() % 8, 0u);
  EXPECT_LE(first->size() / 8, 4096u);
  auto second = compileSeccompPolicy(*policy);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(*first, *second);
}

TEST(SeccompCompile, DefaultKillAndErrnoPoliciesCompile) {
  for (const char* text : {"default kill # x\nallow read # x\nerrno:EPERM open # x\n",
                           "default errno:ENOSYS # x\nallow exit_group # x\n"}) {
    auto policy = parseSeccompPolicy(text, "t");
    ASSERT_TRUE(policy.ok()) << policy.error().message;
    auto bpf = compileSeccompPolicy(*policy);
    ASSERT_TRUE(bpf.ok()) << bpf.error().message;
    EXPECT_EQ(bpf->size() % 8, 0u);
  }
}

TEST(SeccompInstall, RejectsMalformedProgramsWithoutASystemCall) {
  const uint8_t bytes[16] = {};
  EXPECT_EQ(installSeccompProgram(nullptr, 8), EINVAL);
  EXPECT_EQ(installSeccompProgram(bytes, 0), EINVAL);
  EXPECT_EQ(installSeccompProgram(bytes, 7), EINVAL);
}

// ---- Behaviour: each check runs in a forked child under the compiled filter.

constexpr int kSetupFailed = 120;

// Runs `body` in a child that sets no_new_privs and installs `bpf`; returns the wait
// status. `body` returns the child's exit code.
int runConfined(const std::vector<uint8_t>& bpf, const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);  // SIGSYS dumps core by default
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(kSetupFailed);
    if (installSeccompProgram(bpf.data(), bpf.size()) != 0) ::_exit(kSetupFailed);
    ::_exit(body());
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by ") + ::strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

bool killedBySigsys(int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}
bool exitedWith(int status, int code) {
  return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

// 0 when `rc` is a success, else the errno it failed with.
int errnoOf(long rc) {
  return rc >= 0 ? 0 : errno;
}

class SeccompDefaultBehaviour : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto policy = loadSeccompPolicy(kDefaultPolicyPath);
    if (!policy.ok()) return;
    auto bpf = compileSeccompPolicy(*policy);
    if (bpf.ok()) bpf_ = std::move(bpf).value();
  }
  void SetUp() override { ASSERT_FALSE(bpf_.empty()) << "default policy did not compile"; }

  int run(const std::function<int()>& body) { return runConfined(bpf_, body); }

  static std::vector<uint8_t> bpf_;
};
std::vector<uint8_t> SeccompDefaultBehaviour::bpf_;

TEST_F(SeccompDefaultBehaviour, AllowedCallsStillWork) {
  const int status = run([] { return ::getpid() > 0 ? 0 : 1; });
  EXPECT_TRUE(exitedWith(status, 0)) << describe(status);
}

TEST_F(SeccompDefaultBehaviour, PtraceKills) {
  const int status = run([] { return errnoOf(::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr)); });
  EXPECT_TRUE(killedBySigsys(status)) << describe(status);
}

TEST_F(SeccompDefaultBehaviour, MountKills) {
  const int status = run([] { return errnoOf(::mount("none", "/tmp", "tmpfs", 0, nullptr)); });
  EXPECT_TRUE(killedBySigsys(status)) << describe(status);
}

TEST_F(SeccompDefaultBehaviour, UnshareUserNamespaceKills) {
  const int status = run([] { return errnoOf(::unshare(CLONE_NEWUSER)); });
  EXPECT_TRUE(killedBySigsys(status)) << describe(status);
}

TEST_F(SeccompDefaultBehaviour, RawCloneWithNamespaceFlagKills) {
  for (const unsigned long flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET}) {
    const int status = run([flag] {
      const long rc = ::syscall(SYS_clone, flag | SIGCHLD, 0, 0, 0, 0);
      if (rc == 0) ::_exit(0);  // the filter failed: a child exists, keep it quiet
      return errnoOf(rc);
    });
    EXPECT_TRUE(killedBySigsys(status)) << "flag " << std::hex << flag << ": " << describe(status);
  }
}

// The younger siblings of calls the policy stops get what their elders get.
TEST_F(SeccompDefaultBehaviour, QuotactlFdKills) {
  const int status = run([] { return errnoOf(::syscall(443 /* quotactl_fd */, 0, 0, 0, 0)); });
  EXPECT_TRUE(killedBySigsys(status)) << describe(status);
}

TEST_F(SeccompDefaultBehaviour, CachestatKills) {
  const int status = run([] { return errnoOf(::syscall(451 /* cachestat */, 0, 0, 0, 0)); });
  EXPECT_TRUE(killedBySigsys(status)) << describe(status);
}

TEST_F(SeccompDefaultBehaviour, SetMempolicyHomeNodeFailsWithEperm) {
  const int status = run([] {
    return errnoOf(::syscall(450 /* set_mempolicy_home_node */, 0, 4096, 0, 0)) == EPERM ? 0 : 1;
  });
  EXPECT_TRUE(exitedWith(status, 0)) << describe(status);
}

TEST_F(SeccompDefaultBehaviour, ForkStillWorks) {
  const int status = run([] {
    const pid_t child = ::fork();
    if (child < 0) return 1;
    if (child == 0) ::_exit(7);
    int st = 0;
    if (::waitpid(child, &st, 0) != child) return 2;
    return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : 3;
  });
  EXPECT_TRUE(exitedWith(status, 0)) << describe(status);
}

TEST_F(SeccompDefaultBehaviour, PthreadCreateStillWorks) {
  // glibc tries clone3 first; the ENOSYS from the filter must send it to clone().
  const int status = run([] {
    pthread_t thread;
    static int ran = 0;
    if (::pthread_create(
            &thread, nullptr,
            [](void*) -> void* {
              ran = 1;
              return nullptr;
            },
            nullptr) != 0) {
      return 1;
    }
    ::pthread_join(thread, nullptr);
    return ran == 1 ? 0 : 2;
  });
  EXPECT_TRUE(exitedWith(status, 0)) << describe(status);
}

// mseal (462) is newer than libseccomp 2.5.4's table (456): under the default policy it
// must fail with ENOSYS whatever this kernel offers, while known calls still run.
TEST_F(SeccompDefaultBehaviour, CallsNewerThanThePolicyFailWithEnosys) {
  ASSERT_LT(newestKnownSyscall(), 462) << "pick a newer call for this test";
  const int status = run([] { return errnoOf(::syscall(462, 0, 0, 0)); });
  EXPECT_TRUE(exitedWith(status, ENOSYS)) << describe(status);
  const int known = run([] { return errnoOf(::syscall(newestKnownSyscall(), 0, 0, 0, 0)); });
  EXPECT_FALSE(exitedWith(known, ENOSYS)) << "the newest known call must reach the kernel";
}

TEST(SeccompPolicyParse, UnknownDirective) {
  auto p = parseSeccompPolicy("unknown errno:ENOSYS # newer calls\nkill ptrace # x\n", "t");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE(p->unknown.has_value());
  EXPECT_EQ(p->unknown->errno_value, ENOSYS);
  EXPECT_EQ(p->unknown->reason, "newer calls");
  auto twice = parseSeccompPolicy("unknown kill # a\nunknown kill # b\n", "t");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("t:2: a second 'unknown' line"), std::string::npos)
      << twice.error().message;
  EXPECT_FALSE(parseSeccompPolicy("unknown # a\n", "t").ok());
}

TEST_F(SeccompDefaultBehaviour, Clone3FailsWithEnosys) {
  const int status = run([] {
    clone_args args{};
    args.exit_signal = SIGCHLD;
    const long rc = ::syscall(SYS_clone3, &args, sizeof args);
    if (rc == 0) ::_exit(0);
    return errnoOf(rc);
  });
  EXPECT_TRUE(exitedWith(status, ENOSYS)) << describe(status);
}

TEST_F(SeccompDefaultBehaviour, NetworkSocketsFailWithEafnosupport) {
  for (const int family : {AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_VSOCK}) {
    const int status = run([family] { return errnoOf(::socket(family, SOCK_DGRAM, 0)); });
    EXPECT_TRUE(exitedWith(status, EAFNOSUPPORT))
        << "family " << family << ": " << describe(status);
  }
  const int status = run([] {
    int fds[2];
    return errnoOf(::socketpair(AF_INET, SOCK_STREAM, 0, fds));
  });
  EXPECT_TRUE(exitedWith(status, EAFNOSUPPORT)) << describe(status);
}

TEST_F(SeccompDefaultBehaviour, UnixSocketsWork) {
  int status = run([] { return errnoOf(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)); });
  EXPECT_TRUE(exitedWith(status, 0)) << describe(status);
  status = run([] {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) != 0) return errno;
    return ::write(fds[0], "x", 1) == 1 ? 0 : 1;
  });
  EXPECT_TRUE(exitedWith(status, 0)) << describe(status);
}

TEST_F(SeccompDefaultBehaviour, X32SyscallKills) {
  // The x32 ABI is x86_64's arch with bit 30 set in the number: a filter that only checks
  // the arch would let every x32 call past the x86_64 rules.
  const int status = run([] { return errnoOf(::syscall(__X32_SYSCALL_BIT | __NR_getpid)); });
  EXPECT_TRUE(killedBySigsys(status)) << describe(status);
}

long int80Getpid() {
  long rc = 20;  // __NR_getpid in the i386 table
  asm volatile("int $0x80" : "+a"(rc) : : "memory", "r8", "r9", "r10", "r11");
  return rc;
}

// What must hold on every kernel: the i386 call never executes. Where the kernel has the
// i386 entry, the filter's architecture check kills the process (SIGSYS); where it has
// none, the instruction itself faults (SIGSEGV) before any system call is made.
TEST_F(SeccompDefaultBehaviour, I386Int80NeverExecutes) {
  const bool entry = testing::hasI386SyscallEntry();
  const int status = run([] { return int80Getpid() > 0 ? 0 : 1; });
  if (entry) {
    EXPECT_TRUE(killedBySigsys(status)) << "i386 entry present: " << describe(status);
  } else {
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
        << "no i386 entry on this kernel, so int $0x80 must fault: " << describe(status);
  }
}

TEST_F(SeccompDefaultBehaviour, PersonalityOnlyQueryAndLinux) {
  int status = run([] { return errnoOf(::personality(0xffffffff)); });
  EXPECT_TRUE(exitedWith(status, 0)) << "query: " << describe(status);
  status = run([] { return errnoOf(::personality(PER_LINUX)); });
  EXPECT_TRUE(exitedWith(status, 0)) << "PER_LINUX: " << describe(status);
  // The kernel truncates the argument to 32 bits, so high bits must not slip through.
  for (const unsigned long persona : {static_cast<unsigned long>(ADDR_NO_RANDOMIZE),
                                      static_cast<unsigned long>(READ_IMPLIES_EXEC), 0x100000000ul,
                                      0x1fffffffful, 0xfffffffeul}) {
    status = run([persona] { return errnoOf(::syscall(SYS_personality, persona)); });
    EXPECT_TRUE(killedBySigsys(status)) << std::hex << persona << ": " << describe(status);
  }
}

// ---- Prologue rules (two comparisons of one argument), checked against expectations
// with getpid, whose arguments the kernel ignores but seccomp sees.

struct PrologueCase {
  const char* rule;
  uint64_t a0;
  uint64_t a1;
  int expected_errno;  // 0: the call runs
};

class SeccompPrologue : public ::testing::TestWithParam<PrologueCase> {};

TEST_P(SeccompPrologue, MatchesLikeTheRuleSays) {
  auto policy = parseSeccompPolicy(std::string(GetParam().rule) + " # test\n", "t");
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  auto bpf = compileSeccompPolicy(*policy);
  ASSERT_TRUE(bpf.ok()) << bpf.error().message;
  const uint64_t a0 = GetParam().a0;
  const uint64_t a1 = GetParam().a1;
  const int status = runConfined(*bpf, [a0, a1] { return errnoOf(::syscall(SYS_getpid, a0, a1)); });
  EXPECT_TRUE(exitedWith(status, GetParam().expected_errno))
      << GetParam().rule << " a0=" << std::hex << a0 << " a1=" << a1 << ": " << describe(status);
}

constexpr const char* kNotIn = "errno:EPERM getpid a0!=1 a0!=0x100000000";
constexpr const char* kMasked = "errno:EPERM getpid a0&0xff==0x12 a0&0xff00000000==0x3400000000";
constexpr const char* kEqNe = "errno:EPERM getpid a0==0x700000009 a0!=0 a1==3";
// Any of the masked bits set (the shape of the clone rule), low word only and both words.
constexpr const char* kAnyLow = "errno:EPERM getpid a0&0x7e020080!=0";
constexpr const char* kAnyWide = "errno:EPERM getpid a0&0xf0000000f!=0x100000001";

INSTANTIATE_TEST_SUITE_P(
    Cases, SeccompPrologue,
    ::testing::Values(
        PrologueCase{kNotIn, 1, 0, 0}, PrologueCase{kNotIn, 0x100000000, 0, 0},
        PrologueCase{kNotIn, 0x100000001, 0, EPERM}, PrologueCase{kNotIn, 0, 0, EPERM},
        PrologueCase{kNotIn, 2, 0, EPERM}, PrologueCase{kMasked, 0x3400000012, 0, EPERM},
        PrologueCase{kMasked, 0xab3400000f12, 0, EPERM}, PrologueCase{kMasked, 0x12, 0, 0},
        PrologueCase{kMasked, 0x3400000013, 0, 0}, PrologueCase{kEqNe, 0x700000009, 3, EPERM},
        PrologueCase{kEqNe, 0x700000009, 4, 0}, PrologueCase{kEqNe, 9, 3, 0},
        PrologueCase{kEqNe, 0x700000000, 3, 0}, PrologueCase{kAnyLow, 0x11, 0, 0},
        PrologueCase{kAnyLow, 0x10000000, 0, EPERM}, PrologueCase{kAnyLow, 0x80, 0, EPERM},
        PrologueCase{kAnyLow, 0xffffffff00000011, 0, 0}, PrologueCase{kAnyWide, 0x100000001, 0, 0},
        PrologueCase{kAnyWide, 0xff100000001, 0, 0}, PrologueCase{kAnyWide, 0x200000001, 0, EPERM},
        PrologueCase{kAnyWide, 0x100000002, 0, EPERM}));

// ---- The registry: every policy compiled once, no fallback

class SeccompRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/codecanvas-seccomp-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

TEST_F(SeccompRegistryTest, CompilesEveryPolicyAndKeepsTheBrokenOnesAsErrors) {
  std::filesystem::copy_file(kDefaultPolicyPath, dir_ + "/default.policy");
  write("broken.policy", "default allow\nkill no_such_call  # a call libseccomp does not know\n");
  write("README", "not a policy");
  auto r = SeccompRegistry::load(dir_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto def = r->program("default");
  ASSERT_TRUE(def.ok()) << def.error().message;
  EXPECT_GT(def.value()->size(), 0u);
  EXPECT_EQ(def.value(), r->program("default").value()) << "compiled once, the same bytes";
  auto broken = r->program("broken");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("broken.policy"), std::string::npos)
      << broken.error().message;
  auto missing = r->program("jvm");
  ASSERT_FALSE(missing.ok()) << "an unknown name is refused, never another policy";
  EXPECT_EQ(missing.error().errno_value, ENOENT);
  EXPECT_EQ(r->names(), (std::vector<std::string>{"broken", "default"}));
}

TEST_F(SeccompRegistryTest, NoDefaultPolicyIsNoSandbox) {
  write("other.policy", "default allow\nkill ptrace  # debugging other processes\n");
  auto r = SeccompRegistry::load(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("default"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace codecanvas::sandbox
