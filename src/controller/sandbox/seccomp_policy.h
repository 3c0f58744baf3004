// The seccomp policy as data: a text file with one rule and one reason per line
// (profiles/seccomp/default.policy), a pure parser, a pure compiler that turns it into a
// classic BPF program for x86_64. Installing one is common/seccomp_program.h.
//
// Who runs what:
//  - parseSeccompPolicy, loadSeccompPolicy, compileSeccompPolicy: the server, once, at
//    start-up. Compiling inside the child would cost ~260 us per run (docs/performance.md);
//    the bytes travel to the processor in the run plan instead, and the processor child
//    installs them with one seccomp(2) call of its own (src/processor/exec_sequence.cc:
//    installSeccompProgram of src/common, which the unit tests also call in forked
//    children; the processor does not link the controller).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace codecanvas::sandbox {

// One comparison of a system call argument; every condition of a rule must hold.
// Values are compared as 64-bit registers, exactly as seccomp sees them.
struct ArgCondition {
  unsigned arg = 0;  // 0..5
  // kMaskedNe: (arg & mask) != value, e.g. "any of these flags set" with value 0.
  enum class Op { kEq, kNe, kMaskedEq, kMaskedNe } op = Op::kEq;
  uint64_t mask = 0;  // for kMaskedEq: (arg & mask) == value
  uint64_t value = 0;
};

struct SeccompRule {
  enum class Action { kKill, kErrno, kAllow } action = Action::kKill;
  int errno_value = 0;  // for kErrno, 1..4095
  std::string syscall;  // name as libseccomp knows it
  std::vector<ArgCondition> conditions;
  std::string reason;  // the one-line reason from the file
  int line = 0;
};

struct SeccompPolicy {
  std::string origin;  // file path or another label for error messages
  SeccompRule::Action default_action = SeccompRule::Action::kAllow;
  std::vector<SeccompRule> rules;
  int default_errno_value = 0;  // for default_action == kErrno
  // "unknown ACTION": the action for every native system call numbered above the newest
  // one libseccomp knows. A kernel newer than the policy offers calls nobody reviewed
  // here; under a default of allow they would simply pass.
  std::optional<SeccompRule> unknown;
};

// The highest x86_64 system call number libseccomp knows (456 for libseccomp 2.5.4).
int newestKnownSyscall();

// Pure: parses policy text (syntax: see the header of profiles/seccomp/default.policy).
// Errors read "origin:line: what is wrong" - an unknown action, system call or constant, a
// malformed condition, a missing reason, a rule that only repeats the default.
Result<SeccompPolicy> parseSeccompPolicy(std::string_view text, std::string_view origin);

// Reads the file at `path`, then parses it with the path as origin.
Result<SeccompPolicy> loadSeccompPolicy(const std::string& path);

// Pure (no process state changes): compiles the policy into a classic BPF program for
// x86_64 and returns the raw bytes of its struct sock_filter array (a multiple of 8).
//  - libseccomp lays the rules out as a binary tree (SCMP_FLTATR_CTL_OPTIMIZE = 2), which
//    installs in 42 us instead of 114 us for a linear list.
//  - Every other ABI is killed: i386 (int 0x80) by the architecture check, x32 (numbers
//    with __X32_SYSCALL_BIT) by libseccomp's own range check on x86_64, both with
//    SCMP_FLTATR_ACT_BADARCH = KILL_PROCESS. Without this, `int 0x80` would reach the i386
//    table, where every number means a different call and no rule applies.
//  - libseccomp 2.5.4 refuses two comparisons of the same argument in one rule (EINVAL).
//    Such rules (e.g. "personality unless 0 or 0xffffffff") are compiled by this file into
//    a short linear prologue that runs before libseccomp's tree; a syscall matched there
//    gets the prologue rule's action, everything else falls through to the tree.
Result<std::vector<uint8_t>> compileSeccompPolicy(const SeccompPolicy& policy);

}  // namespace codecanvas::sandbox
