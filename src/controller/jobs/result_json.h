// The JSON shape of one run, as codecanvas-run prints it and the HTTP API returns it.
#pragma once

#include <nlohmann/json.hpp>

#include "sandbox/run_types.h"

namespace codecanvas::jobs {

// How a program's output goes into JSON: as text with the bytes that are not valid UTF-8
// replaced by U+FFFD, or base64-encoded byte for byte.
enum class TextEncoding { kUtf8, kBase64 };

nlohmann::json limitsToJson(const sandbox::Limits& l);
nlohmann::json resultToJson(const sandbox::RunResult& r,
                            TextEncoding encoding = TextEncoding::kUtf8);
// A program's output as a JSON string in the given encoding.
nlohmann::json outputText(const std::string& bytes, TextEncoding encoding);
std::string base64Encode(std::string_view bytes);

}  // namespace codecanvas::jobs
