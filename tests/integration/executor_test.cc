// The code-executor adapter end to end against a real server: uploaded files in /box,
// the files a program leaves in /box/outputs/ fetched at their signed URLs, and programs
// that try to make the server read what it must not (links to the host's files, a FIFO,
// a directory swapped for a link, more and larger files than the caps). Slot uids from
// 63000 on.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "http_client.h"
#include "server_process.h"
#include "test_support.h"

namespace codecanvas::testing {
namespace {

using nlohmann::json;

std::unique_ptr<ServerProcess>& executorServerSlot() {
  static std::unique_ptr<ServerProcess> server;
  return server;
}

// 4 artifacts of 64 KiB in all per run, kept 10 minutes.
ServerProcess* executorServer() {
  auto& s = executorServerSlot();
  if (!s && ::geteuid() == 0)
    s = std::make_unique<ServerProcess>(
        SERVER_PATH,
        std::vector<std::string>{"--slots", "2", "--uid-base", "63000", "--max-artifacts", "4",
                                 "--max-artifact-kb", "64", "--file-retention-s", "600"});
  return s.get();
}

class ExecutorE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    CODECANVAS_REQUIRE_ROOT();
    server_ = executorServer();
    ASSERT_NE(server_->port(), 0) << server_->log();
  }
  static void TearDownTestSuite() {
    if (auto& s = executorServerSlot()) {
      EXPECT_EQ(s->terminate(), 0) << s->log();
      const std::string dir = "/var/tmp/codecanvas-store-" + std::to_string(s->pid());
      EXPECT_NE(::access(dir.c_str(), F_OK), 0) << dir << " outlived its server";
      s.reset();
    }
  }

  int port() const { return server_->port(); }

  std::string uploadRaw(const std::string& name, const std::string& bytes) {
    httplib::Client cli("127.0.0.1", port());
    auto res = cli.Post(("/v1/files?name=" + name).c_str(), bytes, "application/octet-stream");
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, 201) << res->body;
    return json::parse(res->body, nullptr, false).value("id", "");
  }

  json run(const json& request) {
    HttpAnswer a = httpCall(port(), "POST", "/v1/runs", request.dump());
    EXPECT_EQ(a.status, 200) << a.raw;
    return a.body;
  }

  // GET of an artifact's absolute URL: status and bytes.
  std::pair<int, std::string> fetch(const std::string& url) {
    const std::string base = "http://127.0.0.1:" + std::to_string(port());
    EXPECT_EQ(url.rfind(base, 0), 0u) << url;
    httplib::Client cli("127.0.0.1", port());
    auto res = cli.Get(url.substr(base.size()).c_str());
    if (!res) return {0, ""};
    return {res->status, res->body};
  }

  ServerProcess* server_ = nullptr;
};

TEST_F(ExecutorE2E, UploadedFilesAreInBoxAndOutputsComeBackByteForByte) {
  const std::string numbers = uploadRaw("numbers.txt", "1 2 3 4 5\n");
  json f =
      httpCall(port(), "POST", "/v1/files",
               json{{"name", "table.bin"}, {"content", "AAEC/w=="}, {"encoding", "base64"}}.dump())
          .body;
  ASSERT_TRUE(f.contains("id")) << f.dump();
  const std::string program = R"(import os
nums = [int(x) for x in open('numbers.txt').read().split()]
raw = open('data.bin', 'rb').read()
print(sum(nums), list(raw))
assert os.path.isdir('outputs') and os.access('outputs', os.W_OK)
open('outputs/sum.txt', 'w').write(str(sum(nums)) + '\n')
open('outputs/all-bytes.bin', 'wb').write(bytes(range(256)))
)";
  json r = run({{"language", "python3"},
                {"code", program},
                {"files", {numbers, {{"id", f["id"]}, {"name", "data.bin"}}}}});
  EXPECT_EQ(r["status"], "completed") << r.dump();
  EXPECT_EQ(r["exit_code"], 0);
  EXPECT_EQ(r["stdout"], "15 [0, 1, 2, 255]\n") << r.dump();
  ASSERT_EQ(r["artifacts"].size(), 2u) << r.dump();
  EXPECT_EQ(r["artifacts_truncated"], false);
  // In name order.
  EXPECT_EQ(r["artifacts"][0]["name"], "all-bytes.bin");
  EXPECT_EQ(r["artifacts"][0]["size"], 256);
  std::string all(256, '\0');
  for (int i = 0; i < 256; ++i) all[static_cast<size_t>(i)] = static_cast<char>(i);
  EXPECT_EQ(fetch(r["artifacts"][0]["url"]), std::make_pair(200, all));
  EXPECT_EQ(fetch(r["artifacts"][1]["url"]), std::make_pair(200, std::string("15\n")));
  // The run, again.
  HttpAnswer again = httpCall(port(), "GET", "/v1/runs/" + r["id"].get<std::string>());
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, r);
}

TEST_F(ExecutorE2E, ACompiledProgramIncludesAnUploadedHeader) {
  const std::string header = uploadRaw("answer.h", "#define ANSWER 42\n");
  json r = run({{"language", "c"},
                {"code",
                 "#include <stdio.h>\n#include \"answer.h\"\n"
                 "int main(void){FILE*f=fopen(\"outputs/a.txt\",\"w\");"
                 "fprintf(f,\"%d\",ANSWER);fclose(f);printf(\"%d\\n\",ANSWER);return 3;}"},
                {"files", {header}}});
  EXPECT_EQ(r["status"], "completed") << r.dump();
  EXPECT_EQ(r["verdict"], "runtime_error");
  EXPECT_EQ(r["exit_code"], 3);
  EXPECT_EQ(r["stdout"], "42\n");
  ASSERT_EQ(r["artifacts"].size(), 1u);
  EXPECT_EQ(fetch(r["artifacts"][0]["url"]).second, "42");
  // Without the header the compile fails, and says so.
  json ce =
      run({{"language", "c"}, {"code", "#include \"answer.h\"\nint main(void){return ANSWER;}"}});
  EXPECT_EQ(ce["status"], "failed");
  EXPECT_EQ(ce["verdict"], "compile_error");
  EXPECT_NE(ce["stderr"].get<std::string>().find("answer.h"), std::string::npos) << ce.dump();
}

