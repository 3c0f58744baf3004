// API keys and rate limits: AccessControl on its own (with a clock the test moves) and as
// the config file gives them (through Api::handle: api_test.cc).
#include "access.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server_config.h"

namespace codecanvas::http {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const std::string kKey = "k3y-0123456789abcdef";
const std::string kOtherKey = "other-0123456789abcdef";

HttpRequest withHeader(const std::string& name, const std::string& value) {
  HttpRequest r{"GET", "/api/v1/languages", "", {}};
  r.headers[name] = value;
  return r;
}

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  AccessControl::Clock fn() {
    return [this] { return now; };
  }
};

TEST(AccessControl, WithoutKeysEveryRequestGoesAhead) {
  AccessControl access({});
  EXPECT_TRUE(access.open());
  auto v = access.check(HttpRequest{"POST", "/api/v1/run", "{}", {}});
  EXPECT_FALSE(v.refusal);
  EXPECT_EQ(v.key_name, "");
}

TEST(AccessControl, AKeyIsTakenFromBearerOrXApiKey) {
  AccessControl access({{"judge", kKey, 0, 0}});
  for (const auto& r :
       {withHeader("authorization", "Bearer " + kKey),
        withHeader("authorization", "  bearer   " + kKey + " "), withHeader("x-api-key", kKey)}) {
    auto v = access.check(r);
    EXPECT_FALSE(v.refusal) << v.refusal->body;
    EXPECT_EQ(v.key_name, "judge");
  }
}

