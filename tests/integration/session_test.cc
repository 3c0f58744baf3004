// Live sessions end to end: a real codecanvas-server (2 slots, uids from 60900, idle
// timeout 4 s) and a real WebSocket client (Boost.Beast) over loopback. Programs that
// prompt, read a line and answer, in Python, C and Java; end of input; kill; the idle
// timeout; 20 sessions at once; a client that never reads (the program blocks in write,
// the server does not buffer); a client that disconnects mid-run (the slot is free and
// clean at once); bad messages.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/beast/websocket.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "http_client.h"
#include "server_process.h"
#include "test_support.h"
#include "ws_client.h"

namespace {

namespace websocket = boost::beast::websocket;
using codecanvas::testing::httpCall;
using codecanvas::testing::ServerProcess;
using codecanvas::testing::WsClient;
using Client = WsClient;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr uid_t kUidBase = 60900;
constexpr unsigned kSlots = 2;

// One server for the whole file: started on first use.
ServerProcess& server() {
  static ServerProcess s(SERVER_PATH,
                         {"--slots", std::to_string(kSlots), "--queue", "8", "--uid-base",
                          std::to_string(kUidBase), "--session-idle-s", "4"});
  return s;
}

bool offered(const std::string& language) {
  auto a = httpCall(server().port(), "GET", "/api/v1/languages");
  if (a.status != 200) return false;
  for (const auto& l : a.body["languages"])
    if (l == language) return true;
  return false;
}

#define REQUIRE_LANGUAGE(lang)                                                                  \
  do {                                                                                          \
    if (!offered(lang)) {                                                                       \
      if (std::getenv("CI") != nullptr) FAIL() << lang << " is not offered under CI";           \
      GTEST_SKIP() << lang << " is not offered on this machine (scripts/setup.sh installs it)"; \
    }                                                                                           \
  } while (0)

json healthOf() {
  return httpCall(server().port(), "GET", "/health").body;
}

// Waits until no slot is busy (a session's job ended and its slot was wiped).
bool slotsIdle(std::chrono::seconds within = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    json h = healthOf();
    if (h.is_object() && h["slots"]["busy"] == 0 && h["queue"]["length"] == 0) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// Processes running as one of the server's slot uids.
std::vector<pid_t> slotProcesses() {
  std::vector<pid_t> pids;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    struct stat st {};
    if (::stat(e.path().c_str(), &st) != 0) continue;
    if (st.st_uid >= kUidBase && st.st_uid < kUidBase + kSlots) {
      try {
        pids.push_back(std::stoi(e.path().filename().string()));
      } catch (...) {
      }
    }
  }
  return pids;
}

const char* kPythonGreeter = R"(while True:
    try:
        name = input("name? ")
    except EOFError:
        break
    print("hello, " + name)
print("bye")
)";

const char* kCGreeter = R"(#include <stdio.h>
#include <string.h>
int main(void) {
  char line[256];
  for (;;) {
    printf("name? ");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) break;
    line[strcspn(line, "\n")] = 0;
    printf("hello, %s\n", line);
  }
  puts("bye");
  return 0;
}
)";

const char* kJavaGreeter = R"(import java.util.Scanner;
public class Main {
  public static void main(String[] args) {
    Scanner in = new Scanner(System.in);
    for (;;) {
      System.out.print("name? ");
      System.out.flush();
      if (!in.hasNextLine()) break;
      System.out.println("hello, " + in.nextLine());
    }
    System.out.println("bye");
  }
}
)";

