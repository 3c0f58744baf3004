// The hostile suite over HTTP: every program in tests/hostile/programs is sent as source
// to POST /api/v1/run of one real codecanvas-server (2 slots, uids 61000 and 61001), its
// answer is checked against the expectations in its header (programs/README.md), and then
// the host is checked:
//   - GET /health still answers 200 with the status it had at start and no broken slot,
//     and no slot was rebuilt (codecanvas_slot_rebuilds_total);
//   - no process of uid 61000 or 61001 is left on the host;
//   - no run cgroup is left: only the one prepared per slot for the next run;
//   - the next job in each slot finds /box holding only its own source, an empty /tmp
//     and no System V IPC object;
//   - two canaries are unchanged (content, mode, mtime): a world-writable file in a
//     world-writable directory under /usr (bound read-only into every slot) and one in
//     the host's /tmp (hidden from the slots); no program's output holds their secret.
// Needs root and the toolchains scripts/setup.sh installs (go, nodejs, ...).
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "../integration/http_client.h"
#include "../integration/server_process.h"
#include "../integration/test_support.h"
#include "host_checks.h"
#include "kernel_features.h"
#include "program_spec.h"

namespace codecanvas::hostile {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr uid_t kUidBase = 61000;
constexpr unsigned kSlots = 2;
// The wipe and the removal of a used run cgroup happen after the answer; this is how long
// the checks wait for them before calling a leftover a failure.
constexpr auto kSettle = 3s;

using Answer = testing::HttpAnswer;

Answer call(int port, const std::string& method, const std::string& path,
            const std::string& body = "") {
  return testing::httpCall(port, method, path, body);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> programFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(HOSTILE_PROGRAMS_DIR, ec)) {
    const std::string name = e.path().filename();
    if (e.is_regular_file(ec) && name != "README.md" && name[0] != '.') files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Everything the programs share: the server, the canaries, the abstract socket.
struct Suite {
  std::unique_ptr<testing::ServerProcess> server;
  std::string missing;  // what this host lacks for the suite (a skip); "" when nothing
  std::string problem;  // why the server is unusable (a failure); "" when it is fine
  std::string canary_dir;
  std::unique_ptr<Canary> bound_canary, host_canary;
  std::vector<std::string> canary_dir_entries;
  long long canary_dir_mtime_ns = 0;
  UniqueFd listener;
  Placeholders placeholders;
  HostFeatures features;  // probed on this host, for "expect if F:" lines
  std::vector<std::string> cgroup_instances;
  std::string health_status;
  std::set<std::string> languages;  // offered by the server
};

Suite& suite() {
  static Suite s;
  return s;
}

long long mtimeNs(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec
                                        : -1;
}

std::string hostName() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// Sets up everything, or says in suite().missing or .problem why not.
void startSuite() {
  Suite& s = suite();
  const std::string pid = std::to_string(::getpid());
  const std::string secret = randomHex();
  // Under /usr/local/share: inside the /usr every slot binds, world-writable on purpose.
  s.canary_dir = "/usr/local/share/codecanvas-canary-" + pid;
  if (::mkdir(s.canary_dir.c_str(), 0777) != 0 || ::chmod(s.canary_dir.c_str(), 0777) != 0) {
    s.missing = "cannot make the canary directory " + s.canary_dir + ": " + std::strerror(errno);
    return;
  }
  s.bound_canary = std::make_unique<Canary>(s.canary_dir + "/canary", secret + "\n");
  s.host_canary = std::make_unique<Canary>("/tmp/codecanvas-canary-" + pid, secret + "\n");
  for (const auto* c : {s.bound_canary.get(), s.host_canary.get()}) {
    if (!c->error().empty()) s.missing = "canary: " + c->error();
  }
  s.canary_dir_entries = directoryEntries(s.canary_dir);
  s.canary_dir_mtime_ns = mtimeNs(s.canary_dir);
  const std::string abstract = "codecanvas-hostile-" + pid;
  s.listener = listenAbstract(abstract);
  // The sandboxed connect is only meaningful if one from the host gets through.
  if (!s.listener || !connectAbstract(abstract))
    s.missing = "cannot listen on, or connect from the host to, the abstract socket " + abstract;
  if (!s.missing.empty()) return;

  s.server = std::make_unique<testing::ServerProcess>(
      SERVER_PATH, std::vector<std::string>{"--slots", std::to_string(kSlots), "--uid-base",
                                            std::to_string(kUidBase)});
  if (s.server->port() == 0) {
    s.problem = "the server did not start:\n" + s.server->log();
    return;
  }
  Answer health = call(s.server->port(), "GET", "/health");
  s.health_status = health.body.value("status", "");
  Answer languages = call(s.server->port(), "GET", "/api/v1/languages");
  if (languages.body.is_object() && languages.body["languages"].is_array()) {
    for (const auto& l : languages.body["languages"]) s.languages.insert(l.get<std::string>());
  }
  s.cgroup_instances = findInstanceDirs(s.server->pid());
  s.features = {{"i386_entry", testing::hasI386SyscallEntry()}};
  std::fprintf(stderr, "hostile: host features: i386_entry=%s\n",
               s.features["i386_entry"] ? "yes" : "no (int $0x80 faults on this kernel)");
  s.placeholders = {{"server_pid", std::to_string(s.server->pid())},
                    {"canary_dir", s.canary_dir},
                    {"host_canary", s.host_canary->path()},
                    {"canary_secret", secret},
                    {"abstract_socket", abstract},
                    {"host_name", hostName()}};
}

std::optional<long long> slotRebuilds(int port);  // from /metrics, below

void stopSuite() {
  Suite& s = suite();
  if (s.server && s.server->port() != 0) {
    // No program of the whole suite may have cost a slot.
    EXPECT_EQ(slotRebuilds(s.server->port()), std::optional<long long>(0))
        << "codecanvas_slot_rebuilds_total moved during the hostile suite";
    EXPECT_EQ(s.server->terminate(), 0) << s.server->log();
  }
  s.server.reset();
  s.bound_canary.reset();
  s.host_canary.reset();
  if (!s.canary_dir.empty()) ::rmdir(s.canary_dir.c_str());
  s.listener.reset();
}

// Polls `probe` (which returns "" when all is well) until it passes or `kSettle` runs out;
// returns the last complaint.
template <typename Probe>
std::string settle(Probe probe) {
  const auto deadline = std::chrono::steady_clock::now() + kSettle;
  for (;;) {
    std::string why = probe();
    if (why.empty() || std::chrono::steady_clock::now() > deadline) return why;
    std::this_thread::sleep_for(50ms);
  }
}

std::optional<long long> slotRebuilds(int port) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/metrics");
  if (!res) return std::nullopt;
  std::istringstream lines(res->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("codecanvas_slot_rebuilds_total ", 0) == 0)
      return std::stoll(line.substr(line.find(' ') + 1));
  }
  return std::nullopt;
}

