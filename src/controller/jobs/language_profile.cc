#include "jobs/language_profile.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <thread>

#include "common/child_process.h"
#include "common/text_file.h"
#include "sandbox/run_plan.h"
#include "unique_fd.h"

namespace codecanvas::jobs {

namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Reads field `key` of `obj` as a list of non-empty strings.
Result<std::vector<std::string>> stringList(const json& obj, const char* key, bool required) {
  std::vector<std::string> out;
  if (!obj.contains(key)) {
    if (required) return Error{std::string("\"") + key + "\" is missing", EINVAL};
    return out;
  }
  const json& v = obj.at(key);
  if (!v.is_array()) return Error{std::string("\"") + key + "\" must be a list of strings", EINVAL};
  for (const json& item : v) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty())
      return Error{std::string("\"") + key + "\" must hold non-empty strings only", EINVAL};
    out.push_back(item.get<std::string>());
  }
  if (required && out.empty())
    return Error{std::string("\"") + key + "\" must not be empty", EINVAL};
  return out;
}

// Overrides the fields of `base` that `obj` names. Every value is a positive integer.
Result<sandbox::Limits> limitsFrom(const json& obj, sandbox::Limits base,
                                   const std::string& where) {
  if (!obj.is_object()) return Error{where + " must be an object of limits", EINVAL};
  struct Field {
    const char* key;
    uint64_t sandbox::Limits::*member;
  };
  static constexpr Field kFields[] = {
      {"cpu_ms", &sandbox::Limits::cpu_ms},         {"wall_ms", &sandbox::Limits::wall_ms},
      {"memory_kb", &sandbox::Limits::memory_kb},   {"output_kb", &sandbox::Limits::output_kb},
      {"processes", &sandbox::Limits::processes},   {"file_kb", &sandbox::Limits::file_kb},
      {"open_files", &sandbox::Limits::open_files}, {"stack_kb", &sandbox::Limits::stack_kb},
  };
  for (const auto& [key, value] : obj.items()) {
    // An init-capture: clang before 16 cannot capture a structured binding (the fuzz build).
    const Field* f = std::find_if(std::begin(kFields), std::end(kFields),
                                  [&key = key](const Field& x) { return key == x.key; });
    if (f == std::end(kFields)) {
      if (key == "address_space_kb" && value.is_number_unsigned() && value.get<uint64_t>() > 0) {
        base.address_space_kb = value.get<uint64_t>();
        continue;
      }
      return Error{where + " has an unknown limit \"" + key + "\"", EINVAL};
    }
    if (!value.is_number_unsigned() || value.get<uint64_t>() == 0)
      return Error{where + "." + key + " must be a positive integer", EINVAL};
    base.*(f->member) = value.get<uint64_t>();
  }
  return base;
}

