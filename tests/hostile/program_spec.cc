#include "program_spec.h"

#include <string.h>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <regex>
#include <set>
#include <sstream>

namespace codecanvas::hostile {

namespace {

using nlohmann::json;

const std::set<std::string> kVerdicts = {
    "accepted",     "wrong_answer",  "time_limit",      "wall_time_limit", "memory_limit",
    "output_limit", "runtime_error", "syscall_blocked", "internal_error",  "compile_error"};
const std::set<std::string> kStatuses = {
    "ok",           "runtime_error", "time_limit",      "wall_time_limit", "memory_limit",
    "output_limit", "compile_error", "syscall_blocked", "internal_error"};
const std::set<std::string> kLimitNames = {"cpu_ms", "wall_ms", "memory_kb", "output_kb",
                                           "processes"};
const std::set<std::string> kStreamChecks = {"equals", "contains", "not-contains",
                                             "bytes",  "line",     "no-line"};
const std::set<std::string> kNumbers = {"time_ms", "wall_ms", "memory_kb"};
const std::set<std::string> kFeatures = {"i386_entry"};

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

std::optional<long long> parseInteger(const std::string& text) {
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// \n \t \r \0 \\ and \xNN; nullopt on any other escape.
std::optional<std::string> unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    switch (text[i]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      case 'x': {
        if (i + 3 > text.size()) return std::nullopt;  // two hex digits after the x
        unsigned v = 0;
        auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, v, 16);
        if (ec != std::errc() || end != text.data() + i + 3) return std::nullopt;
        out += static_cast<char>(v);
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

// SIGSEGV, SEGV or 11 -> 11; nullopt when it names no signal.
std::optional<int> signalNumber(const std::string& text) {
  if (auto n = parseInteger(text); n && *n > 0 && *n < NSIG) return static_cast<int>(*n);
  const std::string name = text.rfind("SIG", 0) == 0 ? text.substr(3) : text;
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev) return sig;
  }
  return std::nullopt;
}

// Why `e` can never be checked, or "" when it is well formed.
std::string validate(const Expectation& e) {
  const std::string& k = e.key;
  if (kNumbers.count(k)) {
    if (e.op == "=") return k + " takes >= or <=";
    return parseInteger(e.value) ? "" : k + " needs a whole number";
  }
  if (e.op != "=") return k + " takes =";
  if (k == "status") return kStatuses.count(e.value) ? "" : "unknown status '" + e.value + "'";
  if (k == "verdict") return kVerdicts.count(e.value) ? "" : "unknown verdict '" + e.value + "'";
  if (k == "test-verdicts") {
    std::istringstream list(e.value);
    for (std::string v; std::getline(list, v, ',');)
      if (!kVerdicts.count(v)) return "unknown verdict '" + v + "' in test-verdicts";
    return "";
  }
  if (k == "exit_code")
    return e.value == "null" || parseInteger(e.value) ? "" : "exit_code needs a number or null";
  if (k == "signal")
    return e.value == "null" || signalNumber(e.value) ? "" : "unknown signal '" + e.value + "'";
  if (k == "error" || k == "error-contains") return unescape(e.value) ? "" : "bad escape in " + k;
  if (k == "http") return parseInteger(e.value) ? "" : "http needs a status code";
  if (k == "stdout_truncated" || k == "stderr_truncated")
    return e.value == "true" || e.value == "false" ? "" : k + " needs true or false";
  for (const char* stream : {"stdout-", "stderr-"}) {
    if (k.rfind(stream, 0) != 0) continue;
    const std::string check = k.substr(7);
    if (!kStreamChecks.count(check)) break;
    if (check == "bytes") return parseInteger(e.value) ? "" : k + " needs a whole number";
    if (check == "line" || check == "no-line") return "";
    return unescape(e.value) ? "" : "bad escape in " + k;
  }
  return "unknown expectation '" + k + "'";
}

// "status=ok", "time_ms>=1000" -> key, op, value.
std::optional<Expectation> splitExpectation(const std::string& text) {
  size_t i = 0;
  while (i < text.size() &&
         (std::islower(static_cast<unsigned char>(text[i])) || text[i] == '_' || text[i] == '-'))
    ++i;
  if (i == 0 || i == text.size()) return std::nullopt;
  Expectation e;
  e.key = text.substr(0, i);
  for (const char* op : {">=", "<=", "="}) {
    if (text.compare(i, strlen(op), op) == 0) {
      e.op = op;
      e.value = text.substr(i + strlen(op));
      return e;
    }
  }
  return std::nullopt;
}

std::string commentPrefix(const std::string& language) {
  return language == "python3" || language == "bash" ? "#" : "//";
}

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::string::size_type start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Shows bytes readably in failure messages: printable ASCII as is, the rest escaped.
std::string shown(const std::string& bytes, size_t max = 600) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (bytes.size() > max) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return "\"" + out + "\"";
}

}  // namespace

