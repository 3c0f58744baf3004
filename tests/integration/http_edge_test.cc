// The HTTP front's edges, end to end over raw sockets against a real codecanvas-server:
// what a client that does not play by the rules gets (a huge header block, a body beyond
// the limit in any transfer encoding, a compressed body, a body sent without a key, a
// cross-site request, a foreign Host), a client that goes away while its job runs, and
// keep-alive and pipelining. Slot uids from 62000 on.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "http_client.h"
#include "server_process.h"
#include "test_support.h"

namespace codecanvas {
namespace {

using nlohmann::json;
using testing::ServerProcess;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kMaxBodyKb = 1024;

// One server for most of these tests: 1 MiB bodies, one extra origin and host name.
std::unique_ptr<ServerProcess>& edgeServerSlot() {
  static std::unique_ptr<ServerProcess> server;
  return server;
}

ServerProcess* edgeServer() {
  auto& s = edgeServerSlot();
  if (!s && ::geteuid() == 0)
    s = std::make_unique<ServerProcess>(
        SERVER_PATH,
        std::vector<std::string>{"--slots", "1", "--queue", "4", "--uid-base", "62000",
                                 "--max-body-kb", std::to_string(kMaxBodyKb), "--allow-origin",
                                 "https://judge.example.org", "--allow-host", "judge.example.org"});
  return s.get();
}

class StopEdgeServer : public ::testing::Environment {
 public:
  void TearDown() override {
    if (auto& s = edgeServerSlot()) {
      EXPECT_EQ(s->terminate(), 0) << s->log();
      s.reset();
    }
  }
};
const auto* const kStop = ::testing::AddGlobalTestEnvironment(new StopEdgeServer);

// --- a client on a raw socket ---------------------------------------------------------------

struct RawAnswer {
  int status = 0;  // 0: the connection closed (or timed out) before a whole answer
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  json j;  // the body as JSON (discarded when it is not)
  // A string field of the JSON body ("" when there is none).
  std::string field(const std::string& key) const {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
  }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawClient() { close(); }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // All of `data`, unless the server closes first; false then.
  bool send(const std::string& data) {
    for (size_t at = 0; at < data.size();) {
      const ssize_t n = ::send(fd_, data.data() + at, data.size() - at, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      at += static_cast<size_t>(n);
    }
    return true;
  }

  // True when an answer (or the end of the connection) can be read now.
  bool readable(int timeout_ms = 0) {
    if (!buffer_.empty()) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) > 0;
  }

  // The next answer, within `timeout`; bytes after it stay for the next call.
  RawAnswer read(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = Clock::now() + timeout;
    RawAnswer a;
    size_t end = std::string::npos;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(deadline)) return a;
    const std::string head = buffer_.substr(0, end);
    std::smatch m;
    if (!std::regex_search(head, m, std::regex(R"(^HTTP/1\.[01] ([0-9]{3}))"))) return a;
    size_t line = head.find("\r\n");
    while (line != std::string::npos && line < head.size()) {
      const size_t next = head.find("\r\n", line + 2);
      const std::string field = head.substr(line + 2, next - line - 2);
      const size_t colon = field.find(':');
      if (colon != std::string::npos) {
        std::string name = field.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        a.headers[name] = field.substr(field.find_first_not_of(' ', colon + 1));
      }
      line = next;
    }
    const size_t length =
        a.headers.count("content-length") ? std::stoul(a.headers["content-length"]) : 0;
    while (buffer_.size() < end + 4 + length)
      if (!fill(deadline)) return a;
    a.status = std::stoi(m[1]);
    a.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    a.j = json::parse(a.body, nullptr, false);
    return a;
  }

  // True when the server closes the connection (end of file or reset) within `timeout`,
  // with nothing more to read before that.
  bool closedByServer(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = Clock::now() + timeout;
    const size_t before = buffer_.size();
    while (fill(deadline)) {
    }
    return eof_ && buffer_.size() == before;
  }

