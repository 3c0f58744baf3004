// Faults a running codecanvas-server must survive, each on a server of its own:
//
//   - a slot's keeper killed with SIGKILL during a run and during a compile: that job is
//     answered 500 internal naming the step, the slot is rebuilt, the next jobs succeed
//     on every slot;
//   - a program that fills /box: it sees ENOSPC (its own behaviour is the answer), the
//     server stays healthy and the next job in the slot finds /box empty again;
//   - SIGTERM while clients keep sending: every accepted job is answered, the server
//     exits 0, and no process of its slot uids or cgroup of its instance is left;
//   - a second server on the port of one under load: it says so and the first one does
//     not notice.
// (SIGTERM with one running job and a second server on an idle server's port are in
// tests/integration/http_test.cc.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <set>

#include "http_client.h"
#include "load_driver.h"
#include "server_process.h"
#include "test_support.h"

namespace codecanvas {
namespace {

using namespace load;
using nlohmann::json;
using testing::ServerProcess;

using Answer = testing::HttpAnswer;

Answer post(int port, const std::string& path, const json& request) {
  return testing::httpCall(port, "POST", path, request.dump());
}

Answer run(int port, const std::string& language, const std::string& source,
           const std::string& stdin_data = "") {
  return post(port, "/api/v1/run",
              {{"language", language}, {"source", source}, {"stdin", stdin_data}});
}

std::string get(int port, const std::string& path) {
  const Answer a = testing::httpCall(port, "GET", path);
  return a.status == 200 ? a.raw : std::string();
}

// --- processes and cgroups, from /proc and /sys/fs/cgroup -----------------------------------

struct ProcInfo {
  pid_t pid = 0, ppid = 0;
  uid_t uid = 0;
  std::string comm;
};

std::vector<ProcInfo> processes() {
  std::vector<ProcInfo> all;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    ProcInfo p;
    p.pid = std::stoi(name);
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0) continue;
    p.uid = st.st_uid;
    std::ifstream in(it->path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    p.comm = line.substr(open + 1, close - open - 1);
    char state = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &p.ppid) != 2) continue;
    all.push_back(p);
  }
  return all;
}

// The ancestor of `pid` whose parent is `server`: the slot keeper that runs it (0: none).
pid_t keeperOf(pid_t server, pid_t pid) {
  const auto all = processes();
  auto parentOf = [&](pid_t p) -> pid_t {
    for (const auto& i : all)
      if (i.pid == p) return i.ppid;
    return 0;
  };
  for (int depth = 0; pid > 1 && depth < 32; ++depth) {
    const pid_t parent = parentOf(pid);
    if (parent == server) return pid;
    pid = parent;
  }
  return 0;
}

std::set<pid_t> childrenOf(pid_t server) {
  std::set<pid_t> kids;
  for (const auto& p : processes())
    if (p.ppid == server) kids.insert(p.pid);
  return kids;
}

// Waits (at most `timeout`) for a process of one of the slot uids whose name is `comm`.
std::optional<ProcInfo> awaitSlotProcess(uid_t uid_base, unsigned slots, const std::string& comm,
                                         std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    for (const auto& p : processes())
      if (p.uid >= uid_base && p.uid < uid_base + slots && p.comm == comm) return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

void expectNothingLeft(pid_t server_pid, uid_t uid_base, unsigned slots) {
  for (const auto& p : processes())
    EXPECT_FALSE(p.uid >= uid_base && p.uid < uid_base + slots)
        << "process " << p.pid << " (" << p.comm << ") of slot uid " << p.uid
        << " outlived the server";
  const std::string name = "codecanvas-" + std::to_string(server_pid);
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           "/sys/fs/cgroup", std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename() == name) ADD_FAILURE() << "cgroup " << it->path() << " outlived it";
    if (it.depth() > 4) it.disable_recursion_pending();
  }
}

// The value of a metric line "name value" in a /metrics page (-1: absent).
double metric(const std::string& page, const std::string& name) {
  const std::regex re("(^|\\n)" + std::regex_replace(name, std::regex(R"([{}"])"), R"(\$&)") +
                      " ([0-9.e+-]+)");
  std::smatch m;
  return std::regex_search(page, m, re) ? std::stod(m[2]) : -1;
}

