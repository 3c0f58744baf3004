// The code-executor adapter (POST /v1/runs, GET /v1/runs/{id}, POST /v1/files,
// GET /v1/artifacts/{id}) through the Api with a canned backend and a real store in a
// temporary directory; and the store, the run store and the URL signer on their own.
// The sandbox side (files placed in /box, /box/outputs/ collected, hostile outputs) is
// tested end to end in tests/integration/executor_test.cc.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "api.h"
#include "code_executor_api.h"
#include "fake_backend.h"
#include "object_store.h"

namespace codecanvas::http {
namespace {

using jobs::JobOutcome;
using nlohmann::json;
using sandbox::RunResult;
using sandbox::RunStatus;
using unit::FakeBackend;
using unit::okRun;

constexpr char kKeyA[] = "key-a-0123456789abcdef";
constexpr char kKeyB[] = "key-b-0123456789abcdef";

std::string tempDir() {
  char tmpl[] = "/tmp/codecanvas-store-test-XXXXXX";
  const char* made = ::mkdtemp(tmpl);
  EXPECT_NE(made, nullptr);
  return made != nullptr ? made : "/tmp";
}

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tempDir();
    auto opened = ObjectStore::open({dir_, 1 << 20, 50});
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(opened.value());
    store_->setClockForTest([this] { return now_; });
    CodeExecutorOptions ex;
    ex.store = store_.get();
    ex.runs = &runs_;
    ex.signer = &signer_;
    ex.file_retention_seconds = 600;
    ex.outputs = jobs::OutputCollection{"outputs", 4, 4096};
    options_.executor = ex;
    options_.access = &access_;
    api_ = std::make_unique<Api>(backend_, metrics_, options_);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  HttpResponse call(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& key = kKeyA,
                    const std::string& content_type = "application/json") {
    HttpRequest r;
    r.method = method;
    const size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.body = body;
    r.headers["host"] = "127.0.0.1:10100";
    if (!key.empty()) r.headers["authorization"] = "Bearer " + key;
    if (!content_type.empty()) r.headers["content-type"] = content_type;
    return api_->handle(r);
  }
  json callJson(const std::string& method, const std::string& target, const std::string& body,
                int expect, const std::string& key = kKeyA) {
    HttpResponse r = call(method, target, body, key);
    EXPECT_EQ(r.status, expect) << method << " " << target << " " << body << " -> " << r.body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  std::string upload(const std::string& name, const std::string& content,
                     const std::string& key = kKeyA) {
    json f =
        callJson("POST", "/v1/files", json{{"name", name}, {"content", content}}.dump(), 201, key);
    return f.value("id", "");
  }
  // The path and query of an absolute artifact URL.
  static std::string targetOf(const std::string& url) {
    const std::string base = "http://127.0.0.1:10100";
    EXPECT_EQ(url.rfind(base, 0), 0u) << url;
    return url.substr(base.size());
  }

  std::string dir_;
  int64_t now_ = 1'800'000'000;
  std::unique_ptr<ObjectStore> store_;
  RunStore runs_{100, 600};
  UrlSigner signer_{"a test signing key of some length"};
  AccessControl access_{{ApiKey{"a", kKeyA}, ApiKey{"b", kKeyB}}};
  FakeBackend backend_;
  Metrics metrics_;
  ApiOptions options_;
  std::unique_ptr<Api> api_;
};

TEST_F(ExecutorTest, UploadsAsJsonOrRawBytesAndRefusesBadOnes) {
  json f = callJson("POST", "/v1/files", R"({"name":"data.txt","content":"1 2 3\n"})", 201);
  EXPECT_EQ(f["object"], "file");
  EXPECT_EQ(f["name"], "data.txt");
  EXPECT_EQ(f["size"], 6);
  EXPECT_EQ(f["id"].get<std::string>().rfind("file_", 0), 0u);
  EXPECT_EQ(f["expires_at"].get<int64_t>() - f["created_at"].get<int64_t>(), 600);

  json b64 = callJson("POST", "/v1/files",
                      R"({"name":"bin","content":"AAEC/w==","encoding":"base64"})", 201);
  EXPECT_EQ(b64["size"], 4);
  auto stored = store_->find(b64["id"]);
  ASSERT_TRUE(stored);
  EXPECT_EQ(store_->read(*stored).value(), std::string("\x00\x01\x02\xff", 4));

  HttpResponse raw = call("POST", "/v1/files?name=my%20file.bin", std::string("\x00zz", 3), kKeyA,
                          "application/octet-stream");
  ASSERT_EQ(raw.status, 201) << raw.body;
  EXPECT_EQ(json::parse(raw.body)["name"], "my file.bin");
  EXPECT_EQ(json::parse(raw.body)["size"], 3);

  for (const char* bad :
       {R"({"name":"../etc/passwd","content":"x"})", R"({"name":"..","content":"x"})",
        R"({"content":"x"})", R"({"name":"a","content":"!!","encoding":"base64"})",
        R"({"name":"a","content":"x","encoding":"rot13"})", R"({"name":"a"})", R"([1])"}) {
    json e = callJson("POST", "/v1/files", bad, 400);
    EXPECT_EQ(e["code"], "bad_request") << bad;
  }
  EXPECT_EQ(call("POST", "/v1/files", "bytes", kKeyA, "application/octet-stream").status, 400)
      << "a raw upload needs ?name=";
  EXPECT_EQ(call("POST", "/v1/files", "x", "", "text/plain").status, 401) << "uploads need a key";

  // The store in the metrics: three files, 6 + 4 + 3 bytes; none once they expired.
  const std::string page = call("GET", "/metrics").body;
  EXPECT_NE(page.find("\ncodecanvas_file_store_files 3\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\ncodecanvas_file_store_bytes 13\n"), std::string::npos) << page;
  now_ += 601;
  EXPECT_NE(call("GET", "/metrics").body.find("\ncodecanvas_file_store_files 0\n"),
            std::string::npos);
}

TEST_F(ExecutorTest, ARunGetsItsFilesAndItsArtifactsComeBackAtSignedUrls) {
  const std::string data = upload("input.csv", "a,b\n1,2\n");
  JobOutcome o;
  o.runs.push_back(okRun("done\n"));
  o.runs[0].wall_ms = 41.6;
  o.outputs.push_back(sandbox::BoxFile{"plot.png", std::string("\x89PNG\0x", 6), "", 0644});
  o.outputs.push_back(sandbox::BoxFile{"report \"q\".txt", "ok", "", 0644});
  backend_.outcome = o;

  json run = callJson("POST", "/v1/runs",
                      json{{"language", "py"},
                           {"code", "print('done')"},
                           {"stdin", "x"},
                           {"files", {data, {{"id", data}, {"name", "copy.csv"}}}},
                           {"limits", {{"timeout_ms", 2000}, {"memory_mb", 64}}}}
                          .dump(),
                      200);
  // What the sandbox was asked to do.
  const jobs::RunSpec& spec = backend_.last_run;
  ASSERT_EQ(spec.files.size(), 2u);
  EXPECT_EQ(spec.files[0].name, "input.csv");
  EXPECT_EQ(spec.files[0].content, "a,b\n1,2\n");
  EXPECT_EQ(spec.files[1].name, "copy.csv");
  ASSERT_TRUE(spec.outputs);
  EXPECT_EQ(spec.outputs->dir, "outputs");
  EXPECT_EQ(spec.outputs->max_files, 4u);
  EXPECT_EQ(spec.limits.wall_ms, 2000u);
  EXPECT_EQ(spec.limits.memory_kb, 64u * 1024);
  EXPECT_EQ(spec.stdin_data, "x");
  EXPECT_EQ(spec.cache_scope, "a");

  // The answer.
  EXPECT_EQ(run["object"], "run");
  EXPECT_EQ(run["id"].get<std::string>().rfind("run_", 0), 0u);
  EXPECT_EQ(run["status"], "completed");
  EXPECT_EQ(run["verdict"], "ok");
  EXPECT_EQ(run["stdout"], "done\n");
  EXPECT_EQ(run["exit_code"], 0);
  EXPECT_EQ(run["duration_ms"], 42);
  EXPECT_EQ(run["language"], "python3");
  EXPECT_EQ(run["artifacts_truncated"], false);
  ASSERT_EQ(run["artifacts"].size(), 2u);
  const json& png = run["artifacts"][0];
  EXPECT_EQ(png["name"], "plot.png");
  EXPECT_EQ(png["size"], 6);
  EXPECT_EQ(png["expires_at"], now_ + 600);

  // Fetched without a key, byte for byte.
  HttpResponse got = call("GET", targetOf(png["url"]), "", "");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, std::string("\x89PNG\0x", 6));
  EXPECT_EQ(got.content_type, "application/octet-stream");
  bool disposition = false;
  for (const auto& [k, v] : got.headers)
    if (k == "Content-Disposition") {
      disposition = true;
      EXPECT_EQ(v, "attachment; filename=\"plot.png\"; filename*=UTF-8''plot.png");
    }
  EXPECT_TRUE(disposition);
  HttpResponse quoted = call("GET", targetOf(run["artifacts"][1]["url"]), "", "");
  ASSERT_EQ(quoted.status, 200);
  for (const auto& [k, v] : quoted.headers) {
    if (k == "Content-Disposition") {
      EXPECT_EQ(v,
                "attachment; filename=\"report _q_.txt\"; filename*=UTF-8''report%20%22q%22.txt");
    }
  }

