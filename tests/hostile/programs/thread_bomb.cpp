// Starts threads that never end until the next one cannot be created.
// Attacks: the process limit for threads (pids.max and RLIMIT_NPROC count threads too).
// Sandbox should: refuse the thread that would be the 33rd task of the run
// (processes=32: the main thread plus 31 more).
// limits: cpu_ms=1000 wall_ms=4000 processes=32
// expect: status=ok
// expect: stdout-equals=made 31 threads, then EAGAIN\n
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <system_error>
#include <thread>

int main() {
  int made = 0;
  try {
    for (;;) {
      std::thread([] { std::this_thread::sleep_for(std::chrono::hours(1)); }).detach();
      ++made;
    }
  } catch (const std::system_error& e) {
    std::printf("made %d threads, then %s\n", made,
                e.code().value() == EAGAIN ? "EAGAIN" : e.what());
  }
  std::fflush(stdout);
  std::_Exit(0);  // not exit(): the sleeping threads would keep the process alive
}
