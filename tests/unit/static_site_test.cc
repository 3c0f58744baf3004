// The web page's file server: types, ETags and 304, caching by name, loading a directory.
#include "static_site.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace codecanvas::http {
namespace {

namespace fs = std::filesystem;

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

HttpRequest get(const std::string& path, std::map<std::string, std::string> headers = {}) {
  return HttpRequest{"GET", path, "", std::move(headers)};
}

TEST(StaticSiteTest, ContentTypesByExtension) {
  EXPECT_EQ(StaticSite::contentTypeFor("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(StaticSite::contentTypeFor("/assets/app-ABCDEFGH.js"),
            "text/javascript; charset=utf-8");
  EXPECT_EQ(StaticSite::contentTypeFor("/assets/app.css"), "text/css; charset=utf-8");
  EXPECT_EQ(StaticSite::contentTypeFor("/x.svg"), "image/svg+xml");
  EXPECT_EQ(StaticSite::contentTypeFor("/x.woff2"), "font/woff2");
  EXPECT_EQ(StaticSite::contentTypeFor("/dir.v2/README"), "application/octet-stream");
  EXPECT_EQ(StaticSite::contentTypeFor("/blob.bin"), "application/octet-stream");
}

TEST(StaticSiteTest, OnlyContentHashedNamesAreCachedForGood) {
  EXPECT_TRUE(StaticSite::isContentHashed("/assets/app-MPBMGTZL.js"));
  EXPECT_TRUE(StaticSite::isContentHashed("/assets/code-mirror-0123ABCD.css"));
  EXPECT_FALSE(StaticSite::isContentHashed("/index.html"));
  EXPECT_FALSE(StaticSite::isContentHashed("/assets/app-main.js"));   // lower case: a word
  EXPECT_FALSE(StaticSite::isContentHashed("/assets/app-ABC.js"));    // too short for a hash
  EXPECT_FALSE(StaticSite::isContentHashed("/assets/app-ABCDEFGH"));  // no extension
  const auto site = StaticSite::fromFiles(
      {{"/index.html", "<p>hi</p>"}, {"/assets/app-MPBMGTZL.js", "x()"}, {"/robots.txt", ""}});
  EXPECT_EQ(header(*site.serve(get("/assets/app-MPBMGTZL.js")), "Cache-Control"),
            "public, max-age=31536000, immutable");
  EXPECT_EQ(header(*site.serve(get("/")), "Cache-Control"), "no-cache");
  EXPECT_EQ(header(*site.serve(get("/robots.txt")), "Cache-Control"), "no-cache");
}

TEST(StaticSiteTest, RootIsTheIndexAndUnknownPathsAreNotServed) {
  const auto site = StaticSite::fromFiles({{"/index.html", "<p>hi</p>"}});
  auto r = site.serve(get("/"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "<p>hi</p>");
  EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(*r, "X-Content-Type-Options"), "nosniff");
  EXPECT_NE(header(*r, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_FALSE(site.serve(get("/missing.js")));
  EXPECT_FALSE(site.serve(get("/../index.html")));
  EXPECT_FALSE(site.serve(get("")));
}

TEST(StaticSiteTest, EtagRevalidationAnswers304) {
  const auto site = StaticSite::fromFiles({{"/index.html", "one"}, {"/b.html", "two"}});
  const std::string etag = header(*site.serve(get("/")), "ETag");
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_NE(etag, header(*site.serve(get("/b.html")), "ETag")) << "different bytes, same tag";
  for (const std::string& inm : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    auto r = site.serve(get("/", {{"if-none-match", inm}}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 304) << inm;
    EXPECT_TRUE(r->body.empty()) << inm;
    EXPECT_EQ(header(*r, "ETag"), etag);
  }
  auto stale = site.serve(get("/", {{"if-none-match", "\"0000\""}}));
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, "one");
}

class StaticSiteDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/codecanvas-site-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& body) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel, std::ios::binary) << body;
  }
  fs::path dir_;
};

TEST_F(StaticSiteDirTest, LoadsEveryVisibleFileUnderTheDirectory) {
  write("index.html", "<html></html>");
  write("assets/app-ABCDEFGH.js", std::string("bin\0ary", 7));
  write(".hidden", "secret");
  write(".git/config", "secret");
  fs::create_symlink("/etc/hostname", dir_ / "host");
  auto site = StaticSite::load(dir_.string());
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_EQ(site->size(), 2u);
  EXPECT_TRUE(site->has("/index.html"));
  auto js = site->serve(get("/assets/app-ABCDEFGH.js"));
  ASSERT_TRUE(js);
  EXPECT_EQ(js->body, std::string("bin\0ary", 7));
  EXPECT_FALSE(site->has("/.hidden"));
  EXPECT_FALSE(site->has("/.git/config"));
  EXPECT_FALSE(site->has("/host")) << "symbolic links are not followed out of the directory";
}

TEST_F(StaticSiteDirTest, RefusesWhatIsNotAWebPage) {
  auto missing = StaticSite::load((dir_ / "nothing").string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("not built"), std::string::npos);
  write("app.js", "x");
  auto no_index = StaticSite::load(dir_.string());
  ASSERT_FALSE(no_index);
  EXPECT_NE(no_index.error().message.find("no index.html"), std::string::npos);
  write("index.html", "x");
  write("big.bin", std::string(4096, 'x'));
  auto too_big = StaticSite::load(dir_.string(), 1024);
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().message.find("more than 1024 bytes"), std::string::npos);
}

}  // namespace
}  // namespace codecanvas::http