json awaitIdleHealth(int port) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  json h;
  while (Clock::now() < deadline) {
    h = json::parse(get(port, "/health"), nullptr, false);
    if (h.is_object() && h["slots"]["busy"] == 0 && h["queue"]["length"] == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return h;
}

// --- a keeper killed mid-job ------------------------------------------------------------------

constexpr uid_t kKeeperUidBase = 61200;
constexpr unsigned kKeeperSlots = 2;

class KeeperFaultTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    server_ = new ServerProcess(SERVER_PATH, {"--slots", std::to_string(kKeeperSlots), "--queue",
                                              "8", "--uid-base", std::to_string(kKeeperUidBase)});
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      const pid_t pid = server_->pid();
      EXPECT_EQ(server_->terminate(), 0) << server_->log().substr(0, 4000);
      delete server_;
      server_ = nullptr;
      expectNothingLeft(pid, kKeeperUidBase, kKeeperSlots);
    }
  }
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(server_->port(), 0) << "the server did not start:\n" << server_->log();
    port_ = server_->port();
  }

  // Sends `source` in `language`, waits for a process `comm` of a slot uid, SIGKILLs the
  // keeper of that slot, and returns the job's answer. Empty when no such process showed.
  std::optional<Answer> killKeeperDuring(const std::string& language, const std::string& source,
                                         const std::string& comm) {
    const double rebuilds_before = metric(get(port_, "/metrics"), "codecanvas_slot_rebuilds_total");
    auto job = std::async(std::launch::async, [&] { return run(port_, language, source); });
    auto victim = awaitSlotProcess(kKeeperUidBase, kKeeperSlots, comm, std::chrono::seconds(60));
    if (!victim) {
      ADD_FAILURE() << "no " << comm << " process of a slot uid appeared";
      job.get();
      return std::nullopt;
    }
    const pid_t keeper = keeperOf(server_->pid(), victim->pid);
    EXPECT_GT(keeper, 0) << "no keeper above pid " << victim->pid;
    if (keeper <= 0) return std::nullopt;
    std::string cmdline;
    std::getline(std::ifstream("/proc/" + std::to_string(keeper) + "/cmdline"), cmdline);
    EXPECT_NE(cmdline.find("keeper"), std::string::npos) << cmdline;
    EXPECT_EQ(::kill(keeper, SIGKILL), 0);
    Answer a = job.get();

    // The slot was rebuilt: a new keeper in place of the killed one, the counter moved,
    // the log says why, and the service is healthy again.
    const json h = awaitIdleHealth(port_);
    EXPECT_EQ(h["status"], "ok") << h.dump();
    EXPECT_EQ(h["slots"]["broken"], 0) << h.dump();
    const auto keepers = childrenOf(server_->pid());
    EXPECT_EQ(keepers.size(), kKeeperSlots);
    EXPECT_EQ(keepers.count(keeper), 0u) << "the killed keeper is still the server's child";
    EXPECT_EQ(metric(get(port_, "/metrics"), "codecanvas_slot_rebuilds_total"),
              rebuilds_before + 1);
    EXPECT_NE(server_->log().find("is broken"), std::string::npos);
    return a;
  }

  // Every slot runs jobs again: 2 jobs per slot at once, each answering with its slot uid.
  void expectEverySlotWorks() {
    std::vector<std::future<Answer>> jobs;
    for (unsigned i = 0; i < 2 * kKeeperSlots; ++i)
      jobs.push_back(std::async(std::launch::async, [this, i] {
        return run(port_, "bash", "read -r n\nsleep 0.5\necho \"$n $UID\"", std::to_string(i));
      }));
    std::set<std::string> uids;
    for (unsigned i = 0; i < jobs.size(); ++i) {
      Answer a = jobs[i].get();
      ASSERT_EQ(a.status, 200) << a.raw;
      const std::string out = a.body.value("stdout", "");
      ASSERT_EQ(out.substr(0, out.find(' ')), std::to_string(i)) << a.raw;
      uids.insert(out.substr(out.find(' ') + 1));
    }
    EXPECT_EQ(uids.size(), kKeeperSlots) << "not every slot ran a job";
    const Program c = *programFor("c");
    Answer a = run(port_, "c", c.source, "20\n");
    EXPECT_EQ(a.status, 200) << a.raw;
    EXPECT_EQ(a.body["stdout"], expectedStdout("c", 20));
  }

  static ServerProcess* server_;
  int port_ = 0;
};
ServerProcess* KeeperFaultTest::server_ = nullptr;