std::optional<std::string> languageForExtension(const std::string& extension) {
  static const std::map<std::string, std::string> kLanguages = {
      {"c", "c"},       {"cpp", "c++"}, {"py", "python3"}, {"sh", "bash"},
      {"js", "nodejs"}, {"go", "go"},   {"java", "java"}};
  auto it = kLanguages.find(extension);
  if (it == kLanguages.end()) return std::nullopt;
  return it->second;
}

namespace {

// Applies one header line "<directive>: <value>" to `spec`; returns why it is refused, or
// "". Lines whose directive is not one of ours are prose.
// The expectation that says how the request ends: a run's status, a judge's verdict, or
// an HTTP status other than 200. Exactly one applies on every host.
bool isOutcome(const std::string& key) {
  return key == "status" || key == "verdict" || key == "http";
}

// How many status expectations apply: unconditionally, and per feature where it holds
// (first) and where it does not (second).
struct StatusCount {
  int always = 0;
  std::map<std::string, std::pair<int, int>> by_feature;
};

std::string addDirective(const std::string& directive, const std::string& value, int line,
                         ProgramSpec& spec, StatusCount& statuses) {
  std::istringstream words(value);
  std::string feature;
  bool holds = true;
  for (const char* word : {"expect if ", "expect unless "}) {
    if (directive.rfind(word, 0) != 0) continue;
    feature = trim(directive.substr(strlen(word)));
    holds = word[7] == 'i';
    if (!kFeatures.count(feature)) return "unknown host feature '" + feature + "' (i386_entry)";
  }
  if (directive == "expect" || !feature.empty()) {
    auto e = splitExpectation(value);
    if (!e) return "malformed expectation '" + value + "' (key=value, key>=N, key<=N)";
    e->line = line;
    e->feature = feature;
    e->feature_holds = holds;
    if (std::string why = validate(*e); !why.empty()) return why;
    if (isOutcome(e->key)) {
      if (feature.empty())
        ++statuses.always;
      else
        ++(holds ? statuses.by_feature[feature].first : statuses.by_feature[feature].second);
    }
    spec.expectations.insert(
        isOutcome(e->key) ? spec.expectations.begin() : spec.expectations.end(), *e);
  } else if (directive == "limits") {
    for (std::string word; words >> word;) {
      const auto eq = word.find('=');
      const long long number =
          eq == std::string::npos ? 0 : parseInteger(word.substr(eq + 1)).value_or(0);
      if (!kLimitNames.count(word.substr(0, eq)) || number <= 0)
        return "bad limit '" + word +
               "' (cpu_ms, wall_ms, memory_kb, output_kb, processes; positive whole numbers)";
      spec.limits[word.substr(0, eq)] = number;
    }
  } else if (directive == "request") {
    if (value.rfind("args=", 0) == 0) {
      const auto x = value.find('x', 5);
      auto count = x == std::string::npos ? std::nullopt : parseInteger(value.substr(5, x - 5));
      auto bytes = x == std::string::npos ? std::nullopt : parseInteger(value.substr(x + 1));
      if (!count || !bytes || *count <= 0 || *bytes <= 0 || *count > 10000 || *bytes > 1 << 20)
        return "request: args=COUNTxBYTES, e.g. args=64x4096";
      spec.generated_args = static_cast<size_t>(*count);
      spec.generated_arg_bytes = static_cast<size_t>(*bytes);
      return "";
    }
    if (value != "encoding=base64" && value != "encoding=utf-8")
      return "request takes encoding=base64, encoding=utf-8 or args=COUNTxBYTES";
    spec.encoding = value.substr(9);
  } else if (directive == "args") {
    for (std::string word; words >> word;) spec.args.push_back(word);
  } else if (directive == "judge-test") {
    const auto arrow = value.find(" -> ");
    auto in = unescape(value.substr(0, arrow));
    auto expected =
        arrow == std::string::npos ? std::nullopt : unescape(trim(value.substr(arrow + 4)));
    if (!in || !expected) return "judge-test takes <stdin> -> <expected output>, with escapes";
    spec.judge_tests.push_back({*in, *expected});
  } else if (directive == "stdin") {
    auto text = unescape(value);
    if (!text) return "bad escape in stdin";
    spec.stdin_data = *text;
  }
  return "";
}

}  // namespace

