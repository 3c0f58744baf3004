#include "protocol.h"

#include <type_traits>

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

// Each message's fields are listed once, in wire order, in a fields() function that both
// directions walk: encode with an Out archive, decode with an In archive. A field added
// to one direction is added to the other, so the two cannot drift.
//   integers and enums  as they are in memory (both ends are one build on one machine)
//   bool                one byte, 0 or 1
//   string, bytes       u32 length, then the bytes
//   list                u32 count (decode refuses more than its maximum), then each entry
class Out {
 public:
  explicit Out(Type t) { w_.put(t); }
  template <class T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  void operator()(const T& v) {
    if constexpr (std::is_same_v<T, bool>)
      w_.put(static_cast<uint8_t>(v));
    else
      w_.put(v);
  }
  void operator()(const std::string& s) { w_.putString(s); }
  void operator()(const std::vector<std::string>& list) { w_.putStrings(list); }
  void operator()(const std::vector<uint8_t>& bytes) { w_.putBytes(bytes.data(), bytes.size()); }
  template <class E, class F>
  void list(const std::vector<E>& entries, uint32_t /*max*/, F each) {
    w_.put(static_cast<uint32_t>(entries.size()));
    for (const E& e : entries) each(const_cast<E&>(e));
  }
  std::vector<uint8_t> bytes() const { return w_.bytes(); }

 private:
  wire::Writer w_;
};

class In {
 public:
  explicit In(const std::vector<uint8_t>& bytes) : r_(bytes.data(), bytes.size()) {}
  // The header: the message has the expected type.
  bool open(Type expected) {
    Type t{};
    return r_.get(t) && t == expected;
  }
  template <class T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  void operator()(T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      uint8_t b = 0;
      r_.get(b);
      v = b != 0;
    } else {
      r_.get(v);
    }
  }
  void operator()(std::string& s) { r_.getString(s); }
  void operator()(std::vector<std::string>& list) { r_.getStrings(list); }
  void operator()(std::vector<uint8_t>& bytes) { r_.getBlob(bytes); }
  template <class E, class F>
  void list(std::vector<E>& entries, uint32_t max, F each) {
    uint32_t n = 0;
    if (!r_.get(n) || n > max) {
      bad_ = true;
      return;
    }
    entries.resize(n);
    for (E& e : entries) each(e);
  }
  // Every field was there and nothing is left over.
  bool done() const { return !bad_ && r_.atEnd(); }

 private:
  wire::Reader r_;
  bool bad_ = false;
};

template <class A>
void fields(A& a, Init& m) {
  a(m.slot), a(m.uid), a(m.gid), a(m.hostname), a(m.box_kb), a(m.box_inodes), a(m.tmp_kb);
  a.list(m.binds, 1024, [&](BindEntry& b) { a(b.path), a(b.optional); });
  a(m.move_to_leaf), a(m.v1_joins);
}

template <class A>
void fields(A& a, RunPlan& m) {
  a(m.argv), a(m.env), a(m.cwd);
  a.list(m.rlimits, 64, [&](Rlimit& l) { a(l.resource), a(l.soft), a(l.hard); });
  a(m.nice), a(m.uid), a(m.gid), a(m.seccomp_bpf), a(m.cgroup_v2_dir), a(m.v1_tasks_fds);
  a(m.seal_box), a(m.output_dir);
}

template <class A>
void fields(A& a, StepFailure& m) {
  a(m.step), a(m.err);
}

template <class A>
void fields(A& a, Exited& m) {
  a(m.wait_status), a(m.wall_ns), a(m.user_ns), a(m.system_ns), a(m.max_rss_kb), a(m.leftover);
  a(m.reset_errno);
}

template <class A>
void fields(A& a, Failure& m) {
  a(m.message), a(m.err);
}

template <class M>
std::vector<uint8_t> encodeAs(Type type, const M& m) {
  Out out(type);
  fields(out, const_cast<M&>(m));  // Out only reads
  return out.bytes();
}

template <class M>
bool decodeAs(Type type, const std::vector<uint8_t>& bytes, M& m) {
  In in(bytes);
  if (!in.open(type)) return false;
  fields(in, m);
  return in.done();
}

}  // namespace

std::optional<Type> typeOf(const std::vector<uint8_t>& bytes) {
  wire::Reader r(bytes.data(), bytes.size());
  Type t{};
  if (!r.get(t)) return std::nullopt;
  return t;
}

std::vector<uint8_t> encodeEmpty(Type type) {
  return Out(type).bytes();
}

std::vector<uint8_t> encode(const Init& m) {
  return encodeAs(Type::kInit, m);
}
bool decode(const std::vector<uint8_t>& bytes, Init& m) {
  return decodeAs(Type::kInit, bytes, m);
}
std::vector<uint8_t> encode(const RunPlan& m) {
  return encodeAs(Type::kRun, m);
}
bool decode(const std::vector<uint8_t>& bytes, RunPlan& m) {
  return decodeAs(Type::kRun, bytes, m);
}
std::vector<uint8_t> encode(const StepFailure& m) {
  return encodeAs(Type::kStartFailed, m);
}
bool decode(const std::vector<uint8_t>& bytes, StepFailure& m) {
  return decodeAs(Type::kStartFailed, bytes, m);
}
std::vector<uint8_t> encode(const Exited& m) {
  return encodeAs(Type::kExited, m);
}
bool decode(const std::vector<uint8_t>& bytes, Exited& m) {
  return decodeAs(Type::kExited, bytes, m);
}
std::vector<uint8_t> encode(const Failure& m) {
  return encodeAs(Type::kFailure, m);
}
bool decode(const std::vector<uint8_t>& bytes, Failure& m) {
  return decodeAs(Type::kFailure, bytes, m);
}

}  // namespace codecanvas::protocol