TEST_F(KeeperFaultTest, KilledDuringARunTheJobGets500NamingTheRunAndTheSlotIsRebuilt) {
  const std::string marker = "survived " + std::to_string(::getpid());
  auto a = killKeeperDuring("python3", "import time\ntime.sleep(20)\nprint('" + marker + "')",
                            "python3");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 500) << a->raw;
  EXPECT_EQ(a->body["code"], "internal") << a->raw;
  const std::string error = a->body.value("error", "");
  std::printf("keeper killed during the run: HTTP %d %s\n", a->status, a->raw.c_str());
  // The step, then what went wrong in it, each said once.
  EXPECT_EQ(error.rfind("sandbox failure in run 1: lost the slot keeper", 0), 0u)
      << "the step is not named: " << error;
  EXPECT_EQ(a->raw.find(marker), std::string::npos) << "the program ran to the end";
  expectEverySlotWorks();
}

TEST_F(KeeperFaultTest, KilledDuringACompileTheJobGets500NamingTheCompileAndTheSlotIsRebuilt) {
  // A source no earlier request sent (never cached) that keeps cc1plus busy for a while.
  const std::string source = "#include <bits/stdc++.h>\n// " + std::to_string(::getpid()) + " " +
                             std::to_string(Clock::now().time_since_epoch().count()) +
                             "\nint main() { std::map<int, std::string> m; std::cout << "
                             "m.size() << std::endl; }\n";
  auto a = killKeeperDuring("c++", source, "cc1plus");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 500) << a->raw;
  EXPECT_EQ(a->body["code"], "internal") << a->raw;
  const std::string error = a->body.value("error", "");
  std::printf("keeper killed during the compile: HTTP %d %s\n", a->status, a->raw.c_str());
  EXPECT_EQ(error.rfind("sandbox failure in compile step: lost the slot keeper", 0), 0u)
      << "the step is not named: " << error;
  expectEverySlotWorks();
  // The same source compiles and runs now: nothing of the killed compile was cached.
  Answer again = run(port_, "c++", source);
  EXPECT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body["stdout"], "0\n") << again.raw;
  EXPECT_EQ(again.body["compile"]["cached"], false);
}

// --- /box filled to its cap ----------------------------------------------------------------

TEST(FaultTest, AProgramFillingBoxGetsEnospcAndTheNextJobFindsItEmpty) {
  CODECANVAS_REQUIRE_ROOT();
  constexpr uid_t kUidBase = 61300;
  ServerProcess server(SERVER_PATH,
                       {"--slots", "1", "--queue", "4", "--uid-base", std::to_string(kUidBase)});
  ASSERT_GT(server.port(), 0) << server.log();
  const int port = server.port();
  const char* fill =
      "#include <errno.h>\n#include <fcntl.h>\n#include <stdio.h>\n#include <string.h>\n"
      "#include <unistd.h>\nstatic char chunk[1 << 20];\n"
      "int main(void) {\n"
      "  memset(chunk, 'x', sizeof chunk);\n"
      "  int fd = open(\"/box/fill\", O_WRONLY | O_CREAT | O_TRUNC, 0644);\n"
      "  if (fd < 0) { printf(\"open: %s\\n\", strerror(errno)); return 1; }\n"
      "  unsigned long long total = 0;\n"
      "  for (;;) {\n"
      "    ssize_t w = write(fd, chunk, sizeof chunk);\n"
      "    if (w < 0) {\n"
      "      int e = errno;\n"
      "      printf(\"wrote %llu KiB, then %s\\n\", total / 1024, e == ENOSPC ? \"ENOSPC\" : "
      "strerror(e));\n"
      "      return e == ENOSPC ? 0 : 1;\n"
      "    }\n"
      "    total += (unsigned long long)w;\n"
      "  }\n"
      "}\n";
  const char* look =
      "#include <dirent.h>\n#include <stdio.h>\n#include <sys/statvfs.h>\n"
      "int main(void) {\n"
      "  DIR* d = opendir(\"/box\");\n"
      "  if (!d) return 1;\n"
      "  struct dirent* e;\n"
      "  while ((e = readdir(d)) != NULL) if (e->d_name[0] != '.') printf(\"%s\\n\", e->d_name);\n"
      "  struct statvfs s;\n"
      "  if (statvfs(\"/box\", &s) != 0) return 2;\n"
      "  printf(\"free %llu of %llu KiB\\n\", (unsigned long long)s.f_bavail * s.f_frsize / 1024,\n"
      "         (unsigned long long)s.f_blocks * s.f_frsize / 1024);\n"
      "  return 0;\n"
      "}\n";
  // Compiled (and cached) before the fill, so the job after it only runs.
  Answer first_look = run(port, "c", look);
  ASSERT_EQ(first_look.status, 200) << first_look.raw;

  for (int round = 0; round < 2; ++round) {
    Answer filled = run(port, "c", fill);
    ASSERT_EQ(filled.status, 200) << filled.raw;
    EXPECT_EQ(filled.body["status"], "ok") << filled.raw;
    std::smatch m;
    const std::string out = filled.body.value("stdout", "");
    ASSERT_TRUE(std::regex_match(out, m, std::regex("wrote ([0-9]+) KiB, then ENOSPC\n"))) << out;
    // /box is a 64 MiB tmpfs that also holds main.c and main.
    EXPECT_GT(std::stoull(m[1]), 56u * 1024) << out;
    EXPECT_LE(std::stoull(m[1]), 64u * 1024) << out;

    EXPECT_EQ(json::parse(get(port, "/health"))["status"], "ok");
    Answer after = run(port, "c", look);
    ASSERT_EQ(after.status, 200) << after.raw;
    EXPECT_EQ(after.body["compile"]["cached"], true);
    const std::string listing = after.body.value("stdout", "");
    std::set<std::string> names;
    unsigned long long free_kb = 0, total_kb = 0;
    std::istringstream lines(listing);
    for (std::string line; std::getline(lines, line);) {
      if (std::sscanf(line.c_str(), "free %llu of %llu KiB", &free_kb, &total_kb) == 2) continue;
      names.insert(line);
    }
    EXPECT_EQ(names, (std::set<std::string>{"main", "main.c"})) << listing;
    EXPECT_GT(total_kb, 0u) << listing;
    // All of it but the program and its source (a static binary of about 1 MiB).
    EXPECT_GE(free_kb + 4096, total_kb) << listing;
  }
  const pid_t pid = server.pid();
  EXPECT_EQ(server.terminate(), 0) << server.log().substr(0, 4000);
  expectNothingLeft(pid, kUidBase, 1);
}

