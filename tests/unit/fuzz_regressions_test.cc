// Inputs the request fuzzer (tests/fuzz/request_fuzz.cc, scripts/fuzz.sh) found to break
// the parser, kept here so that the ordinary unit tests hold the fixes.
#include <gtest/gtest.h>

#include <string>

#include "api.h"
#include "fake_backend.h"
#include "request_parser.h"

namespace codecanvas::http {
namespace {

jobs::LanguageRegistry registry() {
  jobs::LanguageProfile p;
  p.name = "python3";
  p.source_file = "main.py";
  p.run_argv = {"python3", "main.py"};
  p.version = "3.11";
  return std::move(jobs::LanguageRegistry::fromProfiles({p}).value());
}

// The refusal parseRunRequest gives `body`; a failed test when it accepts it or throws.
ApiError refusal(const std::string& body) {
  const auto languages = registry();
  std::variant<ParsedRun, ApiError> parsed;
  EXPECT_NO_THROW(parsed = parseRunRequest(body, languages, InputLimits{})) << body;
  const auto* e = std::get_if<ApiError>(&parsed);
  EXPECT_NE(e, nullptr) << body << " was accepted";
  return e != nullptr ? *e : ApiError{};
}

// nlohmann::json throws out_of_range, not parse_error, for a number beyond a double; it
// escaped the parser and Api::handle answered 500 "internal" to a malformed body.
TEST(FuzzRegressions, ANumberBeyondADoubleIsABadRequest) {
  for (const char* number : {"1e400", "-1e400", "1" /* followed by 400 zeros */}) {
    std::string n = number;
    if (n == "1") n += std::string(400, '0') + ".5";
    const ApiError e =
        refusal(R"({"language":"python3","source":"x","limits":{"cpu_ms":)" + n + "}}");
    EXPECT_EQ(e.status, 400) << n;
    EXPECT_EQ(e.code, "bad_request");
    EXPECT_NE(e.message.find("not valid JSON"), std::string::npos) << e.message;
  }
}

// A float limit was cast to int64_t before its range was checked: undefined behaviour for
// anything beyond ±9.2e18 (UBSan in the fuzz build reports it; here the answer is pinned).
TEST(FuzzRegressions, AFloatLimitBeyondInt64IsRefusedBeforeAnyCast) {
  for (const char* v : {"1e300", "1e19", "9.3e18", "-1e300", "1.7976931348623157e308"}) {
    const ApiError e = refusal(
        std::string(R"({"language":"python3","source":"x","limits":{"memory_kb":)") + v + "}}");
    EXPECT_EQ(e.status, 400) << v;
    EXPECT_NE(e.message.find("limits.memory_kb"), std::string::npos) << e.message;
  }
}

// nlohmann's message quotes the last token it read, which can be most of the body: a 16 MiB
// body could come back as a 16 MiB "sentence". The place and the reason are kept.
TEST(FuzzRegressions, AParseErrorDoesNotEchoTheBody) {
  for (const std::string& body : {std::string(100000, '[') + "x",
                                  R"({"language":"python3","source":")" + std::string(100000, 'y'),
                                  R"({"source":")" + std::string(50000, 'z') + "\x01\"}",
                                  "[" + std::string(50000, '7') + "e400]"}) {
    const ApiError e = refusal(body);
    EXPECT_EQ(e.status, 400);
    EXPECT_LE(e.message.size(), 400u) << e.message.substr(0, 200);
    EXPECT_NE(e.message.find("not valid JSON"), std::string::npos) << e.message.substr(0, 200);
  }
  const ApiError e = refusal("{\"a\":\n\"" + std::string(1000, 'q') + "\x01\"}");
  EXPECT_NE(e.message.find("line 2"), std::string::npos) << e.message;
}

// The cut never splits a UTF-8 character: the sentence stays valid UTF-8.
TEST(FuzzRegressions, AShortenedParseErrorEndsOnACharacterBoundary) {
  for (size_t shift = 0; shift < 4; ++shift) {
    std::string body = R"({"source":")" + std::string(shift, 'a');
    for (int i = 0; i < 200; ++i) body += "\xe2\x82\xac";  // €
    body += "\x01";
    const std::string m = refusal(body).message;
    ASSERT_GE(m.size(), 3u);
    ASSERT_EQ(m.substr(m.size() - 3), "...") << m;
    size_t i = m.size() - 3;
    while (i > 0 && (static_cast<unsigned char>(m[i - 1]) & 0xc0) == 0x80) --i;
    // The last character before "..." is whole: a lead byte followed by its continuations.
    ASSERT_GT(i, 0u);
    const auto lead = static_cast<unsigned char>(m[i - 1]);
    const size_t len = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    EXPECT_EQ(m.size() - 3 - (i - 1), len) << shift;
  }
}

// A route with an {id} segment matches paths of any length: the 405 for such a path
// echoed all of it. It names the route now.
TEST(FuzzRegressions, A405OnARouteWithAnIdDoesNotEchoThePath) {
  unit::FakeBackend backend;
  Metrics metrics;
  Api api(backend, metrics, ApiOptions{});
  const std::string path = "/v1/artifacts/art_" + std::string(5000, '5');
  const HttpResponse r = api.handle(HttpRequest{"POST", path, "", {}});
  EXPECT_EQ(r.status, 405);
  EXPECT_LT(r.body.size(), 300u) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("/v1/artifacts/{id}"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace codecanvas::http
