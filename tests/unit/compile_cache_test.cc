#include "jobs/compile_cache.h"

#include <gtest/gtest.h>

#include <thread>

namespace codecanvas::jobs {
using namespace codecanvas::sandbox;
namespace {

CompiledArtifacts artifact(size_t bytes, char fill = 'x') {
  CompiledArtifacts a;
  a.files.push_back(BoxFile{"main", std::string(bytes, fill), "", 0755});
  a.compile.status = RunStatus::kOk;
  return a;
}

TEST(CompileCacheTest, KeysDifferWheneverAnyPartDiffers) {
  const auto k = CompileCache::makeKey("", "c", "12", {"gcc", "main.c"}, "int main(){}");
  EXPECT_NE(k, CompileCache::makeKey("", "c++", "12", {"gcc", "main.c"}, "int main(){}"));
  // Another API key's identical compile is not shared.
  EXPECT_NE(k, CompileCache::makeKey("judge", "c", "12", {"gcc", "main.c"}, "int main(){}"));
  EXPECT_NE(k, CompileCache::makeKey("", "c", "13", {"gcc", "main.c"}, "int main(){}"));
  EXPECT_NE(k, CompileCache::makeKey("", "c", "12", {"gcc", "-O2", "main.c"}, "int main(){}"));
  EXPECT_NE(k, CompileCache::makeKey("", "c", "12", {"gcc", "main.c"}, "int main(){ }"));
  // Moving bytes between parts must not produce the same key.
  EXPECT_NE(CompileCache::makeKey("", "ab", "c", {}, ""),
            CompileCache::makeKey("", "a", "bc", {}, ""));
  EXPECT_NE(CompileCache::makeKey("", "a", "b", {"x y"}, ""),
            CompileCache::makeKey("", "a", "b", {"x", "y"}, ""));
}

TEST(CompileCacheTest, FindsWhatWasStoredAndCountsHitsAndMisses) {
  CompileCache cache(1 << 20);
  EXPECT_EQ(cache.find("k"), nullptr);
  cache.insert("k", artifact(100, 'a'));
  auto hit = cache.find("k");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->files[0].content, std::string(100, 'a'));
  const auto s = cache.stats();
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  cache.insert("k", artifact(50, 'b'));  // replaced, not duplicated
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_EQ(cache.find("k")->files[0].content, std::string(50, 'b'));
}

TEST(CompileCacheTest, EvictsTheLeastRecentlyUsedToStayWithinItsBytes) {
  CompileCache cache(4200);  // room for three 1000-byte entries and their overhead (~1.3 KB each)
  cache.insert("a", artifact(1000));
  cache.insert("b", artifact(1000));
  cache.insert("c", artifact(1000));
  ASSERT_NE(cache.find("a"), nullptr);  // a is now the most recently used
  cache.insert("d", artifact(1000));    // evicts b, the least recently used
  EXPECT_EQ(cache.find("b"), nullptr);
  EXPECT_NE(cache.find("a"), nullptr);
  EXPECT_NE(cache.find("c"), nullptr);
  EXPECT_NE(cache.find("d"), nullptr);
  EXPECT_LE(cache.stats().bytes, 4200u);
  EXPECT_EQ(cache.stats().evictions, 1u);
  cache.insert("huge", artifact(10000));  // larger than the whole cache: not stored
  EXPECT_EQ(cache.find("huge"), nullptr);
  EXPECT_NE(cache.find("d"), nullptr);
}

TEST(CompileCacheTest, ConcurrentUseKeepsItsAccountsRight) {
  CompileCache cache(64 * 1024);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string key = "k" + std::to_string((i * 7 + t) % 50);
        if (auto hit = cache.find(key)) {
          ASSERT_EQ(hit->files[0].content.size(), 500u);
        } else {
          cache.insert(key, artifact(500));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto s = cache.stats();
  EXPECT_LE(s.bytes, s.capacity);
  EXPECT_EQ(s.hits + s.misses, 8000u);
  EXPECT_GT(s.entries, 0u);
}

}  // namespace
}  // namespace codecanvas::jobs
