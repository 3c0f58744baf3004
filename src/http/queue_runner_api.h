// An adapter for clients of the queue-based code runner codecanvas replaces (an API server
// in front of a RabbitMQ queue and a worker pool): its one route, POST /api, on the same
// jobs, slots and API keys. Pure like the other adapters; Api routes the request here.
//
//   POST /api {"language", "source_code", "stdin"?}
//     → 200 {"stdout", "stderr", "exit_code", "timeout", "exec_time_ms"}
//
//   - language: a codecanvas language name or alias; source_code: the program;
//   - exit_code: the program's, or 128 + the signal's number when a signal (or a limit,
//     SIGKILL) ended it; after a compile error the compiler's, with its messages (both
//     streams) in stderr and an empty stdout;
//   - timeout: true when a time limit (CPU or wall) stopped the program;
//   - exec_time_ms: the run's wall time (the compile's after a compile error);
//   - its refusals keep their statuses: 400 for a body it cannot run, 405 for another
//     method (Allow: POST), 429 when the queue is full or the key's rate is spent
//     (Retry-After), 504 when the job did not finish within the time the API waits for a
//     result (its limits plus ApiOptions::queue_runner_wait_ms, 30 s, in the queue; the
//     job is then stopped). Errors are
//     {"error": sentence} with the native "code" beside it.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <variant>

#include "api_types.h"
#include "jobs/code_runner.h"
#include "jobs/job.h"
#include "jobs/language_profile.h"
#include "request_parser.h"

namespace codecanvas::http::queue_runner {

std::variant<jobs::RunSpec, ApiError> parseRun(std::string_view body,
                                               const jobs::LanguageRegistry& languages,
                                               const InputLimits& limits);

nlohmann::json runAnswer(const jobs::JobOutcome& outcome);

}  // namespace codecanvas::http::queue_runner
