// /box and /tmp between the runs of one job. Keeper only, while no process of a run is
// alive (before a clone, after the reap).
//
// A job's steps share /box: the compile step leaves its program there, and every run (a
// judge's tests) starts it. No run may change what the runs after it find:
//   - Before a program's run, seal(): every entry the controller or an earlier step put
//     in /box becomes root's and read-only (a+r, execute bits kept, no w), and /box
//     itself root's with mode 1777. The sticky bit lets a program add entries but not
//     remove, rename or chmod what it does not own; the program owns nothing sealed.
//   - After every run, afterRun(): what the run added to /box is removed, and /tmp, if
//     the run left anything in it, is replaced with a fresh tmpfs.
//   - A run's output directory (RunPlan::output_dir) is neither sealed nor taken back:
//     the program writes its files there and the controller reads them after the run;
//     the wipe after the job removes them.
// When a run wrote nothing (the common judge test) the checks are a readdir of /box and a
// statfs of /tmp.
#pragma once

#include <sys/stat.h>

#include <set>
#include <string>

#include "protocol.h"
#include "result.h"

namespace codecanvas::processor {

class WorkDirs {
 public:
  explicit WorkDirs(const protocol::Init& init) : init_(init) {}

  // Seals what is in /box now and was not sealed before, but the entry `output_dir`.
  Status seal(const std::string& output_dir);
  // Takes back what the run added to /box but `output_dir` (only after a sealed run: a
  // compile step's output is what the next seal keeps) and empties /tmp.
  Status afterRun(bool sealed_run, const std::string& output_dir);
  // After the keeper mounted a fresh /box: nothing is sealed.
  void forget() { sealed_.clear(); }

 private:
  Status emptyTmp();
  Status takeBackBox(const std::string& output_dir);

  const protocol::Init& init_;
  std::set<std::string> sealed_;  // names at the top of /box that a run must find again
};

}  // namespace codecanvas::processor
