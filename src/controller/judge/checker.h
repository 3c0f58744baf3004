// Output checkers of the judge: does a program's output match the expected output? Pure.
//   exact   byte for byte
//   lines   trailing whitespace of each line and trailing blank lines ignored (default)
//   tokens  the whitespace-separated tokens are equal
//   float   tokens; two numbers are equal when they differ by at most epsilon, absolutely
//           or relative to the expected value; other tokens must be equal
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace codecanvas::judge {

enum class CheckerType { kExact, kLines, kTokens, kFloat };

struct Checker {
  CheckerType type = CheckerType::kLines;
  double epsilon = 1e-6;
};

std::optional<CheckerType> checkerFromName(std::string_view name);
const char* checkerName(CheckerType t);

bool outputMatches(const Checker& checker, std::string_view expected, std::string_view actual);

}  // namespace codecanvas::judge
