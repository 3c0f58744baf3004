// codecanvas-run: runs one program in a sandbox slot, without the HTTP service.
//
//   codecanvas-run [options] -- PROGRAM [ARGS...]
//
// Prints one JSON object per run. Exit status: 0 when the sandbox worked, whatever the
// program did; 1 when a run failed inside the sandbox machinery; 2 for bad usage or
// when the sandbox could not be set up (not root, cgroups, manifest, processor).
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "jobs/result_json.h"
#include "sandbox/sandbox.h"

namespace {

using namespace codecanvas::cgroup;
using namespace codecanvas::sandbox;
using namespace codecanvas::jobs;

constexpr const char* kUsage = R"(usage: codecanvas-run [options] -- PROGRAM [ARGS...]

Runs PROGRAM in a codecanvas sandbox slot (cwd /box) and prints one JSON object per run:
status, exit_code, signal, time_ms, wall_ms, memory_kb, stdout, stderr, stdout_truncated,
stderr_truncated, error.

options:
  --cpu-ms N        CPU time limit, all processes together (default 2000)
  --wall-ms N       wall-clock limit (default 5000)
  --memory-kb N     memory limit (default 262144)
  --processes N     processes and threads (default 64)
  --output-kb N     cap on stdout and on stderr, each (default 1024)
  --stdin FILE      stdin of the program (default: empty)
  --copy-in FILE    copy FILE into /box first, keeping its mode (repeatable)
  --repeat N        run N times in the same slot, one JSON line each (default 1)
  --uid-base N      uid of the slot (default 60100)
  --help            this text

exit status: 0 the sandbox worked (whatever the program did), 1 a sandbox step failed,
2 bad usage or the sandbox could not be set up.
)";

std::optional<uint64_t> parseNumber(const char* text, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  const char* end = text + std::strlen(text);
  auto [p, ec] = std::from_chars(text, end, v);
  if (ec != std::errc() || p != end || v < min || v > max) return std::nullopt;
  return v;
}

struct Options {
  RunRequest request;
  uint64_t repeat = 1;
  uint32_t uid_base = 60100;
};

int usageError(const std::string& message) {
  std::fprintf(stderr, "codecanvas-run: %s\n(see codecanvas-run --help)\n", message.c_str());
  return 2;
}

// Returns an exit code when parsing ends the program (help, error); nullopt to go on.
std::optional<int> parseArgs(int argc, char** argv, Options& o) {
  Limits& l = o.request.limits;
  struct NumberFlag {
    const char* name;
    uint64_t* target;
    uint64_t min, max;
  };
  uint64_t uid_base = o.uid_base;
  const NumberFlag numbers[] = {{"--cpu-ms", &l.cpu_ms, 1, 3600000},
                                {"--wall-ms", &l.wall_ms, 1, 3600000},
                                {"--memory-kb", &l.memory_kb, 1024, 1ull << 32},
                                {"--processes", &l.processes, 1, 100000},
                                {"--output-kb", &l.output_kb, 1, 1 << 20},
                                {"--repeat", &o.repeat, 1, 1000000},
                                {"--uid-base", &uid_base, 1000, 4000000000ull}};
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) return usageError("unknown option or missing value: " + arg);
    const char* value = argv[++i];
    bool matched = false;
    for (const auto& f : numbers) {
      if (arg != f.name) continue;
      auto v = parseNumber(value, f.min, f.max);
      if (!v)
        return usageError(arg + " wants a whole number from " + std::to_string(f.min) + " to " +
                          std::to_string(f.max) + ", not '" + value + "'");
      *f.target = *v;
      matched = true;
    }
    if (matched) continue;
    if (arg == "--stdin") {
      // A directory, device or FIFO as stdin would hand the program a host object (a
      // directory fd is a way out of the chroot); the slot opens it again and checks.
      struct stat st {};
      if (::stat(value, &st) != 0 || !S_ISREG(st.st_mode))
        return usageError(std::string("--stdin: not a readable regular file: ") + value);
      o.request.stdin_path = value;
    } else if (arg == "--copy-in") {
      struct stat st {};
      if (::stat(value, &st) != 0 || !S_ISREG(st.st_mode))
        return usageError(std::string("--copy-in: not a readable regular file: ") + value);
      std::string name = value;
      name = name.substr(name.rfind('/') + 1);
      o.request.files.push_back({name, "", value, static_cast<uint32_t>(st.st_mode & 0777)});
    } else {
      return usageError("unknown option: " + arg);
    }
  }
  for (; i < argc; ++i) o.request.argv.push_back(argv[i]);
  if (o.request.argv.empty()) return usageError("no program given after --");
  o.uid_base = static_cast<uint32_t>(uid_base);
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (auto code = parseArgs(argc, argv, o)) return *code;
  boost::asio::io_context io;
  SandboxOptions so;
  so.uid_base = o.uid_base;
  auto sandbox = Sandbox::create(io, so);
  if (!sandbox) {
    std::fprintf(stderr, "codecanvas-run: cannot set up the sandbox: %s\n",
                 sandbox.error().message.c_str());
    return 2;
  }
  for (const auto& w : sandbox.value()->warnings())
    std::fprintf(stderr, "codecanvas-run: warning: %s\n", w.c_str());
  int exit_code = 0;
  for (uint64_t n = 0; n < o.repeat; ++n) {
    RunResult r = runAndWipe(io, sandbox.value()->slot(0), o.request);
    std::cout << resultToJson(r).dump() << std::endl;
    if (r.status == RunStatus::kInternalError && r.failed_step != "execve") {
      exit_code = 1;
      break;
    }
  }
  return exit_code;
}
