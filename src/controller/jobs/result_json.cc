#include "jobs/result_json.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "judge/verdicts.h"

namespace codecanvas::jobs {

using sandbox::RunStatus;

namespace {

// Rounded to microseconds: more digits than that would be noise, not measurement.
double roundMs(double ms) {
  return std::round(ms * 1000.0) / 1000.0;
}

template <class T>
nlohmann::json orNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// nlohmann::json refuses invalid UTF-8 when serialising; a program's output may be any
// bytes, so keep it as text with the invalid sequences replaced.
std::string validUtf8(const std::string& s) {
  const auto dumped =
      nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(dumped).get<std::string>();
}

}  // namespace

size_t completeUtf8Prefix(std::string_view b) {
  // The lead byte of the last sequence is at most 3 bytes back.
  const size_t n = b.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(b[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    size_t need = 0;
    if ((c & 0xE0) == 0xC0)
      need = 2;
    else if ((c & 0xF0) == 0xE0)
      need = 3;
    else if ((c & 0xF8) == 0xF0)
      need = 4;
    else
      return n;  // ASCII or an invalid byte: nothing to wait for
    return back < need ? n - back : n;
  }
  return n;  // only continuation bytes at the end: invalid, they go as they are
}

std::optional<std::string> base64Decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=' || c == '\n' || c == '\r')
      continue;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

nlohmann::json outputText(const std::string& bytes, TextEncoding encoding) {
  return encoding == TextEncoding::kBase64 ? base64Encode(bytes) : validUtf8(bytes);
}

const char* encodingName(TextEncoding e) {
  return e == TextEncoding::kBase64 ? "base64" : "utf-8";
}

int shellStatus(const sandbox::RunResult& r, int otherwise) {
  if (r.signal) return 128 + *r.signal;
  if (r.exit_code) return *r.exit_code;
  return otherwise;
}

nlohmann::json limitsJson(const sandbox::Limits& l) {
  return {{"cpu_ms", l.cpu_ms},
          {"wall_ms", l.wall_ms},
          {"memory_kb", l.memory_kb},
          {"output_kb", l.output_kb},
          {"processes", l.processes}};
}

nlohmann::json runJson(const sandbox::RunResult& r, TextEncoding encoding) {
  nlohmann::json j;
  j["status"] = sandbox::statusName(r.status);
  j["error"] = r.status == RunStatus::kOk
                   ? nlohmann::json(nullptr)
                   : nlohmann::json(r.error.empty() ? sandbox::statusName(r.status) : r.error);
  j["exit_code"] = orNull(r.exit_code);
  j["signal"] = orNull(r.signal);
  j["time_ms"] = r.time_ms ? nlohmann::json(roundMs(*r.time_ms)) : nlohmann::json(nullptr);
  j["wall_ms"] = roundMs(r.wall_ms);
  j["memory_kb"] = orNull(r.memory_kb);
  j["stdout"] = outputText(r.stdout_data, encoding);
  j["stderr"] = outputText(r.stderr_data, encoding);
  j["stdout_truncated"] = r.stdout_truncated;
  j["stderr_truncated"] = r.stderr_truncated;
  return j;
}

nlohmann::json resultToJson(const sandbox::RunResult& r, TextEncoding encoding) {
  nlohmann::json j = runJson(r, encoding);
  if (!r.failed_step.empty()) {
    j["failed_step"] = r.failed_step;
    j["errno"] = r.failed_errno;
  }
  j["measured"] = {{"cpu", sandbox::sourceName(r.cpu_source)},
                   {"memory", sandbox::sourceName(r.memory_source)}};
  j["limits"] = limitsJson(r.limits);
  j["limits"]["file_kb"] = r.limits.file_kb;
  j["limits"]["open_files"] = r.limits.open_files;
  j["limits"]["stack_kb"] = r.limits.stack_kb;
  return j;
}

namespace {

// The fields every /run and /judge answer starts with.
nlohmann::json answerHead(const LanguageProfile& lang, const JobOutcome& o,
                          const sandbox::Limits& limits, TextEncoding enc) {
  nlohmann::json compile = nullptr;
  if (o.compile) {
    compile = runJson(*o.compile, enc);
    compile["status"] = judge::compileStatus(*o.compile);
    compile["cached"] = o.compile_cached;
  }
  return {{"language", lang.name},
          {"version", lang.version},
          {"compile", std::move(compile)},
          {"limits", limitsJson(limits)},
          {"encoding", encodingName(enc)}};
}

}  // namespace

nlohmann::json runAnswer(const LanguageProfile& language, const JobOutcome& outcome,
                         const sandbox::Limits& limits, TextEncoding encoding) {
  nlohmann::json j = answerHead(language, outcome, limits, encoding);
  if (compileFailed(outcome) || outcome.runs.empty()) {
    // The program did not run. The compiler's messages also go to "stderr", where clients
    // of the original API look for them: its stdout, then its stderr (fpc and tsc write
    // their errors to stdout).
    sandbox::RunResult none;
    if (outcome.compile)
      none.stderr_data = outcome.compile->stdout_data + outcome.compile->stderr_data;
    j.update(runJson(none, encoding));
    j["status"] = "compile_error";
    j["error"] = "compile error";
    j["wall_ms"] = nullptr;
  } else {
    j.update(runJson(outcome.runs.front(), encoding));
  }
  return j;
}

nlohmann::json judgeAnswer(const LanguageProfile& language, const JobOutcome& outcome,
                           const sandbox::Limits& limits, TextEncoding encoding,
                           std::string_view checker, size_t planned_tests,
                           const JudgeProgramInfo* program) {
  const bool judge_failed =
      outcome.companion_compile && outcome.companion_compile->status != RunStatus::kOk;
  const judge::SubmissionVerdict verdict =
      judge::submissionVerdict(compileFailed(outcome), planned_tests, outcome.verdicts,
                               !outcome.stopped.empty(), judge_failed);
  nlohmann::json j = answerHead(language, outcome, limits, encoding);
  j["checker"] = checker;
  std::optional<double> points;
  if (program) {
    nlohmann::json compile = nullptr;
    if (const auto& c = outcome.companion_compile) {
      compile = runJson(*c, encoding);
      compile["status"] = judge::compileStatus(*c);
      compile["cached"] = outcome.companion_compile_cached;
    }
    j[program->role] = {{"language", program->language->name},
                        {"version", program->language->version},
                        {"compile", std::move(compile)},
                        {"limits", limitsJson(program->limits)}};
  }
  nlohmann::json tests = nlohmann::json::array();
  double max_time = 0;
  uint64_t max_memory = 0;
  for (size_t i = 0; i < verdict.tests.size(); ++i) {
    if (verdict.tests[i] == "skipped") {
      tests.push_back({{"verdict", "skipped"}});
      continue;
    }
    const sandbox::RunResult& r = outcome.runs.at(i);
    nlohmann::json t = runJson(r, encoding);
    t.erase("status");
    if (verdict.tests[i] == judge::kAccepted) {
      // An accepted test's output is not kept (JobOutcome::verdicts), and leaving the
      // fields out keeps a 100-test answer small.
      for (const char* k : {"stdout", "stderr", "stdout_truncated", "stderr_truncated", "error"})
        t.erase(k);
    }
    t["verdict"] = verdict.tests[i];
    if (i < outcome.companion_runs.size() && outcome.companion_runs[i]) {
      // What the judge's program said of the test: its exit code, its message (stderr,
      // cut to kCompanionMessageBytes) and the points it gave.
      const sandbox::RunResult& c = *outcome.companion_runs[i];
      t["judge_exit_code"] = orNull(c.exit_code);
      t["message"] = outputText(c.stderr_data, encoding);
      if (verdict.tests[i] == judge::kPoints) {
        if (auto p = judge::judgeProgramPoints(c)) {
          t["points"] = *p;
          points = points.value_or(0) + *p;
        }
      }
    }
    max_time = std::max(max_time, r.time_ms.value_or(0));
    max_memory = std::max(max_memory, r.memory_kb.value_or(0));
    tests.push_back(std::move(t));
  }
  j["verdict"] = verdict.verdict;
  j["stopped"] =
      outcome.stopped.empty() ? nlohmann::json(nullptr) : nlohmann::json(outcome.stopped);
  j["output_cut"] = outcome.output_cut;
  j["tests"] = std::move(tests);
  j["max_time_ms"] = roundMs(max_time);
  j["max_memory_kb"] = max_memory;
  if (program) j["points"] = orNull(points);
  return j;
}

}  // namespace codecanvas::jobs