TEST_F(ExecutorE2E, LinksFifosDirectoriesAndExcessAreNeverRead) {
  // Names sort: "a-big" first (over the 64 KiB cap alone), then links, a FIFO, a
  // directory, and ten small files of which the cap of 4 files keeps the first four.
  const std::string program = R"(import os
os.chdir('outputs')
open('a-big', 'wb').write(b'x' * (100 * 1024))
os.symlink('/etc/shadow', 'b-shadow')
os.symlink('/etc/passwd', 'b-passwd')
os.symlink('/etc', 'b-etc')
os.mkfifo('c-fifo')
os.mkdir('d-dir')
open('d-dir/inner', 'w').write('inner')
for i in range(10):
    open('e-%02d' % i, 'w').write('file %d' % i)
print('left', len(os.listdir('.')))
)";
  const auto t0 = std::chrono::steady_clock::now();
  json r = run({{"language", "python3"}, {"code", program}});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(20)) << "a FIFO must not block the collection";
  EXPECT_EQ(r["stdout"], "left 16\n") << r.dump();
  EXPECT_EQ(r["artifacts_truncated"], true);
  ASSERT_EQ(r["artifacts"].size(), 4u) << r.dump();
  for (size_t i = 0; i < 4; ++i) {
    const json& a = r["artifacts"][i];
    EXPECT_EQ(a["name"], "e-0" + std::to_string(i)) << a.dump();
    EXPECT_EQ(fetch(a["url"]).second, "file " + std::to_string(i));
  }
}

TEST_F(ExecutorE2E, OutputsSwappedForALinkToTheHostGiveNothing) {
  json r = run({{"language", "python3"},
                {"code",
                 "import os, shutil\nshutil.rmtree('outputs')\nos.symlink('/etc', 'outputs')\n"
                 "print(len(os.listdir('outputs/')) > 0)\n"}});
  EXPECT_EQ(r["status"], "completed") << r.dump();
  EXPECT_EQ(r["artifacts"].size(), 0u) << r.dump();
  EXPECT_EQ(r["artifacts_truncated"], false);
}

TEST_F(ExecutorE2E, SignedUrlsRefuseTamperingAndTraversal) {
  json r = run({{"language", "python3"}, {"code", "open('outputs/x.txt','w').write('mine')\n"}});
  ASSERT_EQ(r["artifacts"].size(), 1u) << r.dump();
  const std::string url = r["artifacts"][0]["url"];
  EXPECT_EQ(fetch(url).first, 200);
  std::string tampered = url;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(fetch(tampered).first, 403);
  const std::string base = "http://127.0.0.1:" + std::to_string(port());
  const std::string query = url.substr(url.find('?'));
  for (const std::string path :
       {"/v1/artifacts/..%2F..%2F..%2Fetc%2Fpasswd", "/v1/artifacts/%2Fetc%2Fpasswd",
        "/v1/artifacts/..", "/v1/artifacts/.lock"}) {
    auto [status, body] = fetch(base + path + query);
    EXPECT_TRUE(status == 403 || status == 404) << path << " -> " << status;
    EXPECT_EQ(body.find("root:"), std::string::npos) << path;
  }
}

TEST(ExecutorExpiry, ArtifactsAndRunsEndWithTheirRetention) {
  CODECANVAS_REQUIRE_ROOT();
  ServerProcess server(SERVER_PATH,
                       {"--slots", "1", "--uid-base", "63010", "--file-retention-s", "3"});
  ASSERT_NE(server.port(), 0) << server.log();
  HttpAnswer a = httpCall(
      server.port(), "POST", "/v1/runs",
      json{{"language", "python3"}, {"code", "open('outputs/x.txt','w').write('soon gone')\n"}}
          .dump());
  ASSERT_EQ(a.status, 200) << a.raw;
  ASSERT_EQ(a.body["artifacts"].size(), 1u) << a.raw;
  const std::string url = a.body["artifacts"][0]["url"];
  const int64_t expires = a.body["artifacts"][0]["expires_at"];
  const std::string path = url.substr(url.find("/v1/"));
  httplib::Client cli("127.0.0.1", server.port());
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  if (now() < expires) {
    auto res = cli.Get(path.c_str());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "soon gone");
  }
  while (now() <= expires) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto late = cli.Get(path.c_str());
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 403);
  EXPECT_NE(late->body.find("expired"), std::string::npos) << late->body;
  EXPECT_EQ(httpCall(server.port(), "GET", "/v1/runs/" + a.body["id"].get<std::string>()).status,
            404);
  // An upload is gone as well: a run that names it is refused.
  httplib::Client up("127.0.0.1", server.port());
  auto file = up.Post("/v1/files?name=f.txt", "x", "application/octet-stream");
  ASSERT_TRUE(file);
  const std::string id = json::parse(file->body).value("id", "");
  std::this_thread::sleep_for(std::chrono::milliseconds(3200));
  HttpAnswer refused =
      httpCall(server.port(), "POST", "/v1/runs",
               json{{"language", "python3"}, {"code", "pass"}, {"files", {id}}}.dump());
  EXPECT_EQ(refused.status, 400) << refused.raw;
  EXPECT_EQ(server.terminate(), 0);
}

}  // namespace
}  // namespace codecanvas::testing