// The conversation every greeter has: two names, then end of input.
void converse(const std::string& language, const std::string& source) {
  Client c;
  ASSERT_TRUE(c.connect(server().port())) << c.refused << " " << c.refusal_body;
  c.send({{"language", language}, {"source", source}});
  ASSERT_TRUE(c.awaitStdout("name? ")) << c.dump();
  c.stdin("Ada\n");
  ASSERT_TRUE(c.awaitStdout("hello, Ada\nname? ")) << c.dump();
  // Split across two messages: the program sees one line.
  c.stdin("Bo");
  c.stdin("b\n");
  ASSERT_TRUE(c.awaitStdout("hello, Bob\n")) << c.dump();
  c.send({{"type", "eof"}});
  auto end = c.awaitEnd();
  ASSERT_TRUE(end) << c.dump();
  ASSERT_EQ((*end)["type"], "result") << end->dump();
  const json& r = (*end)["result"];
  EXPECT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["exit_code"], 0);
  EXPECT_EQ(c.output["stdout"], "name? hello, Ada\nname? hello, Bob\nname? bye\n");
  // The result carries the whole output too, as /api/v1/run does.
  EXPECT_EQ(r["stdout"], c.output["stdout"]);
  EXPECT_GE(r["wall_ms"].get<double>(), 0);
  EXPECT_TRUE(r.contains("memory_kb"));
  // Stage messages come before the first output.
  ASSERT_FALSE(c.transcript.empty());
  EXPECT_EQ(c.transcript.front()["type"], "stage") << c.dump();
  bool saw_run = false;
  for (const auto& m : c.transcript) {
    if (m["type"] == "stage" && m["stage"] == "run") saw_run = true;
    if (m["type"] == "data") {
      EXPECT_TRUE(saw_run) << "output before the run stage: " << c.dump();
      break;
    }
  }
  EXPECT_FALSE(c.read(5s)) << "a message after the result";
  EXPECT_EQ(c.close_code, websocket::close_code::normal);
}

TEST(LiveSession, PythonPromptsReadsAnswersLoops) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("python3");
  converse("python3", kPythonGreeter);
}

TEST(LiveSession, CPromptsReadsAnswersLoops) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("c");
  converse("c", kCGreeter);
}

TEST(LiveSession, JavaPromptsReadsAnswersLoops) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("java");
  converse("java", kJavaGreeter);
}

TEST(LiveSession, CompileErrorEndsWithItsResult) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("c");
  Client c;
  ASSERT_TRUE(c.connect(server().port()));
  c.send({{"language", "c"}, {"source", "int main(void) { return x; }\n"}});
  auto end = c.awaitEnd();
  ASSERT_TRUE(end) << c.dump();
  ASSERT_EQ((*end)["type"], "result") << c.dump();
  EXPECT_EQ((*end)["result"]["status"], "compile_error");
  EXPECT_NE((*end)["result"]["stderr"].get<std::string>().find("x"), std::string::npos);
  EXPECT_EQ(c.transcript.front(), json({{"type", "stage"}, {"stage", "compile"}}));
}

TEST(LiveSession, StdinInTheFirstMessageAndStderrStream) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("python3");
  Client c;
  ASSERT_TRUE(c.connect(server().port()));
  c.send({{"language", "python3"},
          {"source",
           "import sys\nline = input()\nsys.stderr.write('err:' + line + '\\n')\n"
           "print('ü€😀' * 3000)\n"},
          {"stdin", "first\n"}});
  auto end = c.awaitEnd();
  ASSERT_TRUE(end) << c.dump();
  ASSERT_EQ((*end)["type"], "result") << c.dump();
  EXPECT_EQ(c.output["stderr"], "err:first\n");
  // Multi-byte characters arrive whole however the pipe cut them.
  std::string expected;
  for (int i = 0; i < 3000; ++i) expected += "ü€😀";
  EXPECT_EQ(c.output["stdout"], expected + "\n");
}

TEST(LiveSession, KillEndsTheRunWithStatusKilled) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("python3");
  Client c;
  ASSERT_TRUE(c.connect(server().port()));
  c.send({{"language", "python3"},
          {"source", "import time\nprint('started', flush=True)\nwhile True: time.sleep(0.1)\n"}});
  ASSERT_TRUE(c.awaitStdout("started\n")) << c.dump();
  const auto t0 = std::chrono::steady_clock::now();
  c.send({{"type", "kill"}});
  auto end = c.awaitEnd(20s);
  ASSERT_TRUE(end) << c.dump();
  ASSERT_EQ((*end)["type"], "result") << c.dump();
  EXPECT_EQ((*end)["result"]["status"], "killed") << end->dump();
  EXPECT_EQ((*end)["result"]["signal"], 9) << end->dump();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_TRUE(slotsIdle());
}

