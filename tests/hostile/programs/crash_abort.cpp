// Throws an exception nobody catches: std::terminate, then abort().
// Attacks: crash reporting for the most common C++ failure.
// Sandbox should: report runtime_error, signal SIGABRT, with the runtime's message on
// stderr.
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=runtime_error
// expect: signal=SIGABRT
// expect: stderr-contains=terminate called after throwing an instance of 'std::runtime_error'
#include <stdexcept>

int main() {
  throw std::runtime_error("nobody catches this");
}