// --- SIGTERM under load ----------------------------------------------------------------------

// Request-log lines of POST /api/v1/run with `status`: what the server answered.
uint64_t loggedRuns(const std::string& log, int status) {
  const std::string needle = "\"route\":\"/api/v1/run\",\"status\":" + std::to_string(status);
  uint64_t n = 0;
  for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
  return n;
}

TEST(FaultTest, SigtermUnderLoadAnswersEveryAcceptedJobThenExitsClean) {
  CODECANVAS_REQUIRE_ROOT();
  constexpr uid_t kUidBase = 61400;
  constexpr unsigned kSlots = 2;
  auto server = std::make_unique<ServerProcess>(
      SERVER_PATH,
      std::vector<std::string>{"--slots", std::to_string(kSlots), "--queue", "4", "--uid-base",
                               std::to_string(kUidBase), "--shutdown-grace-s", "30"});
  ASSERT_GT(server->port(), 0) << server->log();
  const pid_t pid = server->pid();
  std::atomic<bool> stop{false};
  LoadOptions o;
  o.port = server->port();
  o.clients = 4 * kSlots;
  o.duration = o.max_duration = std::chrono::seconds(120);  // until `stop`
  o.stop = &stop;
  o.retry_after_cap = std::chrono::milliseconds(50);  // keep the queue full
  auto load = std::async(std::launch::async, [&o] { return runLoad(o); });

  std::this_thread::sleep_for(std::chrono::seconds(4));
  const auto sigterm_at = Clock::now();
  // Within the grace (30 s): the jobs in flight take milliseconds.
  const int exit_status = server->terminate(std::chrono::seconds(60));
  stop = true;
  const LoadReport r = load.get();
  const double sigterm_ms =
      std::chrono::duration<double, std::milli>(sigterm_at - r.started).count();
  const std::string log = server->log();

  EXPECT_EQ(exit_status, 0) << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
  EXPECT_NE(log.find("received SIGTERM"), std::string::npos);
  EXPECT_NE(log.find("slots torn down"), std::string::npos);

  // What was answered is right: correct 200s, 503 busy with Retry-After, nothing else.
  for (const auto& f : r.failures)
    if (f.find("no answer") == std::string::npos) ADD_FAILURE() << f;
  uint64_t in_flight_answered = 0;
  double earliest_unanswered_ms = 1e18;
  for (const auto& s : r.samples) {
    if (s.status == 0) earliest_unanswered_ms = std::min(earliest_unanswered_ms, s.start_ms);
    EXPECT_TRUE(s.status == 0 || s.status == 200 || s.status == 503) << s.status;
    if (s.status != 0) {
      EXPECT_TRUE(s.correct) << "a wrong " << s.status << " answer";
    } else {
      // Unanswered: only requests sent around or after the signal, which the server
      // never accepted (the listening socket was closed, or an idle keep-alive
      // connection was closed before it read them).
      EXPECT_GT(s.start_ms, sigterm_ms - 2000 * testing::timeSlack())
          << "a request sent " << sigterm_ms - s.start_ms << " ms before SIGTERM got no answer";
    }
    if (s.status == 200 && s.start_ms < sigterm_ms && s.start_ms + s.latency_ms > sigterm_ms)
      ++in_flight_answered;
    // No job starts after the signal, not even on a connection kept open meanwhile.
    if (s.status == 200) {
      EXPECT_LT(s.start_ms, sigterm_ms + 200 * testing::timeSlack())
          << "a request sent " << s.start_ms - sigterm_ms << " ms after SIGTERM was run";
    }
  }
  EXPECT_GT(r.runs(), 20u);
  EXPECT_GT(in_flight_answered, 0u) << "no job was in flight at SIGTERM; nothing was tested";
  // Every job the server answered reached its client: the server's request log and the
  // clients agree on the count of each answer.
  EXPECT_EQ(loggedRuns(log, 200), r.count(200));
  EXPECT_EQ(loggedRuns(log, 503), r.count(503));
  std::printf(
      "SIGTERM after %.0f ms of load: %zu requests, %llu answered 200, %llu answered 503, "
      "%llu unanswered (the first sent %+.1f ms from the signal), %llu in flight at the "
      "signal and answered\n",
      sigterm_ms, r.samples.size(), static_cast<unsigned long long>(r.count(200)),
      static_cast<unsigned long long>(r.count(503)), static_cast<unsigned long long>(r.count(0)),
      r.count(0) > 0 ? earliest_unanswered_ms - sigterm_ms : 0.0,
      static_cast<unsigned long long>(in_flight_answered));

  server.reset();
  expectNothingLeft(pid, kUidBase, kSlots);
}