ParseResult parseProgramSpec(const std::string& filename, const std::string& source) {
  ParseResult result;
  const auto slash = filename.rfind('/');
  const std::string base = slash == std::string::npos ? filename : filename.substr(slash + 1);
  const auto dot = base.rfind('.');
  auto language =
      dot == std::string::npos ? std::nullopt : languageForExtension(base.substr(dot + 1));
  if (!language) {
    result.error = base + ": unknown extension (c, cpp, py, sh, js, go, java)";
    return result;
  }
  ProgramSpec spec;
  spec.name = base.substr(0, dot);
  spec.language = *language;
  spec.source = source;
  const std::string prefix = commentPrefix(spec.language) + " ";
  auto fail = [&](int line, const std::string& why) {
    result.error = base + ":" + std::to_string(line) + ": " + why;
    return result;
  };
  StatusCount statuses;
  const auto lines = linesOf(source);
  // The header: the comment lines at the top of the file.
  for (size_t n = 0; n < lines.size() && lines[n].rfind(commentPrefix(spec.language), 0) == 0;
       ++n) {
    if (lines[n].rfind(prefix, 0) != 0) continue;
    const std::string text = lines[n].substr(prefix.size());
    const auto colon = text.find(": ");
    if (colon == std::string::npos) continue;
    const int line = static_cast<int>(n + 1);
    std::string why =
        addDirective(text.substr(0, colon), trim(text.substr(colon + 2)), line, spec, statuses);
    if (!why.empty()) return fail(line, why);
  }
  // Exactly one status on every host: one unconditional, or one each side of one feature.
  const auto& by = statuses.by_feature;
  const bool one_split =
      statuses.always == 0 && by.size() == 1 && by.begin()->second == std::pair<int, int>{1, 1};
  if (statuses.always == 0 && by.empty())
    return fail(0,
                "no \"expect: status=...\" in the header comment: every hostile program must "
                "say how it should end");
  if (!(statuses.always == 1 && by.empty()) && !one_split)
    return fail(0,
                "more than one expected status on some host (one \"expect: status\", or one "
                "\"expect if F: status\" with one \"expect unless F: status\")");
  // A judge's answer has a verdict and tests, a run's a status and output: never mixed.
  const bool judge = !spec.judge_tests.empty();
  for (const Expectation& e : spec.expectations) {
    const bool judge_key = e.key == "verdict" || e.key == "test-verdicts";
    if (judge != judge_key)
      return fail(e.line, judge ? "a judge program (judge-test:) expects verdict= and "
                                  "test-verdicts= only, not " +
                                      e.key
                                : e.key + " needs judge-test: lines (it checks /api/v1/judge)");
  }
  result.spec = std::move(spec);
  return result;
}

std::string substitute(const std::string& text, const Placeholders& placeholders, bool for_regex) {
  std::string out = text;
  for (const auto& [name, value] : placeholders) {
    std::string replacement = value;
    if (for_regex) {
      replacement.clear();
      for (char c : value) {
        if (std::strchr("\\^$.|?*+()[]{}", c) != nullptr) replacement += '\\';
        replacement += c;
      }
    }
    const std::string token = "{" + name + "}";
    for (auto at = out.find(token); at != std::string::npos;
         at = out.find(token, at + replacement.size()))
      out.replace(at, token.size(), replacement);
  }
  return out;
}

std::string routeFor(const ProgramSpec& spec) {
  return spec.judge_tests.empty() ? "/api/v1/run" : "/api/v1/judge";
}

json buildRequest(const ProgramSpec& spec, const Placeholders& placeholders) {
  json request = {{"language", spec.language}, {"source", spec.source}};
  if (!spec.judge_tests.empty()) {
    json tests = json::array();
    for (const auto& t : spec.judge_tests)
      tests.push_back({{"stdin", substitute(t.stdin_data, placeholders)},
                       {"expected_output", substitute(t.expected_output, placeholders)}});
    request["tests"] = tests;
    request["checker"] = {{"type", "exact"}};
    request["stop_on_first_failure"] = false;  // every test runs: each one is an attack
  }
  if (!spec.limits.empty()) request["limits"] = spec.limits;
  if (!spec.args.empty() || spec.generated_args > 0) {
    json args = json::array();
    for (const auto& a : spec.args) args.push_back(substitute(a, placeholders));
    for (size_t i = 0; i < spec.generated_args; ++i)
      args.push_back(std::string(spec.generated_arg_bytes, static_cast<char>('a' + i % 26)));
    request["args"] = args;
  }
  if (!spec.stdin_data.empty()) request["stdin"] = spec.stdin_data;
  if (!spec.encoding.empty()) request["encoding"] = spec.encoding;
  return request;
}

