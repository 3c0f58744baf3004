// The rootfs manifest: which host paths a slot sees, read-only, at the same place.
//
//   # comment
//   /usr                 required: a missing path is a set-up error
//   /lib64  optional     skipped when the host has no such path
//
// Pure parsing, unit-tested; the file lives in rootfs/ (default.manifest).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol.h"
#include "result.h"

namespace codecanvas::sandbox {

Result<std::vector<protocol::BindEntry>> parseRootfsManifest(std::string_view text,
                                                             std::string_view origin);
Result<std::vector<protocol::BindEntry>> loadRootfsManifest(const std::string& path);

}  // namespace codecanvas::sandbox
