#include "sandbox/seccomp_policy.h"

#include "common/text_file.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

#include "common/unique_fd.h"

namespace codecanvas::sandbox {
namespace {

using Action = SeccompRule::Action;

constexpr unsigned kMaxArgs = 6;             // seccomp_data.args[6]
constexpr int kMaxErrno = 4095;              // the kernel clamps larger SECCOMP_RET_DATA
constexpr size_t kMaxPolicyBytes = 1 << 20;  // a policy is a page of text, not a data set

// Symbolic values a condition may use. Kept small on purpose: each name here is one the
// default policy needs, and a typo must fail loudly rather than mean something else.
struct NamedConstant {
  std::string_view name;
  uint64_t value;
};
constexpr std::array kConstants = {
    NamedConstant{"AF_UNIX", AF_UNIX},
    NamedConstant{"AF_LOCAL", AF_LOCAL},
    NamedConstant{"AF_INET", AF_INET},
    NamedConstant{"AF_INET6", AF_INET6},
    NamedConstant{"AF_NETLINK", AF_NETLINK},
    NamedConstant{"AF_PACKET", AF_PACKET},
    NamedConstant{"AF_VSOCK", AF_VSOCK},
    NamedConstant{"CLONE_NEWNS", CLONE_NEWNS},
    NamedConstant{"CLONE_NEWCGROUP", CLONE_NEWCGROUP},
    NamedConstant{"CLONE_NEWUTS", CLONE_NEWUTS},
    NamedConstant{"CLONE_NEWIPC", CLONE_NEWIPC},
    NamedConstant{"CLONE_NEWUSER", CLONE_NEWUSER},
    NamedConstant{"CLONE_NEWPID", CLONE_NEWPID},
    NamedConstant{"CLONE_NEWNET", CLONE_NEWNET},
    NamedConstant{"CLONE_NEWTIME", CLONE_NEWTIME},
    NamedConstant{"PER_LINUX", PER_LINUX},
    NamedConstant{"ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE},
    NamedConstant{"READ_IMPLIES_EXEC", READ_IMPLIES_EXEC},
};

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

std::vector<std::string_view> splitWords(std::string_view s) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (true) {
    pos = s.find_first_not_of(" \t", pos);
    if (pos == std::string_view::npos) break;
    const auto end = std::min(s.find_first_of(" \t", pos), s.size());
    words.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

std::optional<uint64_t> parseNumber(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

// VALUE := PART ('|' PART)*, PART := decimal | 0xhex | a name from kConstants.
std::optional<uint64_t> parseValue(std::string_view s) {
  uint64_t result = 0;
  while (true) {
    const auto bar = s.find('|');
    const auto part = s.substr(0, bar);
    std::optional<uint64_t> value = parseNumber(part);
    for (const auto& constant : kConstants) {
      if (!value && constant.name == part) value = constant.value;
    }
    if (!value) return std::nullopt;
    result |= *value;
    if (bar == std::string_view::npos) return result;
    s.remove_prefix(bar + 1);
  }
}

// Errno names come from the C library so every E* name the kernel knows is accepted.
std::optional<int> parseErrno(std::string_view s) {
  if (auto number = parseNumber(s)) {
    if (*number >= 1 && *number <= kMaxErrno) return static_cast<int>(*number);
    return std::nullopt;
  }
  for (int err = 1; err <= kMaxErrno; ++err) {
    const char* name = ::strerrorname_np(err);
    if (name != nullptr && s == name) return err;
  }
  return std::nullopt;
}

struct ParsedAction {
  Action action;
  int errno_value;
};

std::optional<ParsedAction> parseAction(std::string_view s) {
  if (s == "kill") return ParsedAction{Action::kKill, 0};
  if (s == "allow") return ParsedAction{Action::kAllow, 0};
  if (s.starts_with("errno:")) {
    if (auto err = parseErrno(s.substr(6))) return ParsedAction{Action::kErrno, *err};
  }
  return std::nullopt;
}

// CONDITION := aN==VALUE | aN!=VALUE | aN&MASK==VALUE | aN&MASK!=VALUE.
Result<ArgCondition> parseCondition(std::string_view s) {
  const Error syntax{"bad condition '" + std::string(s) +
                     "': expected aN==VALUE, aN!=VALUE, aN&MASK==VALUE or aN&MASK!=VALUE with N "
                     "in 0..5 and "
                     "no spaces inside"};
  if (s.size() < 5 || s[0] != 'a' || s[1] < '0' || s[1] >= '0' + int{kMaxArgs}) return syntax;
  ArgCondition cond;
  cond.arg = static_cast<unsigned>(s[1] - '0');
  std::string_view rest = s.substr(2);
  std::string_view mask_text;
  const bool masked = rest.starts_with("&");
  if (masked) {
    auto op = rest.find("==");
    if (op == std::string_view::npos) op = rest.find("!=");
    if (op == std::string_view::npos) return syntax;
    mask_text = rest.substr(1, op - 1);
    rest.remove_prefix(op);
  }
  if (rest.starts_with("==")) {
    cond.op = masked ? ArgCondition::Op::kMaskedEq : ArgCondition::Op::kEq;
  } else if (rest.starts_with("!=")) {
    cond.op = masked ? ArgCondition::Op::kMaskedNe : ArgCondition::Op::kNe;
  } else {
    return syntax;
  }
  const std::string_view value_text = rest.substr(2);
  const auto value = parseValue(value_text);
  if (!value) {
    return Error{"unknown value '" + std::string(value_text) + "' in '" + std::string(s) +
                 "': use a number or a known constant"};
  }
  cond.value = *value;
  if (masked) {
    const auto mask = parseValue(mask_text);
    if (!mask) {
      return Error{"unknown mask '" + std::string(mask_text) + "' in '" + std::string(s) +
                   "': use a number or a known constant"};
    }
    cond.mask = *mask;
    // A value bit outside the mask can never match: the rule would silently do nothing
    // (or, for !=, always apply).
    if ((cond.value & ~cond.mask) != 0) {
      return Error{"condition '" + std::string(s) + "' is constant: value has bits outside " +
                   "the mask"};
    }
  }
  return cond;
}

bool sameAction(Action a, int a_errno, Action b, int b_errno) {
  return a == b && (a != Action::kErrno || a_errno == b_errno);
}

// Parses one non-comment line (the part before '#') into `policy`.
Status parseLine(std::string_view body, std::string_view reason, int line_no, bool& default_seen,
                 SeccompPolicy& policy) {
  const auto words = splitWords(body);
  if (words.empty()) return Error{"empty rule"};
  if (reason.empty()) {
    return Error{"missing reason: end the line with '# why this rule exists'"};
  }
  if (words[0] == "default") {
    if (words.size() != 2) return Error{"expected 'default ACTION'"};
    if (default_seen) return Error{"a second 'default' line"};
    if (!policy.rules.empty()) return Error{"'default' must come before the first rule"};
    const auto action = parseAction(words[1]);
    if (!action) {
      return Error{"unknown action '" + std::string(words[1]) +
                   "': expected kill, allow or errno:NAME"};
    }
    policy.default_action = action->action;
    policy.default_errno_value = action->errno_value;
    default_seen = true;
    return {};
  }
  if (words[0] == "unknown") {
    if (words.size() != 2) return Error{"expected 'unknown ACTION'"};
    if (policy.unknown) return Error{"a second 'unknown' line"};
    const auto unknown = parseAction(words[1]);
    if (!unknown) return Error{"unknown action '" + std::string(words[1]) + "'"};
    SeccompRule rule;
    rule.action = unknown->action;
    rule.errno_value = unknown->errno_value;
    rule.syscall = "(unknown)";
    rule.reason = std::string(reason);
    rule.line = line_no;
    policy.unknown = std::move(rule);
    return {};
  }
  const auto action = parseAction(words[0]);
  if (!action) {
    return Error{"unknown action '" + std::string(words[0]) +
                 "': expected kill, allow, errno:NAME, errno:1..4095, default or unknown"};
  }
  if (words.size() < 2) return Error{"missing system call name after the action"};
  if (sameAction(action->action, action->errno_value, policy.default_action,
                 policy.default_errno_value)) {
    return Error{"rule repeats the default action; delete it"};
  }
  SeccompRule rule;
  rule.action = action->action;
  rule.errno_value = action->errno_value;
  rule.syscall = std::string(words[1]);
  rule.reason = std::string(reason);
  rule.line = line_no;
  // Negative numbers are libseccomp's pseudo-syscalls (e.g. socketcall), absent on x86_64.
  if (::seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, rule.syscall.c_str()) < 0) {
    return Error{"unknown system call '" + rule.syscall +
                 "' (not an x86_64 call libseccomp knows)"};
  }
  if (words.size() - 2 > kMaxArgs) return Error{"more than 6 conditions"};
  for (size_t i = 2; i < words.size(); ++i) {
    auto cond = parseCondition(words[i]);
    if (!cond) return cond.error();
    rule.conditions.push_back(*cond);
  }
  policy.rules.push_back(std::move(rule));
  return {};
}

// libseccomp's SCMP_ACT_* codes are the kernel's SECCOMP_RET_* values, so one function
// serves both the libseccomp rules and the hand-built prologue.
uint32_t actionCode(Action action, int errno_value) {
  switch (action) {
    case Action::kKill:
      return SCMP_ACT_KILL_PROCESS;
    case Action::kErrno:
      return SCMP_ACT_ERRNO(static_cast<uint32_t>(errno_value));
    case Action::kAllow:
      return SCMP_ACT_ALLOW;
  }
  return SCMP_ACT_KILL_PROCESS;
}

struct FilterDeleter {
  void operator()(void* ctx) const { ::seccomp_release(ctx); }
};
using FilterPtr = std::unique_ptr<void, FilterDeleter>;

// ---- The prologue: rules libseccomp 2.5.4 cannot express (two comparisons of one
// argument), as a linear list of classic BPF checked before libseccomp's tree.

static_assert(sizeof(sock_filter) == 8, "struct sock_filter is the 8-byte kernel ABI");
constexpr uint32_t kNrOffset = offsetof(seccomp_data, nr);
constexpr uint32_t kArchOffset = offsetof(seccomp_data, arch);
constexpr size_t kMaxJump = 255;  // jt/jf are 8 bits

// x86_64 is little-endian: the low word of args[i] comes first.
uint32_t argLow(unsigned arg) {
  return offsetof(seccomp_data, args) + 8 * arg;
}
uint32_t argHigh(unsigned arg) {
  return argLow(arg) + 4;
}

sock_filter stmt(uint16_t code, uint32_t k) {
  return sock_filter{code, 0, 0, k};
}
sock_filter jumpIfEqual(uint32_t k, uint8_t jt, uint8_t jf) {
  return sock_filter{BPF_JMP | BPF_JEQ | BPF_K, jt, jf, k};
}

bool needsPrologue(const SeccompRule& rule) {
  for (size_t i = 0; i < rule.conditions.size(); ++i) {
    // libseccomp has no masked not-equal comparison.
    if (rule.conditions[i].op == ArgCondition::Op::kMaskedNe) return true;
    for (size_t j = i + 1; j < rule.conditions.size(); ++j) {
      if (rule.conditions[i].arg == rule.conditions[j].arg) return true;
    }
  }
  return false;
}

// Appends "if (nr == `nr` && every condition holds) return action;" to `out`. Any failed
// test jumps past the block, to the next rule or to libseccomp's program.
Status appendPrologueRule(const SeccompRule& rule, int nr, std::vector<sock_filter>& out) {
  std::vector<sock_filter> block;
  struct Patch {
    size_t index;
    bool on_true;  // patch jt (skip when equal) rather than jf (skip when different)
  };
  std::vector<Patch> skips;
  auto load = [&](uint32_t offset) { block.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offset)); };
  auto maskWith = [&](uint32_t mask) { block.push_back(stmt(BPF_ALU | BPF_AND | BPF_K, mask)); };
  auto skipUnlessEqual = [&](uint32_t k) {
    block.push_back(jumpIfEqual(k, 0, 0));
    skips.push_back({block.size() - 1, false});
  };
  load(kNrOffset);
  skipUnlessEqual(static_cast<uint32_t>(nr));
  for (const auto& cond : rule.conditions) {
    const auto low = static_cast<uint32_t>(cond.value);
    const auto high = static_cast<uint32_t>(cond.value >> 32);
    switch (cond.op) {
      case ArgCondition::Op::kEq:
        load(argHigh(cond.arg));
        skipUnlessEqual(high);
        load(argLow(cond.arg));
        skipUnlessEqual(low);
        break;
      case ArgCondition::Op::kMaskedEq:
        load(argHigh(cond.arg));
        maskWith(static_cast<uint32_t>(cond.mask >> 32));
        skipUnlessEqual(high);
        load(argLow(cond.arg));
        maskWith(static_cast<uint32_t>(cond.mask));
        skipUnlessEqual(low);
        break;
      case ArgCondition::Op::kNe:
        // The condition fails only when both halves are equal: a different high word
        // jumps over the low-word test (2 instructions) to the next condition.
        load(argHigh(cond.arg));
        block.push_back(jumpIfEqual(high, 0, 2));
        load(argLow(cond.arg));
        block.push_back(jumpIfEqual(low, 0, 0));
        skips.push_back({block.size() - 1, true});
        break;
      case ArgCondition::Op::kMaskedNe: {
        // As kNe on the masked halves. A mask with no high bits (clone's flags) makes the
        // high half always equal (0 == 0): only the low word is tested then.
        const auto mask_high = static_cast<uint32_t>(cond.mask >> 32);
        if (mask_high != 0 || high != 0) {
          load(argHigh(cond.arg));
          maskWith(mask_high);
          block.push_back(jumpIfEqual(high, 0, 3));
        }
        load(argLow(cond.arg));
        maskWith(static_cast<uint32_t>(cond.mask));
        block.push_back(jumpIfEqual(low, 0, 0));
        skips.push_back({block.size() - 1, true});
        break;
      }
    }
  }
  block.push_back(stmt(BPF_RET | BPF_K, actionCode(rule.action, rule.errno_value)));
  for (const auto& skip : skips) {
    const size_t distance = block.size() - skip.index - 1;
    if (distance > kMaxJump) return Error{"rule too long for the prologue"};
    (skip.on_true ? block[skip.index].jt : block[skip.index].jf) = static_cast<uint8_t>(distance);
  }
  out.insert(out.end(), block.begin(), block.end());
  return {};
}

// "if (nr > newest known && nr is not x32) return action;". x32 numbers (from
// __X32_SYSCALL_BIT up) go on to libseccomp's program, which kills them.
void appendUnknownRule(const SeccompRule& rule, std::vector<sock_filter>& out) {
  constexpr uint32_t kX32Bit = 0x40000000;
  out.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kNrOffset));
  out.push_back(sock_filter{BPF_JMP | BPF_JGE | BPF_K, 2, 0, kX32Bit});
  out.push_back(
      sock_filter{BPF_JMP | BPF_JGT | BPF_K, 0, 1, static_cast<uint32_t>(newestKnownSyscall())});
  out.push_back(stmt(BPF_RET | BPF_K, actionCode(rule.action, rule.errno_value)));
}