TEST(LiveSession, IdleSessionEndsAndFreesItsSlot) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("python3");
  Client c;
  ASSERT_TRUE(c.connect(server().port()));
  c.send({{"language", "python3"}, {"source", kPythonGreeter}});
  ASSERT_TRUE(c.awaitStdout("name? ")) << c.dump();
  const auto t0 = std::chrono::steady_clock::now();
  auto end = c.awaitEnd(20s);  // the server's idle time is 4 s
  ASSERT_TRUE(end) << c.dump();
  EXPECT_EQ((*end)["type"], "error");
  EXPECT_EQ((*end)["code"], "idle") << end->dump();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_FALSE(c.read(5s));
  EXPECT_EQ(c.close_code, websocket::close_code::policy_error);
  EXPECT_TRUE(slotsIdle());
  EXPECT_TRUE(slotProcesses().empty());
}

TEST(LiveSession, TwentyAtOnceWithTwoSlotsTheRestRefusedCleanly) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("python3");
  ASSERT_TRUE(slotsIdle());
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::future<bool>> connected;
  for (int i = 0; i < 20; ++i) clients.push_back(std::make_unique<Client>());
  for (auto& c : clients)
    connected.push_back(
        std::async(std::launch::async, [&c] { return c->connect(server().port()); }));
  std::vector<Client*> in;
  int refused = 0;
  for (size_t i = 0; i < clients.size(); ++i) {
    if (connected[i].get()) {
      in.push_back(clients[i].get());
    } else {
      EXPECT_EQ(clients[i]->refused, 503) << clients[i]->refusal_body;
      json body = json::parse(clients[i]->refusal_body, nullptr, false);
      EXPECT_EQ(body["code"], "busy") << clients[i]->refusal_body;
      ++refused;
    }
  }
  // The cap is one live session per slot.
  ASSERT_EQ(in.size(), kSlots);
  EXPECT_EQ(refused, 20 - static_cast<int>(kSlots));
  std::vector<std::future<std::string>> outputs;
  for (Client* c : in)
    outputs.push_back(std::async(std::launch::async, [c] {
      c->send({{"language", "python3"}, {"source", kPythonGreeter}});
      if (!c->awaitStdout("name? ")) return std::string("no prompt: ") + c->dump();
      c->stdin("Eve\n");
      c->send({{"type", "eof"}});
      auto end = c->awaitEnd();
      return end && (*end)["type"] == "result" ? c->output["stdout"] : "no result: " + c->dump();
    }));
  for (auto& o : outputs) EXPECT_EQ(o.get(), "name? hello, Eve\nname? bye\n");
  // Their places are free again.
  clients.clear();
  Client again;
  bool ok = false;
  for (int i = 0; i < 50 && !ok; ++i) {
    ok = again.connect(server().port());
    if (!ok) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(ok) << "no session could be opened after the others ended";
}

long rssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

TEST(LiveSession, ClientThatNeverReadsPausesTheProgram) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("python3");
  ASSERT_TRUE(slotsIdle());
  const long rss0 = rssKb(server().pid());
  Client c;
  // A small receive buffer: the loopback's autotuned buffers would otherwise take
  // megabytes before anything blocks.
  ASSERT_TRUE(c.connect(server().port(), 64 * 1024));
  // 64 MiB if nothing held it back; the output limit (16 MiB, the maximum) would end it
  // within a second.
  c.send(
      {{"language", "python3"},
       {"source", "import sys\nfor i in range(65536):\n    sys.stdout.write('x' * 1023 + '\\n')\n"},
       {"limits", {{"output_kb", 16384}}}});
  // Not reading: the pipes, the server's one chunk and the socket buffers fill, then the
  // program blocks in write(2) on its stdout.
  bool blocked = false;
  for (int i = 0; i < 60 && !blocked; ++i) {
    std::this_thread::sleep_for(50ms);
    for (pid_t pid : slotProcesses()) {
      std::ifstream sc("/proc/" + std::to_string(pid) + "/syscall");
      std::string nr, fd;
      if (sc >> nr >> fd && nr == "1" && fd == "0x1") blocked = true;
    }
  }
  EXPECT_TRUE(blocked) << "the program never blocked writing its stdout";
  std::this_thread::sleep_for(500ms);  // still well within the idle time (4 s)
  const long rss1 = rssKb(server().pid());
  EXPECT_LT(rss1 - rss0, 32 * 1024)
      << "the server's memory grew from " << rss0 << " to " << rss1 << " KiB";
  // Reading now, everything arrives and the run ends well (under the idle time: writes
  // reach the client again).
  auto end = c.awaitEnd(120s);
  ASSERT_TRUE(end) << "no result; " << c.transcript.size() << " messages, close code "
                   << static_cast<int>(c.close_code) << (c.timed_out ? ", timed out" : "");
  ASSERT_EQ((*end)["type"], "result") << end->dump();
  EXPECT_EQ((*end)["result"]["status"], "output_limit") << (*end)["result"]["error"];
  // What the limit let through reached the client whole.
  EXPECT_EQ(c.output["stdout"].size(), 16384u * 1024);
}

