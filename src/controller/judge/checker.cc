#include "judge/checker.h"

#include <cmath>
#include <cstdlib>
#include <vector>

namespace codecanvas::judge {

namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && isSpace(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && !isSpace(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// Lines without their trailing whitespace; trailing empty lines dropped. "\r\n" counts as
// a line end too, so Windows line ends in a test file do not fail a correct program.
std::vector<std::string_view> trimmedLines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view line = s.substr(start, end - start);
    while (!line.empty() && isSpace(line.back())) line.remove_suffix(1);
    out.push_back(line);
    start = end + 1;
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

// A whole token that is a finite or infinite number ("nan" never matches).
std::optional<double> number(std::string_view token) {
  if (token.empty() || token.size() > 64) return std::nullopt;
  std::string s(token);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || std::isnan(v)) return std::nullopt;
  return v;
}

bool floatTokenMatches(std::string_view expected, std::string_view actual, double epsilon) {
  if (expected == actual) return true;
  const auto e = number(expected), a = number(actual);
  if (!e || !a) return false;
  if (std::isinf(*e) || std::isinf(*a)) return *e == *a;
  const double diff = std::fabs(*e - *a);
  return diff <= epsilon || diff <= epsilon * std::fabs(*e);
}

}  // namespace

std::optional<CheckerType> checkerFromName(std::string_view name) {
  if (name == "exact") return CheckerType::kExact;
  if (name == "lines") return CheckerType::kLines;
  if (name == "tokens") return CheckerType::kTokens;
  if (name == "float") return CheckerType::kFloat;
  return std::nullopt;
}

const char* checkerName(CheckerType t) {
  switch (t) {
    case CheckerType::kExact:
      return "exact";
    case CheckerType::kLines:
      return "lines";
    case CheckerType::kTokens:
      return "tokens";
    case CheckerType::kFloat:
      return "float";
  }
  return "lines";
}

bool outputMatches(const Checker& checker, std::string_view expected, std::string_view actual) {
  switch (checker.type) {
    case CheckerType::kExact:
      return expected == actual;
    case CheckerType::kLines:
      return trimmedLines(expected) == trimmedLines(actual);
    case CheckerType::kTokens:
      return tokens(expected) == tokens(actual);
    case CheckerType::kFloat: {
      const auto e = tokens(expected), a = tokens(actual);
      if (e.size() != a.size()) return false;
      for (size_t i = 0; i < e.size(); ++i)
        if (!floatTokenMatches(e[i], a[i], checker.epsilon)) return false;
      return true;
    }
  }
  return false;
}

}  // namespace codecanvas::judge