  // The run again, for its key only.
  const std::string id = run["id"];
  json again = callJson("GET", "/v1/runs/" + id, "", 200);
  EXPECT_EQ(again, run);
  EXPECT_EQ(callJson("GET", "/v1/runs/" + id + "/", "", 200), run) << "a trailing slash";
  EXPECT_EQ(callJson("GET", "/v1/runs/" + id, "", 404, kKeyB)["code"], "not_found");
  EXPECT_EQ(callJson("GET", "/v1/runs/run_nothing", "", 404)["code"], "not_found");
  EXPECT_EQ(call("GET", "/v1/runs/" + id, "", "").status, 401);
  // Kept for the retention time, then gone.
  now_ += 601;
  EXPECT_EQ(callJson("GET", "/v1/runs/" + id, "", 404)["code"], "not_found");
}

TEST_F(ExecutorTest, ArtifactUrlsRefuseTamperingExpiryAndTraversal) {
  JobOutcome o;
  o.runs.push_back(okRun(""));
  o.outputs.push_back(sandbox::BoxFile{"out.txt", "secret-ish", "", 0644});
  backend_.outcome = o;
  json run = callJson("POST", "/v1/runs", R"({"language":"py","code":"x"})", 200);
  const std::string target = targetOf(run["artifacts"][0]["url"]);
  const std::string id = run["artifacts"][0]["id"];
  const int64_t expires = run["artifacts"][0]["expires_at"];
  ASSERT_EQ(call("GET", target, "", "").status, 200);

  auto status = [&](const std::string& t) { return call("GET", t, "", "").status; };
  std::string flipped = target;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_EQ(status(flipped), 403) << "one hex digit of the signature changed";
  const std::string sig = signer_.sign(id, expires);
  EXPECT_EQ(
      status("/v1/artifacts/" + id + "?expires=" + std::to_string(expires + 86400) + "&sig=" + sig),
      403)
      << "a later expiry under the old signature";
  EXPECT_EQ(status("/v1/artifacts/" + id + "?expires=" + std::to_string(expires)), 403);
  EXPECT_EQ(status("/v1/artifacts/" + id), 403);
  EXPECT_EQ(status("/v1/artifacts/" + id + "?expires=-5&sig=" + sig), 403);
  EXPECT_EQ(status("/v1/artifacts/" + id + "?expires=" + std::to_string(expires) + "&sig="), 403);
  // A signature of another key.
  UrlSigner other("another key, another server");
  EXPECT_EQ(status("/v1/artifacts/" + id + "?expires=" + std::to_string(expires) +
                   "&sig=" + other.sign(id, expires)),
            403);
  // Traversal: a path with more segments is no artifact route; a name that is not an
  // artifact id finds nothing even under a valid signature (as if the key had leaked).
  EXPECT_EQ(status("/v1/artifacts/../../etc/passwd"), 404);
  for (const std::string evil : {"..", "../../etc/passwd", ".lock", "file_x", "art_../../x"}) {
    const std::string t = "/v1/artifacts/" + evil + "?expires=" + std::to_string(expires) +
                          "&sig=" + signer_.sign(evil, expires);
    const int s = status(t);
    EXPECT_TRUE(s == 404) << evil << " -> " << s;
  }
  // An uploaded file is no artifact, even signed.
  const std::string file = upload("in.txt", "mine");
  EXPECT_EQ(status("/v1/artifacts/" + file + "?expires=" + std::to_string(expires) +
                   "&sig=" + signer_.sign(file, expires)),
            404);
  // Expired: 403 at the second it ends, whatever the signature.
  now_ = expires;
  EXPECT_EQ(status(target), 403);
  EXPECT_NE(call("GET", target, "", "").body.find("expired"), std::string::npos);
}

TEST_F(ExecutorTest, StatusSaysHowTheProgramEnded) {
  auto runWith = [&](JobOutcome o) {
    backend_.outcome = std::move(o);
    return callJson("POST", "/v1/runs", R"({"language":"c","code":"int main(){}"})", 200);
  };
  JobOutcome exit3;
  exit3.compile = okRun("");
  RunResult r = okRun("");
  r.status = RunStatus::kRuntimeError;
  r.exit_code = 3;
  exit3.runs.push_back(r);
  json j = runWith(exit3);
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["verdict"], "runtime_error");
  EXPECT_EQ(j["exit_code"], 3);