Result<LanguageProfile> parseProfileJson(const json& j, LanguageProfile p) {
  if (!j.is_object()) return Error{"a profile must be a JSON object", EINVAL};
  auto str = [&](const char* key, bool required) -> Result<std::string> {
    if (!j.contains(key)) {
      if (required) return Error{std::string("\"") + key + "\" is missing", EINVAL};
      return std::string();
    }
    if (!j.at(key).is_string())
      return Error{std::string("\"") + key + "\" must be a string", EINVAL};
    return j.at(key).get<std::string>();
  };
  auto name = str("name", true);
  if (!name) return name.error();
  p.name = lower(name.value());
  if (p.name.empty()) return Error{"\"name\" must not be empty", EINVAL};
  auto aliases = stringList(j, "aliases", false);
  if (!aliases) return aliases.error();
  for (auto& a : aliases.value()) p.aliases.push_back(lower(a));
  auto source = str("source_file", true);
  if (!source) return source.error();
  p.source_file = source.value();
  if (p.source_file.empty() || p.source_file.find('/') != std::string::npos ||
      p.source_file == "." || p.source_file == "..")
    return Error{"\"source_file\" must be a plain file name like main.c", EINVAL};
  auto version = stringList(j, "version", true);
  if (!version) return version.error();
  p.version_command = std::move(version.value());
  auto run = stringList(j, "run", true);
  if (!run) return run.error();
  p.run_argv = std::move(run.value());
  auto env = stringList(j, "env", false);
  if (!env) return env.error();
  for (const auto& e : env.value())
    if (e.find('=') == std::string::npos || e.front() == '=')
      return Error{"\"env\" entries must look like NAME=value, not '" + e + "'", EINVAL};
  p.env = std::move(env.value());
  auto seccomp = str("seccomp", false);
  if (!seccomp) return seccomp.error();
  if (!seccomp->empty()) p.seccomp = seccomp.value();
  if (p.seccomp.find('/') != std::string::npos || p.seccomp.front() == '.')
    return Error{"\"seccomp\" names a policy in profiles/seccomp, without a path", EINVAL};

  if (!j.contains("limits") || !j.at("limits").is_object())
    return Error{"\"limits\" must be an object with \"default\" and \"max\"", EINVAL};
  const json& limits = j.at("limits");
  if (!limits.contains("default") || !limits.contains("max"))
    return Error{"\"limits\" must have both \"default\" and \"max\"", EINVAL};
  auto defaults = limitsFrom(limits.at("default"), sandbox::Limits{}, "limits.default");
  if (!defaults) return defaults.error();
  auto max = limitsFrom(limits.at("max"), defaults.value(), "limits.max");
  if (!max) return max.error();
  p.default_limits = defaults.value();
  p.max_limits = max.value();
  const sandbox::Limits& d = p.default_limits;
  const sandbox::Limits& m = p.max_limits;
  if (d.cpu_ms > m.cpu_ms || d.wall_ms > m.wall_ms || d.memory_kb > m.memory_kb ||
      d.output_kb > m.output_kb || d.processes > m.processes)
    return Error{"a default limit is above its maximum in \"limits\"", EINVAL};

  if (j.contains("compile") && !j.at("compile").is_null()) {
    const json& c = j.at("compile");
    if (!c.is_object()) return Error{"\"compile\" must be an object or null", EINVAL};
    CompileSpec spec;
    auto argv = stringList(c, "argv", true);
    if (!argv) return withContext("compile", argv.error());
    spec.argv = std::move(argv.value());
    auto artifacts = stringList(c, "artifacts", true);
    if (!artifacts) return withContext("compile", artifacts.error());
    for (const auto& a : artifacts.value())
      if (a.find('/') != std::string::npos)
        return Error{"compile.artifacts are names in /box, without '/': '" + a + "'", EINVAL};
    spec.artifacts = std::move(artifacts.value());
    if (c.contains("limits")) {
      auto l = limitsFrom(c.at("limits"), sandbox::Limits{}, "compile.limits");
      if (!l) return l.error();
      spec.limits = l.value();
    }
    p.compile = std::move(spec);
  }
  auto sample = str("sample", true);
  if (!sample) return sample.error();
  p.sample = sample.value();
  if (p.sample.empty()) return Error{"\"sample\" must be a program", EINVAL};
  auto packages = stringList(j, "packages", false);
  if (!packages) return packages.error();
  p.packages = std::move(packages.value());
  if (!j.contains("tests") || !j.at("tests").is_object())
    return Error{"\"tests\" must be an object with \"compile_error\" and \"runtime_error\"",
                 EINVAL};
  for (const auto& [key, value] : j.at("tests").items()) {
    std::string* field = key == "compile_error"   ? &p.tests.compile_error
                         : key == "runtime_error" ? &p.tests.runtime_error
                                                  : nullptr;
    if (field == nullptr) return Error{"\"tests\" has an unknown program \"" + key + "\"", EINVAL};
    if (!value.is_string() || value.get_ref<const std::string&>().empty())
      return Error{"tests." + key + " must be a program", EINVAL};
    *field = value.get<std::string>();
  }
  if (p.tests.compile_error.empty() || p.tests.runtime_error.empty())
    return Error{"\"tests\" must have both \"compile_error\" and \"runtime_error\"", EINVAL};
  return p;
}

// `name` as the slot's execve would find it: itself when it has a '/', else the first
// executable PATH entry. Empty when there is none.
std::string findInPath(const std::string& name, const std::vector<std::string>& env) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  std::string path;
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string candidate = path.substr(start, end - start) + "/" + name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

int64_t monotonicMs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

Result<LanguageProfile> parseLanguageProfile(std::string_view json_text,
                                             const std::string& origin) {
  LanguageProfile p;
  p.origin = origin;
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (j.is_discarded()) return Error{origin + ": not valid JSON", EINVAL};
  auto parsed = parseProfileJson(j, std::move(p));
  if (!parsed) return withContext(origin, parsed.error());
  return parsed;
}

std::string extractVersion(std::string_view output) {
  static const std::regex kVersion(R"(([0-9]+(\.[0-9]+)+))");
  std::match_results<std::string_view::const_iterator> m;
  if (std::regex_search(output.begin(), output.end(), m, kVersion)) return m[1].str();
  return {};
}

