// An adapter for clients of the interactive-execution server codecanvas replaces (the
// Express server whose REST path is POST /execute {language, code, input?} answering
// {executionId, status, output, exitCode}, and GET /languages listing its language keys).
// Pure, like piston_api.h: JSON in, a RunSpec or an error out; an outcome in, its answer
// out. Api routes the requests here.
//
// Its shapes, kept on the wire:
//   - language keys: python, javascript, java, cpp, c, ruby, go, dart, php, rust, csharp,
//     scala, octave, assembly; each maps to a codecanvas language, and only the keys
//     whose language this server offers are listed or accepted;
//   - a missing or empty language or code: 400 {"error": "Language and code are required"};
//     a key it does not know or this server does not offer: 500 {"error": "Unsupported
//     language: KEY"} (that server's status for it, kept so its clients see the same);
//   - input: stdin, with a newline added when it does not end with one;
//   - status "success" for exit code 0, "error" otherwise (compile errors, run-time
//     errors and limits alike); output is stdout then stderr (the compiler's messages
//     when the compile failed); exitCode is the exit code, or 128 + the signal's number
//     when a signal (or a limit, SIGKILL) ended the program, as a container's would be;
//   - the run may take 10 s of wall time, as there; the other limits are the language's.
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

namespace codecanvas::http::exec_server {

// GET /languages: the keys whose language this server offers, in that server's order.
nlohmann::json languages(const jobs::LanguageRegistry& languages);

std::variant<jobs::RunSpec, ApiError> parseExecute(std::string_view body,
                                                   const jobs::LanguageRegistry& languages,
                                                   const InputLimits& limits);

// The answer; `execution_id` names the run (a UUID).
nlohmann::json executeAnswer(const jobs::JobOutcome& outcome, const std::string& execution_id);

// A random (version 4) UUID.
std::string newExecutionId();

}  // namespace codecanvas::http::exec_server