  JobOutcome tle;
  tle.compile = okRun("");
  r = okRun("");
  r.status = RunStatus::kTimeLimit;
  r.exit_code.reset();
  r.signal = 9;
  tle.runs.push_back(r);
  j = runWith(tle);
  EXPECT_EQ(j["status"], "timeout");
  EXPECT_EQ(j["signal"], 9);

  JobOutcome segv;
  segv.compile = okRun("");
  r = okRun("");
  r.status = RunStatus::kRuntimeError;
  r.exit_code.reset();
  r.signal = 11;
  segv.runs.push_back(r);
  EXPECT_EQ(runWith(segv)["status"], "failed");

  JobOutcome ce;
  ce.compile = okRun("main.c:1: error\n");
  ce.compile->status = RunStatus::kRuntimeError;
  ce.compile->exit_code = 1;
  ce.compile->stderr_data = "expected ';'\n";
  ce.compile_ms = 120;
  j = runWith(ce);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["verdict"], "compile_error");
  EXPECT_EQ(j["stdout"], "");
  EXPECT_EQ(j["stderr"], "main.c:1: error\nexpected ';'\n");
  EXPECT_EQ(j["duration_ms"], 120);
}

TEST_F(ExecutorTest, RefusesWhatItCannotRun) {
  const int before = backend_.submitted;
  for (const char* bad :
       {R"({"code":"x"})", R"({"language":"py"})", R"({"language":"cobolx","code":"x"})",
        R"({"language":"py","code":"x","files":"file_1"})",
        R"({"language":"py","code":"x","files":[{"name":"a"}]})",
        R"({"language":"py","code":"x","files":["file_00000000000000000000000000000000"]})",
        R"({"language":"py","code":"x","limits":{"timeout_ms":0}})",
        R"({"language":"py","code":"x","limits":{"memory_mb":-1}})",
        R"({"language":"py","code":"x","limits":5})"}) {
    json e = callJson("POST", "/v1/runs", bad, 400);
    EXPECT_EQ(e["code"], "bad_request") << bad;
  }
  // Names a run's files cannot take, and a file of another key.
  const std::string id = upload("x.txt", "x");
  for (const char* name : {"main.py", "outputs", "a/b", ".."})
    EXPECT_EQ(
        callJson("POST", "/v1/runs",
                 json{{"language", "py"}, {"code", "x"}, {"files", {{{"id", id}, {"name", name}}}}}
                     .dump(),
                 400)["code"],
        "bad_request")
        << name;
  EXPECT_EQ(
      callJson("POST", "/v1/runs",
               json{{"language", "py"}, {"code", "x"}, {"files", {id, id}}}.dump(), 400)["error"]
          .get<std::string>()
          .find("two files"),
      0u);
  const std::string others = upload("theirs.txt", "x", kKeyB);
  EXPECT_NE(
      callJson("POST", "/v1/runs",
               json{{"language", "py"}, {"code", "x"}, {"files", {others}}}.dump(), 400)["error"]
          .get<std::string>()
          .find("no uploaded file"),
      std::string::npos);
  EXPECT_EQ(backend_.submitted, before) << "nothing may run for a refused request";
  EXPECT_EQ(call("GET", "/v1/runs").status, 405);
  EXPECT_EQ(call("POST", "/v1/runs/run_x").status, 405);
}

