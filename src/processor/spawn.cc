#include "spawn.h"

#include <linux/sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <cerrno>

// clone3 with a new stack cannot return through a C function: the child would pop a
// return address from a stack that has none. This entry point makes the system call
// itself and, in the child, calls fn(arg) on the new stack; fn never returns. In the
// parent it returns the child's pid or -errno, as the raw system call does.
//   long codecanvasClone3Run(clone_args* args, size_t size, void (*fn)(void*), void* arg)
extern "C" long codecanvasClone3Run(clone_args* args, size_t size, void (*fn)(void*), void* arg);
asm(R"(
    .text
    .globl codecanvasClone3Run
    .type codecanvasClone3Run, @function
codecanvasClone3Run:
    endbr64
    mov %rdx, %r8
    mov %rcx, %r9
    mov $435, %eax
    syscall
    test %rax, %rax
    jnz 1f
    xor %ebp, %ebp
    mov %r9, %rdi
    call *%r8
    hlt
1:
    ret
    .size codecanvasClone3Run, .-codecanvasClone3Run
    .section .note.GNU-stack,"",@progbits
    .text
)");

static_assert(SYS_clone3 == 435, "the assembly above hard-codes clone3's number on x86_64");

namespace codecanvas::processor {

namespace {

constexpr size_t kStackSize = 256 * 1024;
constexpr size_t kGuardSize = 4096;

void childEntry(void* plan) {
  runChild(*static_cast<const ExecPlan*>(plan));
}

}  // namespace

Result<Spawner> Spawner::create() {
  void* map = ::mmap(nullptr, kStackSize + kGuardSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (map == MAP_FAILED) return sysError("mmap(child stack, " + std::to_string(kStackSize) + ")");
  // A stack overflow in the child hits the guard page instead of the keeper's memory.
  if (::mprotect(map, kGuardSize, PROT_NONE) != 0) {
    Error e = sysError("mprotect(child stack guard)");
    ::munmap(map, kStackSize + kGuardSize);
    return e;
  }
  return Spawner(map, kStackSize + kGuardSize);
}

Spawner::~Spawner() {
  if (stack_ != nullptr) ::munmap(stack_, size_);
}

Spawner::Spawner(Spawner&& other) noexcept : stack_(other.stack_), size_(other.size_) {
  other.stack_ = nullptr;
}

Result<pid_t> Spawner::spawn(const ExecPlan& plan, int cgroup_fd) {
  clone_args args{};
  args.flags = CLONE_VM | CLONE_VFORK;
  args.exit_signal = SIGCHLD;
  args.stack = reinterpret_cast<uint64_t>(stack_) + kGuardSize;
  args.stack_size = kStackSize;
  if (cgroup_fd >= 0) {
    // Born inside the run's v2 cgroup: no migration, no cgroup.procs write.
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  long pid = codecanvasClone3Run(&args, sizeof args, childEntry, const_cast<ExecPlan*>(&plan));
  if (pid < 0) return Error{"clone3(CLONE_VM|CLONE_VFORK)", static_cast<int>(-pid)};
  return static_cast<pid_t>(pid);
}

}  // namespace codecanvas::processor
