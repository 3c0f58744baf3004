// The judge programs the end-to-end tests share (judge_program_test.cc, testlib_test.cc):
// a guess-the-number interactor and a sum checker in the conventions of testlib written
// without the library, solutions for them, and the requests that pair them.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "http_client.h"

namespace codecanvas::testing {

using nlohmann::json;

// Guess the number: the secret is the test's input; up to 30 guesses, each answered with
// "<", ">" or "="; the answer file must hold the secret too.
inline constexpr const char* kInteractor = R"(#include <stdio.h>
int main(int argc, char** argv) {
  if (argc != 4) { fprintf(stderr, "FAIL usage: interactor input tout answer"); return 3; }
  FILE* in = fopen(argv[1], "r");
  FILE* ans = fopen(argv[3], "r");
  FILE* tout = fopen(argv[2], "w");
  int n = 0, expected = -1;
  if (!in || !ans || !tout || fscanf(in, "%d", &n) != 1 || fscanf(ans, "%d", &expected) != 1) {
    fprintf(stderr, "FAIL cannot read the test's files");
    return 3;
  }
  if (expected != n) { fprintf(stderr, "FAIL the answer file disagrees"); return 3; }
  for (int q = 1; q <= 30; ++q) {
    int g;
    if (scanf("%d", &g) != 1) { fprintf(stderr, "wrong output format: no guess"); return 2; }
    if (g == n) {
      printf("=\n");
      fflush(stdout);
      fprintf(tout, "%d\n", q);
      fprintf(stderr, "ok guessed %d in %d queries", n, q);
      return 0;
    }
    printf(n < g ? "<\n" : ">\n");
    fflush(stdout);
  }
  fprintf(stderr, "wrong answer too many queries");
  return 1;
}
)";

inline constexpr const char* kBinarySearchPython = R"(lo, hi = 1, 1000000
while True:
    mid = (lo + hi) // 2
    print(mid, flush=True)
    r = input()
    if r == "=":
        break
    if r == "<":
        hi = mid - 1
    else:
        lo = mid + 1
)";

// The same in C; it first makes sure it cannot read the test's input or answer (they live
// in the interactor's slot): exit 5 if it can.
inline constexpr const char* kBinarySearchC = R"(#include <stdio.h>
#include <unistd.h>
int main(void) {
  const char* peeks[] = {"test-1.in", "test-1.ans", "/box/test-1.in", "/box/test-1.ans",
                         "../test-1.ans", "/tmp/tout"};
  for (int i = 0; i < 6; ++i)
    if (access(peeks[i], F_OK) == 0) return 5;
  int lo = 1, hi = 1000000;
  char r[8];
  for (;;) {
    int mid = (lo + hi) / 2;
    printf("%d\n", mid);
    fflush(stdout);
    if (scanf("%7s", r) != 1) return 4;
    if (r[0] == '=') return 0;
    if (r[0] == '<') hi = mid - 1; else lo = mid + 1;
  }
}
)";

inline constexpr const char* kAlwaysOne = R"(#include <signal.h>
#include <stdio.h>
int main(void) {
  signal(SIGPIPE, SIG_IGN);
  char r[8];
  for (;;) {
    printf("1\n");
    fflush(stdout);
    if (scanf("%7s", r) != 1 || r[0] == '=') return 0;
  }
}
)";

// A sum checker: the answer must be the sum of the input's two numbers; "partial" after a
// right sum earns half a point; anything that is not a number is a presentation error.
inline constexpr const char* kChecker = R"(#include <stdio.h>
#include <string.h>
int main(int argc, char** argv) {
  if (argc != 4) { fprintf(stderr, "FAIL usage: checker input output answer"); return 3; }
  FILE* in = fopen(argv[1], "r");
  FILE* out = fopen(argv[2], "r");
  FILE* ans = fopen(argv[3], "r");
  long long a, b, jury, got;
  if (!in || !out || !ans || fscanf(in, "%lld %lld", &a, &b) != 2 || fscanf(ans, "%lld", &jury) != 1) {
    fprintf(stderr, "FAIL cannot read the test");
    return 3;
  }
  if (jury != a + b) { fprintf(stderr, "FAIL the answer file is wrong"); return 3; }
  if (fscanf(out, "%lld", &got) != 1) { fprintf(stderr, "wrong output format: expected a number"); return 2; }
  if (got != jury) { fprintf(stderr, "wrong answer expected %lld, found %lld", jury, got); return 1; }
  char word[16] = "";
  if (fscanf(out, "%15s", word) == 1 && strcmp(word, "partial") == 0) {
    fprintf(stderr, "points 0.5 half");
    return 7;
  }
  fprintf(stderr, "ok %lld", got);
  return 0;
}
)";

inline json judgeOn(int port, const json& request) {
  auto a = httpCall(port, "POST", "/api/v1/judge", request.dump());
  EXPECT_EQ(a.status, 200) << a.raw;
  return a.body;
}

inline json guessTests() {
  return json::array({{{"stdin", "777\n"}, {"expected_output", "777\n"}},
                      {{"stdin", "1\n"}, {"expected_output", "1\n"}},
                      {{"stdin", "1000000\n"}, {"expected_output", "1000000\n"}}});
}

inline json sumTests() {
  return json::array({{{"stdin", "2 3\n"}, {"expected_output", "5\n"}},
                      {{"stdin", "10 20\n"}, {"expected_output", "30\n"}}});
}

inline json interactive(const std::string& language, const std::string& source, json tests,
                        const std::string& interactor = kInteractor) {
  return {{"language", language},
          {"source", source},
          {"interactor", {{"language", "c"}, {"source", interactor}}},
          {"tests", std::move(tests)},
          {"stop_on_first_failure", false}};
}

inline json withChecker(const std::string& source, const std::string& checker = kChecker) {
  return {{"language", "python3"},
          {"source", source},
          {"checker", {{"type", "program"}, {"language", "c"}, {"source", checker}}},
          {"tests", sumTests()},
          {"stop_on_first_failure", false}};
}

}  // namespace codecanvas::testing