TEST(LiveSession, ClientThatNeverReadsAtAllEndsAtTheIdleTime) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("python3");
  ASSERT_TRUE(slotsIdle());
  Client c;
  ASSERT_TRUE(c.connect(server().port()));
  c.send({{"language", "python3"},
          {"source", "while True: print('x' * 4095)\n"},
          {"limits", {{"output_kb", 16384}}}});
  const auto t0 = std::chrono::steady_clock::now();
  // Never reads: the session ends by the idle time, its slot is free and clean.
  std::this_thread::sleep_for(2s);
  EXPECT_FALSE(slotProcesses().empty()) << "the program ended before the idle time";
  EXPECT_TRUE(slotsIdle(20s));
  EXPECT_TRUE(slotProcesses().empty());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
}

TEST(LiveSession, DisconnectMidRunFreesTheSlotAtOnce) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("python3");
  ASSERT_TRUE(slotsIdle());
  Client c;
  ASSERT_TRUE(c.connect(server().port()));
  c.send({{"language", "python3"},
          {"source",
           "import time, os\nopen('/tmp/left', 'w').write('x')\n"
           "print('started', flush=True)\ntime.sleep(60)\n"}});
  ASSERT_TRUE(c.awaitStdout("started\n")) << c.dump();
  ASSERT_FALSE(slotProcesses().empty());
  const auto t0 = std::chrono::steady_clock::now();
  c.drop();
  EXPECT_TRUE(slotsIdle(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s) << "the slot was not freed at once";
  EXPECT_TRUE(slotProcesses().empty());
  // The next job in that slot finds /tmp empty.
  auto a = httpCall(
      server().port(), "POST", "/api/v1/run",
      json{{"language", "python3"}, {"source", "import os\nprint(os.path.exists('/tmp/left'))\n"}}
          .dump());
  EXPECT_EQ(a.body["stdout"], "False\n") << a.raw;
  auto b = httpCall(
      server().port(), "POST", "/api/v1/run",
      json{{"language", "python3"}, {"source", "import os\nprint(os.path.exists('/tmp/left'))\n"}}
          .dump());
  EXPECT_EQ(b.body["stdout"], "False\n") << b.raw;
}

TEST(LiveSession, BadMessagesGetAnErrorAndACloseCode) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("python3");
  {
    Client c;  // a first message that is not a run request
    ASSERT_TRUE(c.connect(server().port()));
    c.sendText("{not json");
    auto m = c.read();
    ASSERT_TRUE(m);
    EXPECT_EQ((*m)["type"], "error");
    EXPECT_EQ((*m)["code"], "bad_request") << m->dump();
    EXPECT_FALSE(c.read(5s));
    EXPECT_EQ(c.close_code, websocket::close_code::policy_error);
  }
  {
    Client c;  // an unknown language
    ASSERT_TRUE(c.connect(server().port()));
    c.send({{"language", "intercal"}, {"source", "x"}});
    auto m = c.read();
    ASSERT_TRUE(m);
    EXPECT_EQ((*m)["type"], "error") << m->dump();
    EXPECT_FALSE(c.read(5s));
  }
  for (const json& bad :
       {json{{"type", "shout"}}, json{{"type", "data"}, {"stream", "stdout"}, {"data", "x"}},
        json{{"type", "data"}, {"stream", "stdin"}, {"data", 5}}, json::array()}) {
    Client c;  // a bad message during the run: the run stops, the slot is freed
    ASSERT_TRUE(c.connect(server().port()));
    c.send({{"language", "python3"}, {"source", kPythonGreeter}});
    ASSERT_TRUE(c.awaitStdout("name? ")) << c.dump();
    c.send(bad);
    auto m = c.awaitEnd(10s);
    ASSERT_TRUE(m) << c.dump();
    EXPECT_EQ((*m)["type"], "error") << bad.dump();
    EXPECT_EQ((*m)["code"], "bad_message") << m->dump();
    EXPECT_FALSE(c.read(5s));
    EXPECT_EQ(c.close_code, websocket::close_code::policy_error);
  }
  {
    Client c;  // binary frames
    ASSERT_TRUE(c.connect(server().port()));
    c.sendBinary(std::string("\x00\x01", 2));
    auto m = c.read();
    ASSERT_TRUE(m);
    EXPECT_EQ((*m)["code"], "bad_message");
  }
  {
    Client c;  // a message over 1 MiB
    ASSERT_TRUE(c.connect(server().port()));
    c.sendText(std::string(2 << 20, ' '));
    // The server stops reading at the limit and closes with 1009; the rest of the message,
    // unread, may turn the close into a reset on the client's side.
    auto m = c.read(10s);
    if (m) {
      EXPECT_EQ((*m)["code"], "too_large");
      EXPECT_FALSE(c.read(5s));
    }
    EXPECT_FALSE(c.timed_out);
    EXPECT_TRUE(c.close_code == websocket::close_code::too_big ||
                c.close_code == websocket::close_code::none);
  }
  EXPECT_TRUE(slotsIdle());
  // Plain GET without the upgrade: 426 and how to connect.
  auto a = httpCall(server().port(), "GET", "/api/v1/sessions");
  EXPECT_EQ(a.status, 426);
  EXPECT_EQ(a.body["code"], "upgrade_required");
  // The server is still well.
  EXPECT_EQ(healthOf()["slots"]["broken"], 0);
}

