// Reading a whole configuration file (rootfs manifest, seccomp policy, later language
// profiles): one function, so every such file gets the same errors and the same cap.
#pragma once

#include <cstddef>
#include <string>

#include "result.h"

namespace codecanvas {

// The file's text. Errors name the path and errno; a file larger than `max_bytes` is an
// error too (a configuration file is a page of text, not a data set).
Result<std::string> readTextFile(const std::string& path, size_t max_bytes = 1 << 20);

}  // namespace codecanvas
