// The Piston v2 API as an adapter over the same jobs as /api/v1 (clients, bots and
// tutorials written for Piston work unchanged): GET runtimes, POST execute and GET
// packages, under both /api/v2/ and /api/v2/piston/. Pure: JSON in, a RunSpec or an
// error out; an outcome in, Piston's answer out. Api routes the requests here.
//
// Where Piston and codecanvas differ, Piston's shape wins on the wire:
//   - errors are {"message": sentence} (400 for a bad request or an unknown runtime);
//   - every body is parsed as JSON whatever its Content-Type (the npm piston-client sends
//     text/plain);
//   - a missing "version" means any version ("*"), as a range does;
//   - *_timeout (wall ms), *_cpu_time (ms) and *_memory_limit (bytes) of the run; -1, 0
//     or null mean the language's default, larger values are clamped to the maximums.
//     The compile step keeps the language's own limits;
//   - files: the first one in utf8 is the program (stored under the language's source
//     file name); the others go to /box under their own plain names (Piston's
//     "file<i>.code" when the name is missing or empty); encoding utf8, base64 or hex;
//   - stdin ends with a newline, added when it has none (an empty one becomes "\n").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "api_types.h"
#include "jobs/code_runner.h"
#include "jobs/job.h"
#include "jobs/language_profile.h"
#include "request_parser.h"

namespace codecanvas::http::piston {

// Does `version` ("3.11.2") satisfy the semver range `range`? Supported: "*", "" and "x",
// partial and x-ranges ("3", "3.11", "3.x", "3.11.*"), exact versions, comparators
// (>=, >, <=, <, =), caret and tilde ranges (^3.1, ~3.11.0), hyphen-free conjunctions
// separated by spaces and alternatives separated by "||". A version or range piece that
// is not numbers and dots does not match.
bool versionSatisfies(std::string_view version, std::string_view range);

// GET runtimes: [{language, version, aliases, runtime}] for every offered language.
nlohmann::json runtimes(const jobs::LanguageRegistry& languages);
// GET packages: [{language, language_version, installed: true}]: a codecanvas server
// offers what its host has installed, nothing to install over the API.
nlohmann::json packages(const jobs::LanguageRegistry& languages);

// POST execute: the body as a run of the native API (its limits as RequestedLimits).
std::variant<jobs::RunSpec, ApiError> parseExecute(std::string_view body,
                                                   const jobs::LanguageRegistry& languages,
                                                   const InputLimits& limits);
// The answer to an execute: {language, version, run: {...}, compile: {...}} (compile only
// for a compiled language; when the compile failed, run repeats it, as Piston does).
nlohmann::json executeAnswer(const jobs::LanguageProfile& language, const jobs::JobOutcome& o);

// Piston's WebSocket (GET /api/v2/connect), served by a LiveSession in this dialect:
// {"type": "runtime", language, version} once the job is admitted;
nlohmann::json runtimeMessage(const jobs::LanguageProfile& language);
// {"type": "exit", stage, code, signal} when a stage ended ("compile" or "run"): the code
// and signal of that stage in the execute answer.
nlohmann::json exitMessage(const char* stage, const sandbox::RunResult& r);
// Piston's signal names ("SIGKILL", ...): a "signal" message naming another is refused.
bool isSignalName(std::string_view name);

// A native error answer in Piston's shape: {"message": sentence}, same status.
HttpResponse asPistonError(HttpResponse native);

}  // namespace codecanvas::http::piston
