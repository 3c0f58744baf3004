#include "sandbox/rootfs_manifest.h"

#include <gtest/gtest.h>

namespace codecanvas::sandbox {
namespace {

TEST(RootfsManifest, ParsesPathsFlagsAndComments) {
  auto m = parseRootfsManifest("# comment\n/usr\n\n/lib64   optional  # trailing\n", "t");
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].path, "/usr");
  EXPECT_FALSE((*m)[0].optional);
  EXPECT_TRUE((*m)[1].optional);
}

TEST(RootfsManifest, ErrorsNameTheLine) {
  struct Bad {
    const char* text;
    const char* needle;
  } bad[] = {
      {"/usr\nrelative\n", "t:2: 'relative' must be an absolute path"},
      {"/usr/../etc\n", "t:1:"},
      {"/\n", "t:1:"},
      {"/usr maybe\n", "unknown flag 'maybe'"},
      {"/usr optional extra\n", "unexpected 'extra'"},
      {"/usr\n/usr\n", "t:2: duplicate path /usr"},
      {"/proc\n", "built by the keeper"},
      {"# nothing\n", "binds nothing"},
  };
  for (const auto& b : bad) {
    auto m = parseRootfsManifest(b.text, "t");
    ASSERT_FALSE(m.ok()) << b.text;
    EXPECT_NE(m.error().message.find(b.needle), std::string::npos) << m.error().message;
  }
}

TEST(RootfsManifest, TheShippedManifestParses) {
  auto m = loadRootfsManifest(std::string(CODECANVAS_DATA_DIR) + "/rootfs/default.manifest");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->front().path, "/usr");
  EXPECT_FALSE(m->front().optional);
}

TEST(RootfsManifest, MissingFileNamesThePath) {
  auto m = loadRootfsManifest("/nonexistent/codecanvas.manifest");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("/nonexistent/codecanvas.manifest"), std::string::npos);
}

}  // namespace
}  // namespace codecanvas::sandbox
