#include "broker/job_wire.h"

#include <nlohmann/json.hpp>

namespace codecanvas::broker {

namespace {

using nlohmann::json;

// The wire's version: a worker and an API node of different versions refuse each other's
// messages with a sentence instead of misreading them.
constexpr int kVersion = 2;  // 2: a judge's own program (interactor, checker)

json bytes(const std::string& s) {
  return json::binary(std::vector<uint8_t>(s.begin(), s.end()));
}

// Reading: every accessor throws WireError with the field's name, caught in decode*().
struct WireError {
  std::string what;
};

const json& field(const json& j, const char* name) {
  if (!j.is_object() || !j.contains(name)) throw WireError{std::string("no field '") + name + "'"};
  return j.at(name);
}

std::string bytesField(const json& j, const char* name) {
  const json& v = field(j, name);
  if (!v.is_binary()) throw WireError{std::string("'") + name + "' is not a byte string"};
  const auto& b = v.get_binary();
  return std::string(b.begin(), b.end());
}

template <typename T>
T number(const json& j, const char* name) {
  const json& v = field(j, name);
  if (!v.is_number()) throw WireError{std::string("'") + name + "' is not a number"};
  return v.get<T>();
}

bool flag(const json& j, const char* name) {
  const json& v = field(j, name);
  if (!v.is_boolean()) throw WireError{std::string("'") + name + "' is not a boolean"};
  return v.get<bool>();
}

std::string text(const json& j, const char* name) {
  const json& v = field(j, name);
  if (!v.is_string()) throw WireError{std::string("'") + name + "' is not a string"};
  return v.get<std::string>();
}

template <typename T>
std::optional<T> optionalNumber(const json& j, const char* name) {
  if (!j.contains(name) || j.at(name).is_null()) return std::nullopt;
  return number<T>(j, name);
}

template <typename E>
E enumField(const json& j, const char* name, E last) {
  const int v = number<int>(j, name);
  if (v < 0 || v > static_cast<int>(last))
    throw WireError{std::string("'") + name + "' is out of range"};
  return static_cast<E>(v);
}

json optional(const std::optional<uint64_t>& v) {
  return v ? json(*v) : json(nullptr);
}

json limitsOf(const sandbox::Limits& l) {
  return {{"cpu_ms", l.cpu_ms},
          {"wall_ms", l.wall_ms},
          {"memory_kb", l.memory_kb},
          {"output_kb", l.output_kb},
          {"processes", l.processes},
          {"file_kb", l.file_kb},
          {"open_files", l.open_files},
          {"stack_kb", l.stack_kb},
          {"address_space_kb", optional(l.address_space_kb)}};
}

sandbox::Limits readLimits(const json& j) {
  sandbox::Limits l;
  l.cpu_ms = number<uint64_t>(j, "cpu_ms");
  l.wall_ms = number<uint64_t>(j, "wall_ms");
  l.memory_kb = number<uint64_t>(j, "memory_kb");
  l.output_kb = number<uint64_t>(j, "output_kb");
  l.processes = number<uint64_t>(j, "processes");
  l.file_kb = number<uint64_t>(j, "file_kb");
  l.open_files = number<uint64_t>(j, "open_files");
  l.stack_kb = number<uint64_t>(j, "stack_kb");
  l.address_space_kb = optionalNumber<uint64_t>(j, "address_space_kb");
  return l;
}

json filesOf(const std::vector<sandbox::BoxFile>& files) {
  json out = json::array();
  // host_path is never sent: a path on the API node means nothing on a worker, and a
  // worker must not read its own files on a request's word.
  for (const auto& f : files)
    out.push_back({{"name", f.name},
                   {"content", bytes(f.content)},
                   {"mode", f.mode},
                   {"directory", f.directory}});
  return out;
}

std::vector<sandbox::BoxFile> readFiles(const json& j, const char* name) {
  const json& list = field(j, name);
  if (!list.is_array()) throw WireError{std::string("'") + name + "' is not a list"};
  std::vector<sandbox::BoxFile> out;
  for (const json& f : list) {
    sandbox::BoxFile b;
    b.name = text(f, "name");
    b.content = bytesField(f, "content");
    b.mode = number<uint32_t>(f, "mode") & 07777;
    b.directory = flag(f, "directory");
    out.push_back(std::move(b));
  }
  return out;
}

json runSpecOf(const jobs::RunSpec& s) {
  json args = json::array();
  for (const auto& a : s.args) args.push_back(bytes(a));
  json j = {{"language", s.language->name},
            {"source", bytes(s.source)},
            {"stdin", bytes(s.stdin_data)},
            {"args", args},
            {"files", filesOf(s.files)},
            {"limits",
             {{"cpu_ms", optional(s.limits.cpu_ms)},
              {"wall_ms", optional(s.limits.wall_ms)},
              {"memory_kb", optional(s.limits.memory_kb)},
              {"output_kb", optional(s.limits.output_kb)},
              {"processes", optional(s.limits.processes)}}},
            {"cache_scope", s.cache_scope},
            {"outputs", nullptr}};
  if (s.outputs)
    j["outputs"] = {{"dir", s.outputs->dir},
                    {"max_files", s.outputs->max_files},
                    {"max_bytes", s.outputs->max_bytes}};
  return j;
}

jobs::RunSpec readRunSpec(const json& j, const jobs::LanguageRegistry& languages) {
  jobs::RunSpec s;
  const std::string name = text(j, "language");
  s.language = languages.find(name);
  if (s.language == nullptr || s.language->name != name)
    throw WireError{"this worker does not offer the language '" + name.substr(0, 64) + "'"};
  s.source = bytesField(j, "source");
  s.stdin_data = bytesField(j, "stdin");
  const json& args = field(j, "args");
  if (!args.is_array()) throw WireError{"'args' is not a list"};
  for (const json& a : args) {
    if (!a.is_binary()) throw WireError{"an argument is not a byte string"};
    s.args.emplace_back(a.get_binary().begin(), a.get_binary().end());
  }
  s.files = readFiles(j, "files");
  const json& l = field(j, "limits");
  s.limits.cpu_ms = optionalNumber<uint64_t>(l, "cpu_ms");
  s.limits.wall_ms = optionalNumber<uint64_t>(l, "wall_ms");
  s.limits.memory_kb = optionalNumber<uint64_t>(l, "memory_kb");
  s.limits.output_kb = optionalNumber<uint64_t>(l, "output_kb");
  s.limits.processes = optionalNumber<uint64_t>(l, "processes");
  s.cache_scope = text(j, "cache_scope");
  if (const json& o = field(j, "outputs"); !o.is_null())
    s.outputs = jobs::OutputCollection{text(o, "dir"), number<size_t>(o, "max_files"),
                                       number<uint64_t>(o, "max_bytes")};
  return s;
}

json resultOf(const sandbox::RunResult& r) {
  return {{"status", static_cast<int>(r.status)},
          {"exit_code", r.exit_code ? json(*r.exit_code) : json(nullptr)},
          {"signal", r.signal ? json(*r.signal) : json(nullptr)},
          {"time_ms", r.time_ms ? json(*r.time_ms) : json(nullptr)},
          {"wall_ms", r.wall_ms},
          {"memory_kb", optional(r.memory_kb)},
          {"stdout", bytes(r.stdout_data)},
          {"stderr", bytes(r.stderr_data)},
          {"stdout_truncated", r.stdout_truncated},
          {"stderr_truncated", r.stderr_truncated},
          {"error", r.error},
          {"failed_step", r.failed_step},
          {"failed_errno", r.failed_errno},
          {"cpu_source", static_cast<int>(r.cpu_source)},
          {"memory_source", static_cast<int>(r.memory_source)},
          {"leftover_processes", r.leftover_processes},
          {"limits", limitsOf(r.limits)}};
}

sandbox::RunResult readResult(const json& j) {
  sandbox::RunResult r;
  r.status = enumField(j, "status", sandbox::RunStatus::kInternalError);
  r.exit_code = optionalNumber<int>(j, "exit_code");
  r.signal = optionalNumber<int>(j, "signal");
  r.time_ms = optionalNumber<double>(j, "time_ms");
  r.wall_ms = number<double>(j, "wall_ms");
  r.memory_kb = optionalNumber<uint64_t>(j, "memory_kb");
  r.stdout_data = bytesField(j, "stdout");
  r.stderr_data = bytesField(j, "stderr");
  r.stdout_truncated = flag(j, "stdout_truncated");
  r.stderr_truncated = flag(j, "stderr_truncated");
  r.error = text(j, "error");
  r.failed_step = text(j, "failed_step");
  r.failed_errno = number<int>(j, "failed_errno");
  r.cpu_source = enumField(j, "cpu_source", sandbox::Source::kRusage);
  r.memory_source = enumField(j, "memory_source", sandbox::Source::kRusage);
  r.leftover_processes = number<uint64_t>(j, "leftover_processes");
  r.limits = readLimits(field(j, "limits"));
  return r;
}

std::string encode(const json& j) {
  const std::vector<uint8_t> cbor = json::to_cbor(j);
  return std::string(cbor.begin(), cbor.end());
}

// The message's JSON value, version checked.
json decodeBody(const std::string& body, const char* what) {
  json j = json::from_cbor(body, true, false);
  if (j.is_discarded() || !j.is_object()) throw WireError{std::string("not a CBOR ") + what};
  if (number<int>(j, "version") != kVersion)
    throw WireError{std::string("a ") + what + " of wire version " +
                    std::to_string(number<int>(j, "version")) + "; this build speaks version " +
                    std::to_string(kVersion)};
  return j;
}

}  // namespace

std::string encodeRunJob(const jobs::RunSpec& spec) {
  return encode({{"version", kVersion}, {"kind", "run"}, {"run", runSpecOf(spec)}});
}

std::string encodeJudgeJob(const jobs::JudgeSpec& spec) {
  json tests = json::array();
  for (const auto& t : spec.tests)
    tests.push_back({{"stdin", bytes(t.stdin_data)}, {"expected", bytes(t.expected_output)}});
  return encode({{"version", kVersion},
                 {"kind", "judge"},
                 {"run", runSpecOf(spec.run)},
                 {"tests", tests},
                 {"checker", static_cast<int>(spec.checker.type)},
                 {"epsilon", spec.checker.epsilon},
                 {"stop_on_first_failure", spec.stop_on_first_failure},
                 {"program", spec.program ? json{{"role", static_cast<int>(spec.program->role)},
                                                 {"run", runSpecOf(spec.program->run)}}
                                          : json(nullptr)},
                 {"budget",
                  {{"wall_ms", spec.budget.wall_ms},
                   {"cpu_ms", spec.budget.cpu_ms},
                   {"output_bytes", spec.budget.output_bytes}}}});
}

Result<DecodedJob> decodeJob(const std::string& body, const jobs::LanguageRegistry& languages) {
  try {
    const json j = decodeBody(body, "job");
    DecodedJob out;
    const std::string kind = text(j, "kind");
    if (kind != "run" && kind != "judge")
      throw WireError{"a job of unknown kind '" + kind.substr(0, 32) + "'"};
    out.judge = kind == "judge";
    out.spec.run = readRunSpec(field(j, "run"), languages);
    if (out.judge) {
      const json& tests = field(j, "tests");
      if (!tests.is_array()) throw WireError{"'tests' is not a list"};
      for (const json& t : tests)
        out.spec.tests.push_back({bytesField(t, "stdin"), bytesField(t, "expected")});
      out.spec.checker.type = enumField(j, "checker", judge::CheckerType::kFloat);
      out.spec.checker.epsilon = number<double>(j, "epsilon");
      out.spec.stop_on_first_failure = flag(j, "stop_on_first_failure");
      if (const json& p = field(j, "program"); !p.is_null()) {
        jobs::JudgeProgram program;
        program.role = enumField(p, "role", jobs::JudgeProgram::Role::kChecker);
        program.run = readRunSpec(field(p, "run"), languages);
        out.spec.program = std::move(program);
      }
      const json& b = field(j, "budget");
      out.spec.budget = {number<uint64_t>(b, "wall_ms"), number<uint64_t>(b, "cpu_ms"),
                         number<uint64_t>(b, "output_bytes")};
    }
    return out;
  } catch (const WireError& e) {
    return Error{"a malformed job: " + e.what, EINVAL};
  } catch (const std::exception& e) {
    return Error{std::string("a malformed job: ") + e.what(), EINVAL};
  }
}

std::string encodeReply(const Reply& reply) {
  const jobs::JobOutcome& o = reply.outcome;
  json runs = json::array();
  for (const auto& r : o.runs) runs.push_back(resultOf(r));
  json companion_runs = json::array();
  for (const auto& r : o.companion_runs) companion_runs.push_back(r ? resultOf(*r) : json(nullptr));
  return encode(
      {{"version", kVersion},
       {"deliveries", reply.deliveries},
       {"compile", o.compile ? resultOf(*o.compile) : json(nullptr)},
       {"compile_cached", o.compile_cached},
       {"runs", runs},
       {"companion_compile", o.companion_compile ? resultOf(*o.companion_compile) : json(nullptr)},
       {"companion_compile_cached", o.companion_compile_cached},
       {"companion_runs", companion_runs},
       {"verdicts", o.verdicts},
       {"stopped", o.stopped},
       {"output_cut", o.output_cut},
       {"outputs", filesOf(o.outputs)},
       {"outputs_truncated", o.outputs_truncated},
       {"fault", o.fault ? json(*o.fault) : json(nullptr)},
       {"rejected", o.rejected},
       {"rejected_reason", o.rejected_reason},
       {"cancelled", o.cancelled},
       {"slot", o.slot},
       {"queue_ms", o.queue_ms},
       {"compile_ms", o.compile_ms},
       {"run_ms", o.run_ms},
       {"total_ms", o.total_ms}});
}

Result<Reply> decodeReply(const std::string& body) {
  try {
    const json j = decodeBody(body, "reply");
    Reply out;
    out.deliveries = number<unsigned>(j, "deliveries");
    jobs::JobOutcome& o = out.outcome;
    if (const json& c = field(j, "compile"); !c.is_null()) o.compile = readResult(c);
    o.compile_cached = flag(j, "compile_cached");
    const json& runs = field(j, "runs");
    if (!runs.is_array()) throw WireError{"'runs' is not a list"};
    for (const json& r : runs) o.runs.push_back(readResult(r));
    if (const json& c = field(j, "companion_compile"); !c.is_null())
      o.companion_compile = readResult(c);
    o.companion_compile_cached = flag(j, "companion_compile_cached");
    const json& companion_runs = field(j, "companion_runs");
    if (!companion_runs.is_array()) throw WireError{"'companion_runs' is not a list"};
    for (const json& r : companion_runs)
      o.companion_runs.push_back(r.is_null() ? std::nullopt
                                             : std::optional<sandbox::RunResult>(readResult(r)));
    const json& verdicts = field(j, "verdicts");
    if (!verdicts.is_array()) throw WireError{"'verdicts' is not a list"};
    for (const json& v : verdicts) {
      if (!v.is_string()) throw WireError{"a verdict is not a string"};
      o.verdicts.push_back(v.get<std::string>());
    }
    o.stopped = text(j, "stopped");
    o.output_cut = flag(j, "output_cut");
    o.outputs = readFiles(j, "outputs");
    o.outputs_truncated = flag(j, "outputs_truncated");
    if (const json& f = field(j, "fault"); !f.is_null()) o.fault = text(j, "fault");
    o.rejected = flag(j, "rejected");
    o.rejected_reason = text(j, "rejected_reason");
    o.cancelled = flag(j, "cancelled");
    o.slot = number<unsigned>(j, "slot");
    o.queue_ms = number<double>(j, "queue_ms");
    o.compile_ms = number<double>(j, "compile_ms");
    o.run_ms = number<double>(j, "run_ms");
    o.total_ms = number<double>(j, "total_ms");
    return out;
  } catch (const WireError& e) {
    return Error{"a malformed reply: " + e.what, EINVAL};
  } catch (const std::exception& e) {
    return Error{std::string("a malformed reply: ") + e.what(), EINVAL};
  }
}

}  // namespace codecanvas::broker
