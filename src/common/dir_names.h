// The names in a directory, for the two sides that walk /box: the keeper (what a run left)
// and the controller (what a run leaves for its caller).
#pragma once

#include <string>
#include <vector>

#include "result.h"

namespace codecanvas {

// The names in the directory `dir_fd` (not consumed) but "." and "..", in the order the
// file system gives them; read through a descriptor of its own, so that `dir_fd`'s offset
// is untouched. `what` names the directory in errors.
Result<std::vector<std::string>> namesIn(int dir_fd, const std::string& what);

}  // namespace codecanvas