Result<std::string> probeToolVersion(const std::vector<std::string>& argv,
                                     const std::vector<std::string>& env) {
  constexpr int kTimeoutMs = 20000;
  constexpr size_t kMaxOutput = 64 * 1024;
  const std::string shown = argv.empty() ? std::string("(empty)") : argv.front();
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return sysError("pipe2");
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  UniqueFd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, null_in.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  std::vector<std::string> environment = sandbox::defaultEnvironment();
  for (const auto& e : env) sandbox::setEnvironmentVariable(environment, e);
  std::vector<char*> envp;
  for (const auto& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string program = findInPath(argv.empty() ? std::string() : argv.front(), environment);
  if (program.empty()) {
    posix_spawn_file_actions_destroy(&actions);
    return Error{shown + " is not installed (not found in the slots' PATH)", ENOENT};
  }
  pid_t pid = -1;
  const int err = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return sysError("posix_spawn(" + program + ")", err);
  write_end.reset();
  // From here on the child is killed and reaped on every way out of this function.
  auto child = ChildProcess::adopt(pid);
  if (!child) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return child.error();
  }

  std::string output;
  const int64_t deadline = monotonicMs() + kTimeoutMs;
  bool timed_out = false;
  for (;;) {
    const int64_t left = deadline - monotonicMs();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output.size() < kMaxOutput) output.append(buf, static_cast<size_t>(n));
  }
  if (timed_out) return Error{shown + " did not answer within 20 s", ETIMEDOUT};
  auto waited = child->wait();
  if (!waited) return waited.error();
  const int status = waited.value();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
      return Error{shown + " is not installed", ENOENT};
    return Error{shown + " failed: " + output.substr(0, 200), EIO};
  }
  std::string version = extractVersion(output);
  if (version.empty()) return Error{shown + " printed no version number", EIO};
  return version;
}

Result<LanguageRegistry> LanguageRegistry::load(const std::string& dir, const VersionProbe& probe) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  if (ec) return Error{"cannot list language profiles in " + dir + ": " + ec.message(), ec.value()};
  std::sort(files.begin(), files.end());
  LanguageRegistry reg;
  // Parse every file first, then ask the toolchains for their versions several at a time:
  // a JVM or an R answers in a second or two, and forty of them in a row would hold up
  // the start by a minute. Results are taken in file order, so the log is the same.
  struct Pending {
    std::filesystem::path file;
    LanguageProfile profile;
  };
  std::vector<Pending> pending;
  for (const auto& file : files) {
    auto text = readTextFile(file.string(), 256 * 1024);
    if (!text) {
      reg.problems_.push_back(text.error().message + "; profile skipped");
      continue;
    }
    auto profile = parseLanguageProfile(text.value(), file.string());
    if (!profile) {
      reg.problems_.push_back(profile.error().message + "; profile skipped");
      continue;
    }
    pending.push_back({file, std::move(profile.value())});
  }
  // A few threads take the probes in turn (no batch waits for its slowest member).
  std::vector<std::optional<Result<std::string>>> versions(pending.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < pending.size(); i = next++)
      versions[i] = probe(pending[i].profile.version_command, pending[i].profile.env);
  };
  std::vector<std::thread> threads;
  for (size_t t = 0; t < std::min<size_t>(6, pending.size()); ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < pending.size(); ++i) {
    Pending& item = pending[i];
    const Result<std::string>& version = *versions[i];
    if (!version) {
      reg.problems_.push_back(
          item.profile.name + " (" + item.file.string() +
          ") is not offered: its toolchain did not answer: " + version.error().message);
      continue;
    }
    item.profile.version = version.value();
    reg.add(std::move(item.profile));
  }
  return reg;
}

Result<LanguageRegistry> LanguageRegistry::fromProfiles(std::vector<LanguageProfile> profiles) {
  LanguageRegistry reg;
  for (auto& p : profiles) reg.add(std::move(p));
  if (!reg.problems_.empty()) return Error{reg.problems_.front(), EINVAL};
  return reg;
}

void LanguageRegistry::add(LanguageProfile profile) {
  std::vector<std::string> names = profile.aliases;
  names.push_back(profile.name);
  for (const auto& n : names) {
    if (const LanguageProfile* taken = find(n)) {
      problems_.push_back(profile.origin + ": the name '" + n + "' is already used by " +
                          taken->name + " (" + taken->origin + "); profile skipped");
      return;
    }
  }
  auto at = std::lower_bound(
      languages_.begin(), languages_.end(), profile.name,
      [](const LanguageProfile& a, const std::string& name) { return a.name < name; });
  languages_.insert(at, std::move(profile));
}

const LanguageProfile* LanguageRegistry::find(std::string_view name_or_alias) const {
  const std::string key = lower(name_or_alias);
  for (const auto& p : languages_) {
    if (p.name == key) return &p;
    if (std::find(p.aliases.begin(), p.aliases.end(), key) != p.aliases.end()) return &p;
  }
  return nullptr;
}

}  // namespace codecanvas::jobs