// Wraps the rule blocks: anything that is not x86_64 goes straight to libseccomp's
// program, whose architecture check kills it; there the syscall numbers would mean
// other calls.
std::vector<sock_filter> wrapPrologue(const std::vector<sock_filter>& rules) {
  if (rules.empty()) return {};
  std::vector<sock_filter> prologue;
  prologue.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kArchOffset));
  prologue.push_back(jumpIfEqual(AUDIT_ARCH_X86_64, 1, 0));
  prologue.push_back(stmt(BPF_JMP | BPF_JA, static_cast<uint32_t>(rules.size())));
  prologue.insert(prologue.end(), rules.begin(), rules.end());
  return prologue;
}

// ---- libseccomp

Status addLibseccompRule(void* ctx, const SeccompRule& rule, int nr) {
  // Built by hand: libseccomp's SCMP_CMP* macros are C compound literals.
  std::vector<scmp_arg_cmp> cmps;
  for (const auto& cond : rule.conditions) {
    switch (cond.op) {
      case ArgCondition::Op::kEq:
        cmps.push_back({cond.arg, SCMP_CMP_EQ, cond.value, 0});
        break;
      case ArgCondition::Op::kNe:
        cmps.push_back({cond.arg, SCMP_CMP_NE, cond.value, 0});
        break;
      case ArgCondition::Op::kMaskedEq:
        cmps.push_back({cond.arg, SCMP_CMP_MASKED_EQ, cond.mask, cond.value});
        break;
      case ArgCondition::Op::kMaskedNe:  // needsPrologue() sends these rules elsewhere
        return Error{"rule for " + rule.syscall + ": masked != reached libseccomp", EINVAL};
    }
  }
  // _exact: fail rather than let libseccomp rewrite the rule into something broader.
  const int rc = ::seccomp_rule_add_exact_array(ctx, actionCode(rule.action, rule.errno_value), nr,
                                                static_cast<unsigned>(cmps.size()), cmps.data());
  if (rc < 0) return sysError("seccomp_rule_add_exact_array(" + rule.syscall + ")", -rc);
  return {};
}