namespace {

// One expectation on a field of the answer: why it fails, or "".
std::string checkField(const Expectation& e, const json& answer, const Placeholders& ph) {
  const json field = answer.contains(e.key) ? answer[e.key] : json();
  const std::string got = "got " + field.dump();
  if (e.key == "status" || e.key == "verdict") return field == substitute(e.value, ph) ? "" : got;
  if (e.key == "test-verdicts") {
    std::string list;
    for (const auto& t : answer.value("tests", json::array()))
      list += (list.empty() ? "" : ",") + t.value("verdict", std::string("?"));
    return list == e.value ? "" : "got " + list;
  }
  if (e.key == "error") return field == substitute(*unescape(e.value), ph) ? "" : got;
  if (e.key == "error-contains") {
    const json error = answer.value("error", json());
    return error.is_string() && error.get<std::string>().find(substitute(*unescape(e.value), ph)) !=
                                    std::string::npos
               ? ""
               : "got " + error.dump();
  }
  if (e.key == "http") return field == json(*parseInteger(e.value)) ? "" : got;
  if (e.key == "exit_code" || e.key == "signal") {
    const json want = e.value == "null"   ? json()
                      : e.key == "signal" ? json(*signalNumber(e.value))
                                          : json(*parseInteger(e.value));
    return field == want ? "" : got;
  }
  if (e.key == "stdout_truncated" || e.key == "stderr_truncated")
    return field == (e.value == "true") ? "" : got;
  // time_ms, wall_ms, memory_kb
  if (!field.is_number()) return got;
  const double limit = static_cast<double>(*parseInteger(e.value));
  return (e.op == ">=" ? field.get<double>() >= limit : field.get<double>() <= limit) ? "" : got;
}

// One expectation on stdout or stderr (`out`): why it fails, or "".
std::string checkStream(const Expectation& e, const std::string& out, const Placeholders& ph) {
  const std::string check = e.key.substr(7);  // after "stdout-" or "stderr-"
  if (check == "bytes") {
    return out.size() == static_cast<size_t>(*parseInteger(e.value))
               ? ""
               : "got " + std::to_string(out.size()) + " bytes";
  }
  if (check == "line" || check == "no-line") {
    std::regex re;
    try {
      re = std::regex(substitute(e.value, ph, /*for_regex=*/true));
    } catch (const std::regex_error& err) {
      return std::string("bad regular expression: ") + err.what();
    }
    for (const auto& l : linesOf(out)) {
      if (std::regex_match(l, re)) return check == "line" ? "" : "this line matches: " + shown(l);
    }
    return check == "line" ? "no line matches in " + shown(out) : "";
  }
  // Escapes first: a placeholder's value is taken as it is.
  const std::string text = substitute(*unescape(e.value), ph);
  const bool found = out.find(text) != std::string::npos;
  if (check == "equals") return out == text ? "" : "got " + shown(out);
  if (check == "contains") return found ? "" : "not in " + shown(out);
  return found ? "found in " + shown(out) : "";  // not-contains
}

}  // namespace

std::vector<std::string> checkExpectations(const ProgramSpec& spec, const json& answer,
                                           const std::string& stdout_bytes,
                                           const std::string& stderr_bytes,
                                           const Placeholders& placeholders,
                                           const HostFeatures& features) {
  std::vector<std::string> failures;
  for (const Expectation& e : spec.expectations) {
    if (!e.feature.empty()) {
      auto it = features.find(e.feature);
      if (it == features.end()) {
        failures.push_back("line " + std::to_string(e.line) + ": host feature " + e.feature +
                           " was not probed");
        continue;
      }
      if (it->second != e.feature_holds) continue;
    }
    const bool stream = e.key.rfind("stdout-", 0) == 0 || e.key.rfind("stderr-", 0) == 0;
    const std::string why =
        !stream ? checkField(e, answer, placeholders)
                : checkStream(e, e.key[3] == 'o' ? stdout_bytes : stderr_bytes, placeholders);
    if (!why.empty())
      failures.push_back("line " + std::to_string(e.line) + " (" + e.key + e.op + e.value +
                         "): " + why);
  }
  return failures;
}

std::optional<std::string> decodeBase64(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;  // only in the last two places
      ++padding;
      bits <<= 6;
    } else {
      const auto at = kAlphabet.find(c);
      if (at == std::string::npos || padding > 0) return std::nullopt;
      bits = (bits << 6) | static_cast<uint32_t>(at);
    }
    if (++count == 4) {
      out += static_cast<char>((bits >> 16) & 0xff);
      out += static_cast<char>((bits >> 8) & 0xff);
      out += static_cast<char>(bits & 0xff);
      bits = 0;
      count = 0;
    }
  }
  out.resize(out.size() - padding);
  return out;
}

}  // namespace codecanvas::hostile
