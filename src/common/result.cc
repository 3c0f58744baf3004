#include "result.h"

#include <cstring>

namespace codecanvas {

std::string errnoText(int err) {
  const char* name = ::strerrorname_np(err);
  std::string text = name != nullptr ? name : "errno " + std::to_string(err);
  text += " (";
  text += ::strerrordesc_np(err) != nullptr ? ::strerrordesc_np(err) : "unknown error";
  text += ")";
  return text;
}

Error sysError(std::string call) {
  return sysError(std::move(call), errno);
}

Error sysError(std::string call, int err) {
  return Error{std::move(call) + ": " + errnoText(err), err};
}

}  // namespace codecanvas