TEST_F(ExecutorTest, AFullStoreRefusesUploadsAndLeavesArtifactsOut) {
  // 1 MiB in all: two uploads of 600 KiB do not fit.
  const std::string big(600 * 1024, 'x');
  upload("a.bin", big);
  HttpResponse full = call("POST", "/v1/files?name=b.bin", big, kKeyA, "application/octet-stream");
  EXPECT_EQ(full.status, 507) << full.body;
  EXPECT_EQ(json::parse(full.body)["code"], "store_full");
  JobOutcome o;
  o.runs.push_back(okRun(""));
  o.outputs.push_back(sandbox::BoxFile{"fits.txt", "small", "", 0644});
  o.outputs.push_back(sandbox::BoxFile{"huge.bin", big, "", 0644});
  o.outputs_truncated = false;
  backend_.outcome = o;
  json run = callJson("POST", "/v1/runs", R"({"language":"py","code":"x"})", 200);
  ASSERT_EQ(run["artifacts"].size(), 1u);
  EXPECT_EQ(run["artifacts"][0]["name"], "fits.txt");
  EXPECT_EQ(run["artifacts_truncated"], true);
  // Once the upload expires, there is room again.
  now_ += 601;
  EXPECT_EQ(call("POST", "/v1/files?name=b.bin", big, kKeyA, "application/octet-stream").status,
            201);
}