// A browser's WebSocket cannot carry headers: the web page offers the key, in hex, as a
// subprotocol beside "codecanvas".
TEST(AccessControl, AWebSocketOffersItsKeyAsASubprotocol) {
  std::string hex;
  for (unsigned char c : kKey) {
    static const char* digits = "0123456789abcdef";
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  AccessControl access({{"judge", kKey, 0, 0}});
  auto v = access.check(withHeader("sec-websocket-protocol", "codecanvas, codecanvas.key." + hex));
  EXPECT_FALSE(v.refusal);
  EXPECT_EQ(v.key_name, "judge");
  EXPECT_EQ(keyOfSubprotocols("codecanvas.key.414243"), "ABC");
  EXPECT_EQ(keyOfSubprotocols("codecanvas"), "");
  EXPECT_EQ(keyOfSubprotocols("codecanvas.key.4"), "");     // odd length
  EXPECT_EQ(keyOfSubprotocols("codecanvas.key.zz11"), "");  // not hex
  auto wrong =
      access.check(withHeader("sec-websocket-protocol", "codecanvas, codecanvas.key.414243"));
  ASSERT_TRUE(wrong.refusal);
  EXPECT_EQ(wrong.refusal->status, 401);
  auto none = access.check(withHeader("sec-websocket-protocol", "codecanvas"));
  ASSERT_TRUE(none.refusal);
  EXPECT_EQ(none.refusal->status, 401);
}

TEST(AccessControl, MissingMalformedAndWrongKeysAre401WithASentence) {
  AccessControl access({{"judge", kKey, 0, 0}});
  struct Case {
    HttpRequest request;
    std::string hint;
  };
  const Case cases[] = {
      {HttpRequest{"GET", "/api/v1/languages", "", {}}, "needs an API key"},
      {withHeader("authorization", "Basic dXNlcjpwYXNz"), "must read \"Bearer KEY\""},
      {withHeader("authorization", "Bearer " + kKey + "x"), "not valid"},
      {withHeader("authorization", "Bearer " + kKey.substr(0, 10)), "not valid"},
      {withHeader("x-api-key", kOtherKey), "not valid"},
  };
  for (const auto& c : cases) {
    auto v = access.check(c.request);
    ASSERT_TRUE(v.refusal) << c.hint;
    EXPECT_EQ(v.refusal->status, 401);
    json j = json::parse(v.refusal->body);
    EXPECT_EQ(j["code"], "unauthorized");
    EXPECT_NE(j["error"].get<std::string>().find(c.hint), std::string::npos) << j.dump();
    EXPECT_EQ(header(*v.refusal, "WWW-Authenticate"), "Bearer realm=\"codecanvas\"");
  }
}

TEST(AccessControl, TheBucketAllowsItsBurstThenRefillsAtTheRate) {
  FakeClock clock;
  // 60 a minute = one a second, bursts of 3.
  AccessControl access({{"judge", kKey, 60, 3}, {"free", kOtherKey, 0, 0}}, clock.fn());
  const auto r = withHeader("x-api-key", kKey);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(access.check(r).refusal) << i;
  auto refused = access.check(r);
  ASSERT_TRUE(refused.refusal);
  EXPECT_EQ(refused.refusal->status, 429);
  EXPECT_EQ(json::parse(refused.refusal->body)["code"], "rate_limited");
  EXPECT_EQ(header(*refused.refusal, "Retry-After"), "1");
  EXPECT_EQ(refused.key_name, "judge");
  // A key without a limit is not slowed by another key's bucket.
  for (int i = 0; i < 100; ++i)
    EXPECT_FALSE(access.check(withHeader("x-api-key", kOtherKey)).refusal);
  clock.now += 1500ms;  // 1.5 tokens back
  EXPECT_FALSE(access.check(r).refusal);
  EXPECT_TRUE(access.check(r).refusal);
  clock.now += 1h;  // never more than the burst
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(access.check(r).refusal) << i;
  EXPECT_TRUE(access.check(r).refusal);
}

TEST(AccessControl, RetryAfterSaysWhenTheNextRequestFits) {
  FakeClock clock;
  AccessControl access({{"slow", kKey, 6, 1}}, clock.fn());  // one per 10 s
  const auto r = withHeader("x-api-key", kKey);
  EXPECT_FALSE(access.check(r).refusal);
  auto v = access.check(r);
  ASSERT_TRUE(v.refusal);
  EXPECT_EQ(header(*v.refusal, "Retry-After"), "10");
  clock.now += 9s;
  v = access.check(r);
  ASSERT_TRUE(v.refusal);
  EXPECT_EQ(header(*v.refusal, "Retry-After"), "1");
  clock.now += 1s;
  EXPECT_FALSE(access.check(r).refusal);
}

TEST(AccessControl, DefaultBurstIsTenSecondsWorth) {
  FakeClock clock;
  AccessControl access({{"judge", kKey, 600, 0}}, clock.fn());
  const auto r = withHeader("x-api-key", kKey);
  int allowed = 0;
  while (!access.check(r).refusal && allowed < 1000) ++allowed;
  EXPECT_EQ(allowed, 100);
}

TEST(AccessControl, KeysAreValidated) {
  EXPECT_TRUE(validateApiKeys({{"a", kKey, 0, 0}, {"b", kOtherKey, 10, 1}}));
  struct Case {
    std::vector<ApiKey> keys;
    std::string hint;
  };
  const Case cases[] = {
      {{{"", kKey, 0, 0}}, "\"name\""},
      {{{"a", "short", 0, 0}}, "16 to 256"},
      {{{"a", "has a space in the key", 0, 0}}, "without spaces"},
      {{{"a", kKey, 0, 0}, {"a", kOtherKey, 0, 0}}, "used twice"},
      {{{"a", kKey, 0, 0}, {"b", kKey, 0, 0}}, "configured twice"},
  };
  for (const auto& c : cases) {
    Status s = validateApiKeys(c.keys);
    ASSERT_FALSE(s) << c.hint;
    EXPECT_NE(s.error().message.find(c.hint), std::string::npos) << s.error().message;
  }
}

TEST(AccessControl, KeysComeFromTheConfigFile) {
  ServerConfig c;
  ASSERT_TRUE(applyConfigJson(R"J({"api_keys": [
      {"name": "judge", "key": "k3y-0123456789abcdef", "requests_per_minute": 600, "burst": 50},
      {"name": "admin", "key": "adm-0123456789abcdef"}]})J",
                              "server.json", c));
  ASSERT_EQ(c.api_keys.size(), 2u);
  EXPECT_EQ(c.api_keys[0].name, "judge");
  EXPECT_EQ(c.api_keys[0].requests_per_minute, 600u);
  EXPECT_EQ(c.api_keys[0].burst, 50u);
  EXPECT_EQ(c.api_keys[1].requests_per_minute, 0u);
  struct Case {
    const char* text;
    const char* hint;
  };
  const Case cases[] = {
      {R"J({"api_keys": "k3y-0123456789abcdef"})J", "must be a list"},
      {R"J({"api_keys": [5]})J", "api_keys[0] must be an object"},
      {R"J({"api_keys": [{"name": "a", "key": 5}]})J", "\"key\" must be a string"},
      {R"J({"api_keys": [{"name": "a", "key": "k3y-0123456789abcdef", "rate": 5}]})J",
       "unknown field \"rate\""},
      {R"J({"api_keys": [{"name": "a", "key": "k3y-0123456789abcdef", "burst": -1}]})J",
       "\"burst\" must be a whole number"},
      {R"J({"api_keys": [{"name": "a", "key": "short"}]})J", "16 to 256"},
  };
  for (const auto& cs : cases) {
    ServerConfig bad;
    Status s = applyConfigJson(cs.text, "server.json", bad);
    ASSERT_FALSE(s) << cs.text;
    EXPECT_NE(s.error().message.find(cs.hint), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().message.rfind("server.json: ", 0), 0u) << s.error().message;
  }
}

}  // namespace
}  // namespace codecanvas::http
