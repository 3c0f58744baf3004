// The JSON shape of one run, as codecanvas-run prints it and the HTTP API returns it.
#pragma once

#include <nlohmann/json.hpp>

#include "run_types.h"

namespace codecanvas::controller {

nlohmann::json limitsToJson(const Limits& l);
// Output that is not valid UTF-8 has its invalid bytes replaced (U+FFFD).
nlohmann::json resultToJson(const RunResult& r);

}  // namespace codecanvas::controller
