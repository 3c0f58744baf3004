// The sandbox core reports failure as a value, never as an exception: a Result<T> holds
// either a T or an Error whose message names the failing call, its arguments and errno,
// e.g. "mount(src=/usr, dst=/tmp/usr, flags=MS_BIND): EPERM (Operation not permitted)".
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace codecanvas {

struct Error {
  std::string message;
  int errno_value = 0;  // 0 when the failure is not a system call's
};

// Formats "what: ENAME (description)" for the given errno value.
std::string errnoText(int err);

// An Error for a failed system call; `call` names the call and its important arguments.
// Reads errno, so call it before anything else can change errno.
Error sysError(std::string call);
Error sysError(std::string call, int err);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

// Prefixes an error with context: "slot 3: " + "mount(...): EPERM".
inline Error withContext(const std::string& context, Error e) {
  e.message = context + ": " + e.message;
  return e;
}

}  // namespace codecanvas
