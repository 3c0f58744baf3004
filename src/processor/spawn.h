// Starting the processor child from the keeper: clone3 with CLONE_VM | CLONE_VFORK.
//
// The child shares the keeper's memory instead of copying its page tables (the saving
// docs/performance.md, "Facts behind the design": 60-130 us a run), runs on a stack of its own, and
// the keeper sleeps until the child has exec'ed or exited, so nothing in the shared memory changes
// under it. That is safe only because the child runs nothing but runChild, which allocates nothing
// and writes nothing but its own stack (and errno, which the suspended keeper does not read).
// Keeper only; single-threaded.
#pragma once

#include <sys/types.h>

#include "exec_sequence.h"
#include "result.h"

namespace codecanvas::processor {

class Spawner {
 public:
  // Maps the child's stack (with a guard page below it) once.
  static Result<Spawner> create();
  ~Spawner();
  Spawner(Spawner&& other) noexcept;
  Spawner& operator=(Spawner&&) = delete;

  // Runs `plan` in a new child, born in the cgroup `cgroup_fd` when >= 0 (v2). Returns
  // once the child has exec'ed (or failed and exited): its pid, or an errno value.
  Result<pid_t> spawn(const ExecPlan& plan, int cgroup_fd);

 private:
  Spawner(void* stack, size_t size) : stack_(stack), size_(size) {}
  void* stack_ = nullptr;
  size_t size_ = 0;
};

}  // namespace codecanvas::processor
