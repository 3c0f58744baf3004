// The JSON of runs and jobs, in one place: codecanvas-run prints resultToJson, and the
// HTTP API answers /api/v1/run with runAnswer and /api/v1/judge with judgeAnswer. Every
// shape is built from runJson, so a field means the same wherever it appears.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "jobs/job.h"
#include "jobs/language_profile.h"
#include "sandbox/run_types.h"

namespace codecanvas::jobs {

// How a program's output goes into JSON: as text with the bytes that are not valid UTF-8
// replaced by U+FFFD, or base64-encoded byte for byte.
enum class TextEncoding { kUtf8, kBase64 };
const char* encodingName(TextEncoding e);  // "utf-8" or "base64"

// A program's output as a JSON string in the given encoding.
nlohmann::json outputText(const std::string& bytes, TextEncoding encoding);
std::string base64Encode(std::string_view bytes);
// The bytes of base64 text (either alphabet, '+/' or '-_'; padding and line breaks
// ignored); nullopt for any other character.
std::optional<std::string> base64Decode(std::string_view text);
// How much of `bytes` can go out as text now (output streamed in chunks): all of it, except
// an incomplete UTF-8 sequence at its end, which waits for the next chunk (a character the
// pipe split in two). Invalid bytes do not wait: they go out and become U+FFFD.
size_t completeUtf8Prefix(std::string_view bytes);

// A run's end as a shell (and a container) reports it: 128 + the signal that ended it,
// else its exit code, else `otherwise` (a run that has neither, e.g. one that never
// started).
int shellStatus(const sandbox::RunResult& r, int otherwise);

// The limits a request may set: cpu_ms, wall_ms, memory_kb, output_kb, processes.
nlohmann::json limitsJson(const sandbox::Limits& l);

// One run: status, error (null when ok), exit_code, signal, time_ms, wall_ms, memory_kb
// (null when not measured), stdout, stderr, stdout_truncated, stderr_truncated.
nlohmann::json runJson(const sandbox::RunResult& r, TextEncoding encoding);

// runJson and what an operator at the command line wants besides: the exec-sequence step
// that failed (failed_step, errno), where CPU and memory were measured, every limit.
nlohmann::json resultToJson(const sandbox::RunResult& r,
                            TextEncoding encoding = TextEncoding::kUtf8);

// The answer to POST /api/v1/run: language, version, compile (runJson of the compile step
// with its own status and "cached", or null), limits, encoding, then the run's fields; when
// the compile failed, status "compile_error", the compiler's messages in stderr and the
// run's figures null.
nlohmann::json runAnswer(const LanguageProfile& language, const JobOutcome& outcome,
                         const sandbox::Limits& limits, TextEncoding encoding);

// A judge's own program as its answer names it.
struct JudgeProgramInfo {
  const char* role;  // "interactor" or "checker_program": the answer's key
  const LanguageProfile* language;
  sandbox::Limits limits;
};

// The answer to POST /api/v1/judge: the head of runAnswer, checker, verdict (judge::
// submissionVerdict), stopped, output_cut, a test entry per planned test (its verdict and
// figures; a failing test also its output and error, a test that did not run only
// "skipped"), max_time_ms and max_memory_kb. With a judge program: an object under its
// role (language, version, compile, limits), each test's judge_exit_code, message and
// points (points when it gave them), and the points of all tests (null when none).
nlohmann::json judgeAnswer(const LanguageProfile& language, const JobOutcome& outcome,
                           const sandbox::Limits& limits, TextEncoding encoding,
                           std::string_view checker, size_t planned_tests,
                           const JudgeProgramInfo* program = nullptr);

}  // namespace codecanvas::jobs