// Piston's WebSocket (api/v2 "connect"), as its source defines it: "init" with the JSON of
// its execute, "runtime", "stage", "data" and an "exit" per stage, close 4999 "Job
// Completed"; "signal" ends the run; its own close codes for a misuse.
int pistonCode(const Client& c) {
  return static_cast<int>(c.close_code);
}

json pistonInit(const std::string& language, const std::string& source) {
  return {{"type", "init"},
          {"language", language},
          {"version", "*"},
          {"files", json::array({{{"content", source}}})}};
}

TEST(PistonConnect, APythonConversation) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("python3");
  for (const char* path : {"/api/v2/connect", "/api/v2/piston/connect"}) {
    Client c;
    ASSERT_TRUE(c.connect(server().port(), 0, path)) << c.refused << " " << c.refusal_body;
    c.send(pistonInit("python3", kPythonGreeter));
    auto runtime = c.read();
    ASSERT_TRUE(runtime);
    EXPECT_EQ((*runtime)["type"], "runtime");
    EXPECT_EQ((*runtime)["language"], "python3");
    EXPECT_TRUE((*runtime)["version"].is_string());
    ASSERT_TRUE(c.awaitStdout("name? ")) << c.dump();
    c.stdin("Ada\n");
    ASSERT_TRUE(c.awaitStdout("hello, Ada\n")) << c.dump();
    c.send({{"type", "unknown-is-ignored"}});
    c.send({{"type", "signal"}, {"signal", "SIGTERM"}});
    auto exit = c.readUntil([](const json& m) { return m["type"] == "exit"; }, 20s);
    ASSERT_TRUE(exit) << c.dump();
    EXPECT_EQ((*exit)["stage"], "run");
    EXPECT_TRUE((*exit)["code"].is_null());
    EXPECT_EQ((*exit)["signal"], "SIGKILL");
    EXPECT_FALSE(c.read(5s));
    EXPECT_EQ(pistonCode(c), 4999);
    EXPECT_EQ(c.close_text, "Job Completed");
    EXPECT_EQ(c.transcript.at(0), json({{"type", "stage"}, {"stage", "run"}})) << c.dump();
  }
}