 private:
  bool fill(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

std::string request(const std::string& method, const std::string& path, int port,
                    const std::string& body = "", const std::string& extra_headers = "") {
  std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                  "\r\n" + extra_headers;
  if (!body.empty() || method == "POST")
    r += "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

uint64_t statusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  return 0;
}

class HttpEdgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    server_ = edgeServer();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(server_->port(), 0) << "the server did not start:\n" << server_->log();
    port_ = server_->port();
  }
  void expectHealthy() {
    const auto h = testing::httpCall(port_, "GET", "/health");
    EXPECT_EQ(h.status, 200) << h.raw;
  }
  ServerProcess* server_ = nullptr;
  int port_ = 0;
};

// --- 1. the header block -----------------------------------------------------------------

TEST_F(HttpEdgeTest, AHeaderBlockOver16KiBGets431AndTheConnectionCloses) {
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  // Sent from a thread: the server answers long before the megabyte is through.
  const std::string huge =
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: " + std::string(1 << 20, 'a') +
      "\r\n\r\n";
  std::thread sender([&c, &huge] { c.send(huge); });
  const RawAnswer a = c.read();
  sender.join();
  EXPECT_EQ(a.status, 431) << a.body;
  EXPECT_EQ(a.field("code"), "too_large") << a.body;
  EXPECT_EQ(a.header("connection"), "close");
  EXPECT_TRUE(c.closedByServer());
  expectHealthy();
}

// --- 2. the body limit, in every transfer encoding ----------------------------------------

TEST_F(HttpEdgeTest, AChunkedBodyOverTheLimitGets413BeforeItIsSentAndIsNeverBuffered) {
  const uint64_t hwm_before = statusKb(server_->pid(), "VmHWM");
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(
      c.send("POST /api/v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
             "application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
  constexpr uint64_t kTotal = 64ULL << 20;
  const std::string chunk = "10000\r\n" + std::string(0x10000, ' ') + "\r\n";  // 64 KiB
  uint64_t sent = 0;
  while (sent < kTotal && !c.readable()) {
    if (!c.send(chunk)) break;
    sent += 0x10000;
  }
  const RawAnswer a = c.read();
  EXPECT_EQ(a.status, 413) << a.body;
  EXPECT_EQ(a.field("code"), "too_large") << a.body;
  EXPECT_LT(sent, kTotal / 4) << "the answer came only after " << sent << " bytes";
  c.close();
  const uint64_t hwm_after = statusKb(server_->pid(), "VmHWM");
  std::printf("413 after %llu KiB of a 64 MiB chunked body; server VmHWM %llu -> %llu KiB\n",
              static_cast<unsigned long long>(sent >> 10),
              static_cast<unsigned long long>(hwm_before),
              static_cast<unsigned long long>(hwm_after));
  EXPECT_LT(hwm_after, hwm_before + 8 * 1024) << "the server's peak RSS grew by more than 8 MiB";
  expectHealthy();
}

TEST_F(HttpEdgeTest, AContentLengthOverTheLimitGets413WithoutSendingTheBody) {
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("POST /api/v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                     std::to_string(kMaxBodyKb * 1024 + 1) + "\r\n\r\n"));
  const RawAnswer a = c.read(std::chrono::seconds(5));
  EXPECT_EQ(a.status, 413) << a.body;
  EXPECT_EQ(a.field("code"), "too_large") << a.body;
  EXPECT_TRUE(c.closedByServer());
  // Exactly at the limit is fine (and then a bad request: spaces are no JSON).
  RawClient d(port_);
  ASSERT_TRUE(d.send(request("POST", "/api/v1/run", port_, std::string(kMaxBodyKb * 1024, ' '))));
  EXPECT_EQ(d.read().status, 400);
}

TEST_F(HttpEdgeTest, ACompressedBodyIsRefusedNotInflated) {
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(
      request("POST", "/api/v1/run", port_, std::string(64, 'x'), "Content-Encoding: gzip\r\n")));
  const RawAnswer a = c.read();
  EXPECT_EQ(a.status, 415) << a.body;
  EXPECT_EQ(a.field("code"), "unsupported_encoding") << a.body;
  EXPECT_TRUE(c.closedByServer());
}

// --- 4. cross-site requests and DNS rebinding ---------------------------------------------

TEST_F(HttpEdgeTest, APageOfAnotherSiteCannotRunCode) {
  const std::string run = R"({"language":"bash","source":"echo ran"})";
  const std::string port = std::to_string(port_);
  struct Case {
    std::string headers;  // besides Content-Type: text/plain, as a browser's "simple" POST
    int status;
  } cases[] = {
      {"Origin: https://evil.example\r\n", 403},
      {"Origin: null\r\n", 403},
      {"Origin: http://127.0.0.1:" + port + ".evil.example\r\n", 403},
      {"Origin: http://127.0.0.1:" + port + "\r\n", 200},  // the server's own page
      {"Origin: https://judge.example.org\r\n", 200},      // --allow-origin
      {"", 200},                                           // no Origin: not a browser
  };
  for (const auto& c : cases) {
    RawClient client(port_);
    ASSERT_TRUE(client.send(request("POST", "/api/v1/run", port_, run, c.headers)));
    const RawAnswer a = client.read();
    EXPECT_EQ(a.status, c.status) << c.headers << a.body;
    if (c.status == 403) {
      EXPECT_EQ(a.field("code"), "forbidden") << a.body;
    } else {
      EXPECT_EQ(a.field("stdout"), "ran\n") << a.body;
    }
  }
}

TEST_F(HttpEdgeTest, ALoopbackServerAnswersOnlyToLoopbackNames) {
  const std::string port = std::to_string(port_);
  for (const auto& [host, status] :
       std::vector<std::pair<std::string, int>>{{"evil.example:" + port, 403},
                                                {"127.0.0.1.evil.example", 403},
                                                {"localhost:" + port, 200},
                                                {"127.0.0.2", 200},
                                                {"[::1]:" + port, 200},
                                                {"judge.example.org", 200}}) {  // --allow-host
    RawClient c(port_);
    ASSERT_TRUE(c.send("GET /api/v1/languages HTTP/1.1\r\nHost: " + host + "\r\n\r\n"));
    const RawAnswer a = c.read();
    EXPECT_EQ(a.status, status) << host << ": " << a.body;
    if (status == 403) {
      EXPECT_EQ(a.field("code"), "forbidden");
    }
  }
}

// --- 5. a client that goes away ----------------------------------------------------------

double metric(const std::string& page, const std::string& name) {
  std::smatch m;
  return std::regex_search(page, m, std::regex("(^|\\n)" + name + " ([0-9.e+-]+)"))
             ? std::stod(m[2])
             : -1;
}

TEST_F(HttpEdgeTest, AClientThatHangsUpCancelsItsJob) {
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  const json run = {{"language", "python3"},
                    {"source", "import time\ntime.sleep(30)"},
                    {"limits", {{"wall_ms", 60000}}}};
  ASSERT_TRUE(c.send(request("POST", "/api/v1/run", port_, run.dump())));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  c.close();
  const auto closed_at = Clock::now();
  json h;
  while (Clock::now() - closed_at < std::chrono::seconds(10)) {
    h = json::parse(testing::httpCall(port_, "GET", "/health").raw, nullptr, false);
    if (h.is_object() && h["slots"]["busy"] == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - closed_at).count();
  std::printf("the slot was free %.2f s after the client hung up\n", seconds);
  EXPECT_EQ(h["slots"]["busy"], 0) << h.dump();
  EXPECT_LT(seconds, 5.0);
  const std::string log = server_->log();
  EXPECT_NE(log.find(R"("route":"/api/v1/run","status":499)"), std::string::npos) << log;
  EXPECT_EQ(
      metric(testing::httpCall(port_, "GET", "/metrics").raw, "codecanvas_slot_rebuilds_total"), 0);
  // The slot runs the next job.
  const auto a = testing::httpCall(port_, "POST", "/api/v1/run",
                                   json{{"language", "bash"}, {"source", "echo next"}}.dump());
  EXPECT_EQ(a.body.value("stdout", ""), "next\n") << a.raw;
}

// --- 6. keep-alive and pipelining ------------------------------------------------------------

TEST_F(HttpEdgeTest, RequestsOnOneConnectionAreAnsweredInOrder) {
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  // One after the other.
  ASSERT_TRUE(c.send(request("GET", "/health", port_)));
  RawAnswer first = c.read();
  ASSERT_TRUE(c.send(request("GET", "/api/v1/languages", port_)));
  RawAnswer second = c.read();
  EXPECT_EQ(first.status, 200);
  EXPECT_TRUE(first.j.contains("slots")) << first.body;
  EXPECT_EQ(second.status, 200);
  EXPECT_TRUE(second.j.contains("languages")) << second.body;
  // Pipelined in one write: a job that takes a while, then a quick one. The second waits
  // for the first, and its early bytes do not count as the client going away.
  const std::string slow = json{{"language", "bash"}, {"source", "sleep 0.5; echo first"}}.dump();
  ASSERT_TRUE(
      c.send(request("POST", "/api/v1/run", port_, slow) + request("GET", "/health", port_)));
  RawAnswer run = c.read();
  RawAnswer health = c.read();
  EXPECT_EQ(run.status, 200) << run.body;
  EXPECT_EQ(run.field("stdout"), "first\n") << run.body;
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_TRUE(health.j.contains("slots")) << health.body;
  // And the connection is still open for more.
  ASSERT_TRUE(c.send(request("GET", "/health", port_)));
  EXPECT_EQ(c.read().status, 200);
}

TEST_F(HttpEdgeTest, AConnectionServesAThousandRequestsThenCloses) {
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  std::string batch;
  for (int i = 0; i < 100; ++i) batch += request("GET", "/api/v1/languages", port_);
  for (int round = 0; round < 10; ++round) {
    ASSERT_TRUE(c.send(batch)) << "round " << round;
    for (int i = 0; i < 100; ++i) {
      const RawAnswer a = c.read();
      ASSERT_EQ(a.status, 200) << "request " << round * 100 + i;
      const bool last = round == 9 && i == 99;
      EXPECT_EQ(a.header("connection") == "close", last) << "request " << round * 100 + i;
    }
  }
  EXPECT_TRUE(c.closedByServer());
}

// --- 3. the key is checked before the body is read -----------------------------------------

TEST(HttpEdgeKeyTest, ABodyWithoutAKeyIsRefusedBeforeItIsSent) {
  CODECANVAS_REQUIRE_ROOT();
  const std::string key = "edge-key-0123456789abcdef";
  const std::filesystem::path config = std::filesystem::temp_directory_path() /
                                       ("codecanvas-edge-" + std::to_string(::getpid()) + ".json");
  std::ofstream(config) << json{{"api_keys", {{{"name", "edge"}, {"key", key}}}}}.dump();
  ServerProcess server(SERVER_PATH,
                       {"--slots", "1", "--uid-base", "62010", "--config", config.string()});
  std::filesystem::remove(config);
  ASSERT_GT(server.port(), 0) << server.log();
  const int port = server.port();

  // 100 MiB announced, only the headers sent: the 401 comes at once.
  RawClient c(port);
  ASSERT_TRUE(
      c.send("POST /api/v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
             "text/plain\r\nContent-Length: 104857600\r\n\r\n"));
  const auto t0 = Clock::now();
  const RawAnswer a = c.read(std::chrono::seconds(5));
  EXPECT_EQ(a.status, 401) << a.body;
  EXPECT_EQ(a.field("code"), "unauthorized") << a.body;
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(a.header("connection"), "close");
  EXPECT_TRUE(c.closedByServer());

  // The body a refused request did send is never read as a request of its own (a
  // desync): one answer, then the end of the connection.
  RawClient smuggler(port);
  const std::string inner = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_TRUE(smuggler.send("POST /api/v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                            std::to_string(inner.size()) + "\r\n\r\n" + inner));
  EXPECT_EQ(smuggler.read().status, 401);
  EXPECT_TRUE(smuggler.closedByServer()) << "the refused request's body was answered";

  // A wrong key alike; the right one gets to send its body.
  RawClient wrong(port);
  ASSERT_TRUE(
      wrong.send("POST /api/v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: "
                 "wrong-key-0123456789abcdef\r\nContent-Length: 104857600\r\n\r\n"));
  EXPECT_EQ(wrong.read(std::chrono::seconds(5)).status, 401);
  RawClient right(port);
  ASSERT_TRUE(right.send(request("POST", "/api/v1/run", port,
                                 json{{"language", "bash"}, {"source", "echo keyed"}}.dump(),
                                 "Authorization: Bearer " + key + "\r\n")));
  const RawAnswer ok = right.read();
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.field("stdout"), "keyed\n") << ok.body;
  // The rate is charged once per request: the key's request count says 1.
  const auto m = testing::httpCall(port, "GET", "/metrics", "", key);
  EXPECT_NE(m.raw.find(R"(codecanvas_api_key_requests_total{key="edge",code="200"} 1)"),
            std::string::npos)
      << m.raw;
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

}  // namespace
}  // namespace codecanvas