TEST(ExecutorOff, RoutesAnswer503WithoutAStore) {
  FakeBackend backend;
  Metrics metrics;
  Api api(backend, metrics, ApiOptions{});
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/v1/runs"},
                                                        {"GET", "/v1/runs/run_1"},
                                                        {"POST", "/v1/files"},
                                                        {"GET", "/v1/artifacts/art_1"}}) {
    HttpResponse r = api.handle(HttpRequest{method, path, "{}", {}});
    EXPECT_EQ(r.status, 503) << path << " " << r.body;
  }
}

TEST(ObjectStoreTest, OwnDirectoryIsRemovedAndANamedOneIsLocked) {
  std::string own;
  {
    auto store = ObjectStore::open({"", 1 << 20, 10});
    ASSERT_TRUE(store) << store.error().message;
    own = (*store)->dir();
    EXPECT_EQ(own, "/var/tmp/codecanvas-store-" + std::to_string(::getpid()));
    EXPECT_TRUE(std::filesystem::is_directory(own));
    EXPECT_EQ(std::filesystem::status(own).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_all);
  }
  EXPECT_FALSE(std::filesystem::exists(own));

  const std::string dir = tempDir();
  std::filesystem::create_directory(dir + "/left-over");
  auto first = ObjectStore::open({dir, 1 << 20, 10});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir + "/left-over")) << "emptied at start";
  auto second = ObjectStore::open({dir, 1 << 20, 10});
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("another codecanvas-server"), std::string::npos);
  first = Error{"closed"};
  EXPECT_TRUE(ObjectStore::open({dir, 1 << 20, 10})) << "the lock goes with the store";
  std::filesystem::remove_all(dir);
}

