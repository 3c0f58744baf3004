// The live side of a run (an interactive session over WebSocket): instead of a stdin given
// up front and the output handed over at the end, the program's stdin is a pipe whose write
// end goes to the session, and what the program writes is handed over as it arrives.
//
// Backpressure: each stream has at most one chunk with the session at a time. The next
// chunk is read from the pipe only after the session called `more` (when it has written the
// chunk to its client), so a program that writes faster than its client reads blocks in
// write() on a full pipe: nothing is buffered without bound. Once the run has ended (the
// keeper reported it, every process of the run is gone), what is left in the pipes (at
// most their size) is read at once and handed over without `more`.
//
// The output limit still applies to everything the program writes, and the run's result
// still carries its output (up to that limit), as for a batch run.
#pragma once

#include <functional>
#include <string>

#include "unique_fd.h"

namespace codecanvas::sandbox {

class LiveIo {
 public:
  virtual ~LiveIo() = default;
  // The run's event-loop thread, once, when the run has gone to the keeper:
  // `stdin_write` is the write end of the program's stdin (close-on-exec); closing it is
  // the program's end of input. `kill` (any thread, any number of times) kills the run;
  // its status is then "killed" unless it had already ended otherwise.
  virtual void started(UniqueFd stdin_write, std::function<void()> kill) = 0;
  // The run's event-loop thread: `chunk` is what the program wrote to `stream` (1: stdout,
  // 2: stderr). `more` (any thread, at most once) lets the next chunk of that stream be
  // read; it is empty when the run has ended and nothing waits for it.
  virtual void output(int stream, std::string chunk, std::function<void()> more) = 0;
};

}  // namespace codecanvas::sandbox
