#include "protocol.h"

#include "wire.h"

namespace codecanvas::protocol {

const char* stepName(Step step) {
  switch (step) {
    case Step::kNone:
      return "none";
    case Step::kSealBox:
      return "seal /box";
    case Step::kClone:
      return "clone3";
    case Step::kJoinCgroup:
      return "join cgroup";
    case Step::kIpcNamespace:
      return "unshare(CLONE_NEWIPC)";
    case Step::kSignalMask:
      return "sigprocmask";
    case Step::kRlimits:
      return "setrlimit";
    case Step::kNice:
      return "setpriority";
    case Step::kBoundingSet:
      return "drop bounding capabilities";
    case Step::kGroups:
      return "setgroups";
    case Step::kGid:
      return "setresgid";
    case Step::kUid:
      return "setresuid";
    case Step::kCapabilities:
      return "clear capabilities";
    case Step::kNoNewPrivs:
      return "no_new_privs";
    case Step::kChdir:
      return "chdir";
    case Step::kStdio:
      return "stdio";
    case Step::kCloseFds:
      return "close fds";
    case Step::kSeccomp:
      return "seccomp";
    case Step::kExecve:
      return "execve";
  }
  return "unknown step";
}

namespace {

wire::Writer header(Type t) {
  wire::Writer w;
  w.put(t);
  return w;
}

// Positions a reader after the header if the message has the expected type.
bool open(Type expected, wire::Reader& r) {
  Type t{};
  return r.get(t) && t == expected;
}

}  // namespace

std::optional<Type> typeOf(const std::vector<uint8_t>& bytes) {
  wire::Reader r(bytes.data(), bytes.size());
  Type t{};
  if (!r.get(t)) return std::nullopt;
  return t;
}

std::vector<uint8_t> encodeEmpty(Type type) {
  return header(type).bytes();
}

std::vector<uint8_t> encode(const Init& m) {
  auto w = header(Type::kInit);
  w.put(m.slot);
  w.put(m.uid);
  w.put(m.gid);
  w.putString(m.hostname);
  w.put(m.box_kb);
  w.put(m.box_inodes);
  w.put(m.tmp_kb);
  w.put(static_cast<uint32_t>(m.binds.size()));
  for (const auto& b : m.binds) {
    w.putString(b.path);
    w.put(static_cast<uint8_t>(b.optional));
  }
  w.put(static_cast<uint8_t>(m.move_to_leaf));
  w.put(m.v1_joins);
  return w.bytes();
}

bool decode(const std::vector<uint8_t>& bytes, Init& m) {
  wire::Reader r(bytes.data(), bytes.size());
  if (!open(Type::kInit, r)) return false;
  uint32_t n = 0;
  r.get(m.slot), r.get(m.uid), r.get(m.gid), r.getString(m.hostname);
  r.get(m.box_kb), r.get(m.box_inodes), r.get(m.tmp_kb);
  if (!r.get(n) || n > 1024) return false;
  m.binds.resize(n);
  for (auto& b : m.binds) {
    uint8_t opt = 0;
    r.getString(b.path), r.get(opt);
    b.optional = opt != 0;
  }
  uint8_t leaf = 0;
  r.get(leaf);
  m.move_to_leaf = leaf != 0;
  r.get(m.v1_joins);
  return r.atEnd();
}

std::vector<uint8_t> encode(const RunPlan& m) {
  auto w = header(Type::kRun);
  w.putStrings(m.argv);
  w.putStrings(m.env);
  w.putString(m.cwd);
  w.put(static_cast<uint32_t>(m.rlimits.size()));
  for (const auto& l : m.rlimits) {
    w.put(l.resource);
    w.put(l.soft);
    w.put(l.hard);
  }
  w.put(m.nice);
  w.put(m.uid);
  w.put(m.gid);
  w.putBytes(m.seccomp_bpf.data(), m.seccomp_bpf.size());
  w.put(static_cast<uint8_t>(m.cgroup_v2_dir));
  w.put(m.v1_tasks_fds);
  w.put(static_cast<uint8_t>(m.seal_box));
  return w.bytes();
}

bool decode(const std::vector<uint8_t>& bytes, RunPlan& m) {
  wire::Reader r(bytes.data(), bytes.size());
  if (!open(Type::kRun, r)) return false;
  r.getStrings(m.argv), r.getStrings(m.env), r.getString(m.cwd);
  uint32_t n = 0;
  if (!r.get(n) || n > 64) return false;
  m.rlimits.resize(n);
  for (auto& l : m.rlimits) r.get(l.resource), r.get(l.soft), r.get(l.hard);
  r.get(m.nice), r.get(m.uid), r.get(m.gid), r.getBlob(m.seccomp_bpf);
  uint8_t v2 = 0, seal = 0;
  r.get(v2), r.get(m.v1_tasks_fds), r.get(seal);
  m.cgroup_v2_dir = v2 != 0;
  m.seal_box = seal != 0;
  return r.atEnd();
}

std::vector<uint8_t> encode(const StepFailure& m) {
  auto w = header(Type::kStartFailed);
  w.put(m.step);
  w.put(m.err);
  return w.bytes();
}

bool decode(const std::vector<uint8_t>& bytes, StepFailure& m) {
  wire::Reader r(bytes.data(), bytes.size());
  if (!open(Type::kStartFailed, r)) return false;
  r.get(m.step), r.get(m.err);
  return r.atEnd();
}

std::vector<uint8_t> encode(const Exited& m) {
  auto w = header(Type::kExited);
  w.put(m.wait_status);
  w.put(m.wall_ns);
  w.put(m.user_ns);
  w.put(m.system_ns);
  w.put(m.max_rss_kb);
  w.put(m.leftover);
  w.put(m.reset_errno);
  return w.bytes();
}

bool decode(const std::vector<uint8_t>& bytes, Exited& m) {
  wire::Reader r(bytes.data(), bytes.size());
  if (!open(Type::kExited, r)) return false;
  r.get(m.wait_status), r.get(m.wall_ns), r.get(m.user_ns), r.get(m.system_ns);
  r.get(m.max_rss_kb), r.get(m.leftover), r.get(m.reset_errno);
  return r.atEnd();
}

std::vector<uint8_t> encode(const Failure& m) {
  auto w = header(Type::kFailure);
  w.putString(m.message);
  w.put(m.err);
  return w.bytes();
}

bool decode(const std::vector<uint8_t>& bytes, Failure& m) {
  wire::Reader r(bytes.data(), bytes.size());
  if (!open(Type::kFailure, r)) return false;
  r.getString(m.message), r.get(m.err);
  return r.atEnd();
}

}  // namespace codecanvas::protocol