TEST(ObjectStoreTest, CountsCapsAndExpiry) {
  const std::string dir = tempDir();
  auto opened = ObjectStore::open({dir, 100, 3});
  ASSERT_TRUE(opened);
  ObjectStore& store = **opened;
  int64_t now = 1000;
  store.setClockForTest([&] { return now; });
  auto a = store.put("file_", "k", "a", std::string(60, 'a'), 10);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id.size(), 5u + 32u);
  EXPECT_FALSE(store.put("file_", "k", "b", std::string(41, 'b'), 10)) << "over 100 bytes";
  EXPECT_TRUE(store.put("file_", "k", "b", std::string(40, 'b'), 10));
  EXPECT_TRUE(store.put("file_", "k", "c", "", 10));
  EXPECT_FALSE(store.put("file_", "k", "d", "", 10)) << "over 3 objects";
  EXPECT_EQ(store.count(), 3u);
  EXPECT_EQ(store.bytes(), 100u);
  EXPECT_TRUE(store.find(a->id, std::string("k")));
  EXPECT_FALSE(store.find(a->id, std::string("other")));
  now = 1010;
  EXPECT_FALSE(store.find(a->id));
  store.sweep();
  EXPECT_EQ(store.count(), 0u);
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1) << "only .lock left";
  opened = Error{"closed"};
  std::filesystem::remove_all(dir);
}

TEST(UrlSignerTest, SignsIdAndExpiryTogether) {
  UrlSigner s("0123456789abcdef0123");
  const std::string sig = s.sign("art_1", 100);
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_TRUE(s.valid("art_1", 100, sig));
  EXPECT_FALSE(s.valid("art_2", 100, sig));
  EXPECT_FALSE(s.valid("art_1", 101, sig));
  EXPECT_FALSE(s.valid("art_1", 100, sig.substr(0, 63)));
  EXPECT_FALSE(s.valid("art_1", 100, ""));
  EXPECT_EQ(UrlSigner("0123456789abcdef0123").sign("art_1", 100), sig) << "the key decides";
  EXPECT_NE(UrlSigner("").sign("art_1", 100), UrlSigner("").sign("art_1", 100))
      << "no key: a random one each";
}

TEST(RunStoreTest, KeepsTheNewestWithinItsCountAndRetention) {
  RunStore runs(2, 10);
  runs.put("r1", "k", json{{"n", 1}}, 0);
  runs.put("r2", "k", json{{"n", 2}}, 1);
  runs.put("r3", "k", json{{"n", 3}}, 2);
  EXPECT_FALSE(runs.find("r1", "k", 2)) << "the oldest went beyond 2";
  EXPECT_EQ((*runs.find("r3", "k", 2))["n"], 3);
  EXPECT_FALSE(runs.find("r3", "other", 2));
  EXPECT_FALSE(runs.find("r2", "k", 11));
}

TEST(QueryTest, ParamsAreFoundAndDecoded) {
  EXPECT_EQ(queryParam("a=1&name=x%2Fy+z&b", "name"), "x/y z");
  EXPECT_EQ(queryParam("b", "b"), "");
  EXPECT_FALSE(queryParam("a=1", "name"));
  EXPECT_FALSE(queryParam("", "a"));
  EXPECT_EQ(queryParam("a=1&a=2", "a"), "1");
  EXPECT_EQ(percentDecode("%41%zz%4"), "A%zz%4");
}

}  // namespace
}  // namespace codecanvas::http