TEST(PistonConnect, ACompiledLanguageStreamsItsCompileStage) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("c");
  {
    Client c;
    ASSERT_TRUE(c.connect(server().port(), 0, "/api/v2/connect"));
    c.send(pistonInit("c", "int main(void) { return y; }\n"));
    ASSERT_TRUE(c.read());  // runtime
    auto exit = c.readUntil([](const json& m) { return m["type"] == "exit"; }, 60s);
    ASSERT_TRUE(exit) << c.dump();
    EXPECT_EQ((*exit)["stage"], "compile");
    EXPECT_EQ((*exit)["code"], 1);
    EXPECT_NE(c.output["stderr"].find("y"), std::string::npos) << c.dump();
    EXPECT_EQ(c.transcript.at(0)["stage"], "compile");
    EXPECT_FALSE(c.read(5s)) << "no run stage after a failed compile";
    EXPECT_EQ(pistonCode(c), 4999);
  }
  // Twice the same program: the second compile comes from the cache and is reported the same.
  for (int i = 0; i < 2; ++i) {
    Client c;
    ASSERT_TRUE(c.connect(server().port(), 0, "/api/v2/connect"));
    c.send(pistonInit("c", std::string(kCGreeter)));
    ASSERT_TRUE(c.read());  // runtime
    ASSERT_TRUE(c.awaitStdout("name? ")) << c.dump();
    c.stdin("Cy\n");
    ASSERT_TRUE(c.awaitStdout("hello, Cy\n")) << c.dump();
    c.send({{"type", "signal"}, {"signal", "SIGKILL"}});
    ASSERT_TRUE(c.readUntil([](const json& m) {
      return m["type"] == "exit" && m["stage"] == "run";
    })) << c.dump();
    std::vector<std::string> kinds;
    for (const auto& m : c.transcript)
      if (m["type"] != "data")
        kinds.push_back(m["type"].get<std::string>() + ":" + m["stage"].get<std::string>());
    EXPECT_EQ(kinds,
              (std::vector<std::string>{"stage:compile", "exit:compile", "stage:run", "exit:run"}))
        << c.dump();
    EXPECT_FALSE(c.read(5s));
    EXPECT_EQ(pistonCode(c), 4999);
  }
}

TEST(PistonConnect, MisusesCloseWithPistonsCodes) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  REQUIRE_LANGUAGE("python3");
  const auto expectClose = [](Client& c, int code, const std::string& text) {
    while (c.read(10s)) {
    }
    EXPECT_FALSE(c.timed_out);
    EXPECT_EQ(pistonCode(c), code) << text;
    EXPECT_EQ(c.close_text, text);
  };
  {
    Client c;  // nothing sent within a second
    ASSERT_TRUE(c.connect(server().port(), 0, "/api/v2/connect"));
    expectClose(c, 4001, "Initialization Timeout");
  }
  {
    Client c;
    ASSERT_TRUE(c.connect(server().port(), 0, "/api/v2/connect"));
    c.send({{"type", "data"}, {"stream", "stdin"}, {"data", "x"}});
    expectClose(c, 4003, "Not yet initialized");
  }
  {
    Client c;  // an unknown runtime: Piston's error message, then 4002
    ASSERT_TRUE(c.connect(server().port(), 0, "/api/v2/connect"));
    c.send(pistonInit("intercal", "x"));
    auto m = c.read();
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, json({{"type", "error"}, {"message", "intercal-* runtime is unknown"}}));
    expectClose(c, 4002, "Notified Error");
  }
  for (const auto& [message, code, text] : std::vector<std::tuple<json, int, std::string>>{
           {pistonInit("python3", "x"), 4000, "Already Initialized"},
           {json{{"type", "data"}, {"stream", "stdout"}, {"data", "x"}}, 4004,
            "Can only write to stdin"},
           {json{{"type", "signal"}, {"signal", "SIGWHATEVER"}}, 4005, "Invalid signal"}}) {
    Client c;
    ASSERT_TRUE(c.connect(server().port(), 0, "/api/v2/connect"));
    c.send(pistonInit("python3", kPythonGreeter));
    ASSERT_TRUE(c.awaitStdout("name? ")) << c.dump();
    c.send(message);
    expectClose(c, code, text);
  }
  EXPECT_TRUE(slotsIdle());
  EXPECT_EQ(httpCall(server().port(), "GET", "/api/v2/connect").status, 426);
}

TEST(LiveSession, LogAndMetricsCountSessions) {
  CODECANVAS_REQUIRE_ROOT();
  ASSERT_GT(server().port(), 0) << server().log();
  auto m = httpCall(server().port(), "GET", "/metrics");
  EXPECT_NE(m.raw.find("route=\"/api/v1/sessions\",code=\"101\""), std::string::npos) << m.raw;
  EXPECT_NE(server().log().find("\"route\":\"/api/v1/sessions\""), std::string::npos);
}

}  // namespace