// libseccomp 2.5.4 can only export to a file descriptor: use an anonymous memfd.
Result<std::vector<uint8_t>> exportBpf(void* ctx) {
  UniqueFd fd(::memfd_create("codecanvas-seccomp", MFD_CLOEXEC));
  if (!fd) return sysError("memfd_create(codecanvas-seccomp)");
  if (const int rc = ::seccomp_export_bpf(ctx, fd.get()); rc < 0) {
    return sysError("seccomp_export_bpf", -rc);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sysError("fstat(seccomp memfd)");
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pread(fd.get(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysError("pread(seccomp memfd)");
    if (n == 0) return Error{"seccomp memfd shorter than its size"};
    done += static_cast<size_t>(n);
  }
  return bytes;
}

}  // namespace

int newestKnownSyscall() {
  static const int newest = [] {
    int last = 0;
    // Far above any x86_64 number today; libseccomp's table is dense enough to scan.
    for (int nr = 0; nr < 1024; ++nr) {
      char* name = ::seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
      if (name != nullptr) last = nr;
      std::free(name);
    }
    return last;
  }();
  return newest;
}

Result<SeccompPolicy> parseSeccompPolicy(std::string_view text, std::string_view origin) {
  SeccompPolicy policy;
  policy.origin = std::string(origin);
  bool default_seen = false;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.starts_with('#')) continue;
    const auto hash = line.find('#');
    const std::string_view body = trim(line.substr(0, hash));
    const std::string_view reason =
        hash == std::string_view::npos ? std::string_view{} : trim(line.substr(hash + 1));
    if (auto st = parseLine(body, reason, line_no, default_seen, policy); !st) {
      return withContext(policy.origin + ":" + std::to_string(line_no), st.error());
    }
  }
  return policy;
}