// Runs one small job in every slot at once (each holds its slot for a moment, so the two
// cannot share one) and checks what it finds there.
void expectCleanSlots(int port) {
  const std::string probe =
      "sleep 0.4\n"
      "echo \"uid $(id -u)\"\n"
      "echo \"box: $(ls -A /box | tr '\\n' ' ')\"\n"
      "echo \"tmp: $(ls -A /tmp | tr '\\n' ' ')\"\n"
      "echo \"ipc: $(cat /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem"
      " | grep -vc '^ *key ')\"\n";
  const json request = {
      {"language", "bash"}, {"source", probe}, {"limits", {{"cpu_ms", 1000}, {"wall_ms", 5000}}}};
  std::set<std::string> uids;
  for (int attempt = 0; attempt < 3 && uids.size() < kSlots; ++attempt) {
    std::vector<std::future<Answer>> answers;
    for (unsigned i = 0; i < kSlots; ++i)
      answers.push_back(std::async(
          std::launch::async, [&] { return call(port, "POST", "/api/v1/run", request.dump()); }));
    for (auto& f : answers) {
      Answer a = f.get();
      ASSERT_EQ(a.status, 200) << a.raw;
      const std::string out = a.body.value("stdout", "");
      const auto nl = out.find('\n');
      uids.insert(out.substr(0, nl));
      EXPECT_EQ(out.substr(nl == std::string::npos ? out.size() : nl + 1),
                "box: main.sh \ntmp: \nipc: 0\n")
          << "the next job in a slot (" << out.substr(0, nl) << ") found the last one's traces";
    }
  }
  std::set<std::string> want;
  for (unsigned i = 0; i < kSlots; ++i) want.insert("uid " + std::to_string(kUidBase + i));
  EXPECT_EQ(uids, want) << "could not get a job into every slot";
}

class HostileProgramTest : public ::testing::TestWithParam<std::string> {
 public:
  static void SetUpTestSuite() {
    if (::geteuid() == 0) startSuite();
  }
  static void TearDownTestSuite() { stopSuite(); }