// --- a second server on a loaded server's port ------------------------------------------------

TEST(FaultTest, ASecondServerOnTheSamePortUnderLoadSaysSoAndTheFirstCarriesOn) {
  CODECANVAS_REQUIRE_ROOT();
  constexpr uid_t kUidBase = 61500;
  ServerProcess first(SERVER_PATH,
                      {"--slots", "2", "--queue", "8", "--uid-base", std::to_string(kUidBase)});
  ASSERT_GT(first.port(), 0) << first.log();
  std::atomic<bool> stop{false};
  LoadOptions o;
  o.port = first.port();
  o.clients = 4;
  o.mix = {{"c", 1}, {"bash", 1}};
  o.duration = o.max_duration = std::chrono::seconds(120);
  o.stop = &stop;
  auto load = std::async(std::launch::async, [&o] { return runLoad(o); });
  std::this_thread::sleep_for(std::chrono::seconds(1));

  const auto t0 = Clock::now();
  const testing::CommandResult second =
      testing::runShell(std::string(SERVER_PATH) + " --slots 1 --uid-base " +
                        std::to_string(kUidBase + 10) + " --port " + std::to_string(first.port()));
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  const LoadReport r = load.get();

  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find("already in use"), std::string::npos) << second.output;
  // It gave up before building anything: no toolchain probes, no slots.
  EXPECT_EQ(second.output.find("building"), std::string::npos) << second.output;
  EXPECT_LT(seconds, 10 * testing::timeSlack());
  // The first server answered every request of the load, correctly.
  EXPECT_EQ(r.failure_count, 0u);
  for (const auto& f : r.failures) ADD_FAILURE() << f;
  EXPECT_GT(r.runs(), 0u);
  EXPECT_EQ(r.count(200) + r.count(503), r.samples.size());
  const pid_t pid = first.pid();
  EXPECT_EQ(first.terminate(), 0);
  expectNothingLeft(pid, kUidBase, 2);
}

}  // namespace
}  // namespace codecanvas