Result<SeccompPolicy> loadSeccompPolicy(const std::string& path) {
  auto text = readTextFile(path, kMaxPolicyBytes);
  if (!text) return text.error();
  return parseSeccompPolicy(*text, path);
}

Result<std::vector<uint8_t>> compileSeccompPolicy(const SeccompPolicy& policy) {
  // The numbers in the rules and the prologue are x86_64's; on another host libseccomp
  // would build a filter for a different table.
  if (::seccomp_arch_native() != SCMP_ARCH_X86_64) {
    return Error{policy.origin + ": seccomp policies are compiled for x86_64 only"};
  }
  FilterPtr ctx(::seccomp_init(actionCode(policy.default_action, policy.default_errno_value)));
  if (!ctx) return Error{policy.origin + ": seccomp_init failed (invalid default action?)"};
  // Kill the whole process on a foreign ABI (not just the thread: a surviving sibling
  // thread could go on). This also covers x32: for an x86_64-only filter libseccomp 2.5.4
  // sends every number >= __X32_SYSCALL_BIT to this action.
  if (const int rc = ::seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
      rc < 0) {
    return sysError("seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)", -rc);
  }
  if (const int rc = ::seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2); rc < 0) {
    return sysError("seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE, 2)", -rc);
  }
  std::vector<sock_filter> prologue_rules;
  for (const auto& rule : policy.rules) {
    const std::string where = policy.origin + ":" + std::to_string(rule.line);
    const int nr = ::seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, rule.syscall.c_str());
    if (nr < 0) return Error{where + ": unknown system call '" + rule.syscall + "'"};
    Status st = needsPrologue(rule) ? appendPrologueRule(rule, nr, prologue_rules)
                                    : addLibseccompRule(ctx.get(), rule, nr);
    if (!st) return withContext(where, st.error());
  }
  if (policy.unknown) appendUnknownRule(*policy.unknown, prologue_rules);
  auto tree = exportBpf(ctx.get());
  if (!tree) return withContext(policy.origin, tree.error());
  const std::vector<sock_filter> prologue = wrapPrologue(prologue_rules);
  std::vector<uint8_t> program(prologue.size() * sizeof(sock_filter));
  if (!prologue.empty()) std::memcpy(program.data(), prologue.data(), program.size());
  program.insert(program.end(), tree->begin(), tree->end());
  if (program.empty() || program.size() % sizeof(sock_filter) != 0 ||
      program.size() / sizeof(sock_filter) > BPF_MAXINSNS) {
    return Error{policy.origin + ": compiled program has " + std::to_string(program.size()) +
                 " bytes; the kernel takes 1.." + std::to_string(BPF_MAXINSNS) +
                 " instructions of 8 bytes"};
  }
  return program;
}

}  // namespace codecanvas::sandbox