 protected:
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    CODECANVAS_REQUIRE(suite().missing.empty(), suite().missing);
    ASSERT_TRUE(suite().problem.empty()) << suite().problem;
    port_ = suite().server->port();
  }

  // Everything that must hold on the host after any program.
  void expectHostIntact() {
    Suite& s = suite();
    Answer health = call(port_, "GET", "/health");
    EXPECT_EQ(health.status, 200) << health.raw;
    EXPECT_EQ(health.body.value("status", ""), s.health_status) << health.raw;
    EXPECT_EQ(health.body["slots"].value("broken", -1), 0) << health.raw;
    EXPECT_EQ(settle([] {
                std::string all;
                for (const auto& p : processesOfUids(kUidBase, kSlots)) all += "\n  " + p;
                return all;
              }),
              "")
        << "processes of the slot uids outlived the run";
    EXPECT_EQ(settle([&] {
                CgroupState st = inspectRunCgroups(s.cgroup_instances, kSlots);
                std::string all;
                for (const auto& p : st.problems) all += "\n  " + p;
                if (st.instances == 0) all += "\n  no cgroup instance directory of the server";
                return all.empty() ? all : all + "\n  seen:" + st.listing;
              }),
              "")
        << "run cgroups left behind";
    for (const auto* c : {s.bound_canary.get(), s.host_canary.get()})
      EXPECT_EQ(c->changes(), "") << "a canary on the host was touched";
    EXPECT_EQ(directoryEntries(s.canary_dir), s.canary_dir_entries) << s.canary_dir;
    EXPECT_EQ(mtimeNs(s.canary_dir), s.canary_dir_mtime_ns) << s.canary_dir << " was modified";
    expectCleanSlots(port_);
  }

  int port_ = 0;
};

TEST_P(HostileProgramTest, IsContained) {
  const std::string path = GetParam();
  ParseResult parsed = parseProgramSpec(path, readFile(path));
  ASSERT_TRUE(parsed.spec) << parsed.error;
  const ProgramSpec& spec = *parsed.spec;
  CODECANVAS_REQUIRE(suite().languages.count(spec.language),
                     spec.language +
                         " is not offered by the server (toolchain missing? run "
                         "scripts/setup.sh)");
  const Placeholders& placeholders = suite().placeholders;
  const auto rebuilds = slotRebuilds(port_);

  Answer a = call(port_, "POST", routeFor(spec), buildRequest(spec, placeholders).dump());
  const bool expects_http = spec.expectations.front().key == "http";
  if ((a.status != 200 && !expects_http) || !a.body.is_object()) {
    ADD_FAILURE() << "HTTP " << a.status << ": " << a.raw.substr(0, 2000);
    return expectHostIntact();  // whatever went wrong, the host must still be intact
  }
  a.body["http"] = a.status;
  std::string out = a.body.value("stdout", ""), err = a.body.value("stderr", "");
  if (spec.encoding == "base64") {
    auto o = decodeBase64(out), e = decodeBase64(err);
    ASSERT_TRUE(o && e) << "the answer's stdout or stderr is not base64: " << a.raw;
    out = *o, err = *e;
  }
  SCOPED_TRACE("answer: " + a.body.dump().substr(0, 3000));
  if (a.body.contains("compile") && a.body["compile"].is_object() &&
      a.body["status"] != "compile_error") {
    // A warning in a hostile program usually means the attack is not what it says.
    EXPECT_EQ(a.body["compile"]["status"], "ok");
    EXPECT_EQ(a.body["compile"].value("stderr", ""), "") << "the program compiles with warnings";
  }
  for (const auto& failure :
       checkExpectations(spec, a.body, out, err, placeholders, suite().features))
    ADD_FAILURE() << spec.name << ": " << failure;
  const std::string& secret = placeholders.at("canary_secret");
  EXPECT_EQ(out.find(secret), std::string::npos) << "the program read a host canary";
  EXPECT_EQ(err.find(secret), std::string::npos) << "the program read a host canary";

  expectHostIntact();
  EXPECT_EQ(slotRebuilds(port_), rebuilds) << "a slot was rebuilt: the program broke it";
}

// The file's stem; a character gtest refuses becomes '_', and a stem two files share gets
// the extension too (the collection test below fails on both).
std::string programName(const ::testing::TestParamInfo<std::string>& info) {
  const fs::path path(info.param);
  std::string name = path.stem();
  int same = 0;
  for (const auto& f : programFiles()) same += fs::path(f).stem() == path.stem();
  if (same > 1) name += path.extension().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Programs, HostileProgramTest, ::testing::ValuesIn(programFiles()),
                         programName);

// The collection itself: big enough, every file well formed, names usable as test names.
TEST(HostileProgramsTest, EveryProgramStatesItsExpectations) {
  const auto files = programFiles();
  EXPECT_GE(files.size(), 40u) << "the suite promises at least 40 hostile programs";
  std::set<std::string> names, languages;
  for (const auto& f : files) {
    ParseResult parsed = parseProgramSpec(f, readFile(f));
    if (!parsed.spec) {
      ADD_FAILURE() << parsed.error;
      continue;
    }
    EXPECT_TRUE(names.insert(parsed.spec->name).second)
        << "two programs named " << parsed.spec->name;
    for (char c : parsed.spec->name)
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '_') << f;
    languages.insert(parsed.spec->language);
  }
  for (const char* lang : {"c", "c++", "python3", "bash"})
    EXPECT_TRUE(languages.count(lang)) << "no hostile program in " << lang;
}

}  // namespace
}  // namespace codecanvas::hostile
