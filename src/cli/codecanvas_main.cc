// codecanvas: the command-line client of the codecanvas HTTP API. It runs nothing itself:
// every command is one or two requests to the server.
//
//   codecanvas run FILE [--lang L] [--stdin FILE|-] [--arg A]... [--cpu-ms N]
//                       [--memory-kb N] [--server URL] [--key KEY] [--json]
//   codecanvas languages [--server URL] [--key KEY] [--json]
//   codecanvas judge FILE --tests DIR [--checker C] [--epsilon E] [--lang L]
//                       [--cpu-ms N] [--memory-kb N] [--server URL] [--key KEY] [--json]
//
// Exit status (also in --help): see kExitCodes below.
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kExitUsage = 2;
constexpr int kExitCompileError = 100;
constexpr int kExitTimeLimit = 101;
constexpr int kExitMemoryLimit = 102;
constexpr int kExitOutputLimit = 103;
constexpr int kExitBlocked = 104;
constexpr int kExitRejected = 110;  // the server answered with an error (4xx, 5xx)
constexpr int kExitUnreachable = 111;
constexpr int kExitWrongAnswer = 1;

const char* const kExitCodes = R"(exit status:
  0       the program ran and exited 0 (judge: every test accepted, or given points)
  N       run: the program exited with N (runtime_error)
  128+S   run: the program was killed by signal S
  1       judge: not accepted (wrong answer, runtime error, limit on a test)
  2       bad usage, or a file that cannot be read
  100     compile error
  101     time limit or wall-time limit
  102     memory limit
  103     output limit
  104     a system call blocked by the sandbox
  110     the server refused the request (its message is printed)
  111     the server cannot be reached
)";

const char* const kUsage = R"(usage: codecanvas COMMAND [options]

Runs programs on a codecanvas server (http://127.0.0.1:10100 unless --server or the
CODECANVAS_SERVER environment variable says otherwise). A server with API keys needs one:
--key KEY, or better the CODECANVAS_KEY environment variable (a command line is visible
to every user of the machine).

commands:
  run FILE          compile (if needed) and run FILE; its stdout and stderr go to ours,
                    then a one-line summary on stderr
  languages         the server's languages: name, version, aliases
  judge FILE        run FILE against the tests of a folder and show a verdict per test

codecanvas COMMAND --help shows a command's options.
)";

const char* const kRunUsage = R"(usage: codecanvas run FILE [options]

  --lang L          language (default: from FILE's extension)
  --stdin FILE|-    the program's stdin: a file, or - for our own stdin (default: empty)
  --arg A           an argument for the program (repeatable)
  --cpu-ms N        CPU time limit
  --wall-ms N       wall-clock limit
  --memory-kb N     memory limit
  --server URL      the server (default $CODECANVAS_SERVER or http://127.0.0.1:10100)
  --key KEY         the server's API key (default $CODECANVAS_KEY)
  --json            print the server's raw JSON answer instead
)";

const char* const kJudgeUsage = R"(usage: codecanvas judge FILE --tests DIR [options]

Pairs NAME.in with NAME.out (or NAME.ans) in DIR, in name order (with an
interactor the expected output is optional).

  --tests DIR       the folder of tests (required)
  --checker C       exact, lines (default), tokens or float
  --epsilon E       tolerance of the float checker (default 1e-6)
  --interactor F    an interactor in testlib's conventions (F: its source), run beside
                    each test, talking with FILE
  --checker-program F  a checker in testlib's conventions (F: its source), run after
                    each test on what FILE wrote
  --judge-file F    a file the interactor or checker needs beside its source, e.g.
                    testlib.h (repeatable)
  --judge-lang L    the interactor's or checker's language (default: from F's extension)
  --stop            stop at the first failing test
  --lang L          language (default: from FILE's extension)
  --cpu-ms N        CPU time limit per test
  --wall-ms N       wall-clock limit per test
  --memory-kb N     memory limit per test
  --server URL      the server (default $CODECANVAS_SERVER or http://127.0.0.1:10100)
  --key KEY         the server's API key (default $CODECANVAS_KEY)
  --json            print the server's raw JSON answer instead
)";

const char* const kLanguagesUsage =
    R"(usage: codecanvas languages [--server URL] [--key KEY] [--json]
)";

struct Failure {
  int exit_code;
  std::string message;
};

struct Options {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::vector<std::string> args;         // --arg, repeatable
  std::vector<std::string> judge_files;  // --judge-file, repeatable
  bool json = false, help = false, stop = false;
};

// Flags that take a value; every other "--x" is a switch or a mistake.
bool takesValue(const std::string& flag) {
  static const char* kValued[] = {"--lang",
                                  "--stdin",
                                  "--arg",
                                  "--cpu-ms",
                                  "--wall-ms",
                                  "--memory-kb",
                                  "--server",
                                  "--tests",
                                  "--checker",
                                  "--epsilon",
                                  "--key",
                                  "--interactor",
                                  "--checker-program",
                                  "--judge-file",
                                  "--judge-lang"};
  for (const char* v : kValued)
    if (flag == v) return true;
  return false;
}

std::variant<Options, Failure> parseOptions(int argc, char** argv, int first) {
  Options o;
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--stop") {
      o.stop = true;
    } else if (takesValue(a)) {
      if (i + 1 >= argc) return Failure{kExitUsage, a + " needs a value"};
      if (a == "--arg")
        o.args.push_back(argv[++i]);
      else if (a == "--judge-file")
        o.judge_files.push_back(argv[++i]);
      else
        o.values[a] = argv[++i];
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      return Failure{kExitUsage, "unknown option " + a + " (see --help)"};
    } else {
      o.positional.push_back(a);
    }
  }
  return o;
}

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The server: scheme, host and port from a URL like http://host:10100.
struct Server {
  std::string url;
  std::unique_ptr<httplib::Client> client;
};

std::variant<Server, Failure> connectTo(const Options& o) {
  std::string url = "http://127.0.0.1:10100";
  if (const char* env = std::getenv("CODECANVAS_SERVER"); env != nullptr && *env != '\0') url = env;
  if (auto it = o.values.find("--server"); it != o.values.end()) url = it->second;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("http://", 0) != 0)
    return Failure{kExitUsage, "the server URL must start with http:// (got '" + url + "')"};
  Server s{url, std::make_unique<httplib::Client>(url)};
  if (!s.client->is_valid()) return Failure{kExitUsage, "not a usable server URL: " + url};
  s.client->set_connection_timeout(5, 0);
  s.client->set_read_timeout(600, 0);
  s.client->set_tcp_nodelay(true);
  std::string key;
  if (const char* env = std::getenv("CODECANVAS_KEY"); env != nullptr) key = env;
  if (auto it = o.values.find("--key"); it != o.values.end()) key = it->second;
  if (!key.empty()) s.client->set_bearer_token_auth(key);
  return s;
}

// One request; the server's JSON, or a Failure that carries the server's own sentence.
std::variant<json, Failure> call(Server& s, const std::string& method, const std::string& path,
                                 const std::string& body = "") {
  httplib::Result res = method == "POST" ? s.client->Post(path.c_str(), body, "application/json")
                                         : s.client->Get(path.c_str());
  if (!res)
    return Failure{kExitUnreachable, "cannot reach the codecanvas server at " + s.url + " (" +
                                         httplib::to_string(res.error()) +
                                         "); is it running? (--server or CODECANVAS_SERVER)"};
  json j = json::parse(res->body, nullptr, false);
  if (res->status != 200) {
    std::string why = j.is_object() && j.contains("error") && j["error"].is_string()
                          ? j["error"].get<std::string>()
                          : "HTTP " + std::to_string(res->status);
    if (res->status == 503 || res->status == 429) {
      const std::string retry = res->get_header_value("Retry-After");
      if (!retry.empty()) why += " (retry after " + retry + " s)";
    }
    return Failure{kExitRejected, "the server refused: " + why};
  }
  if (j.is_discarded()) return Failure{kExitRejected, "the server's answer is not JSON"};
  return j;
}

// The language for FILE: --lang, else the runtime whose source file has FILE's extension
// (where several share one, the usual meaning of the extension, when the server offers
// it), else a few common extensions the profiles' file names do not show.
std::variant<std::string, Failure> languageFor(Server& s, const Options& o, const std::string& file,
                                               const char* lang_flag = "--lang") {
  if (auto it = o.values.find(lang_flag); it != o.values.end()) return it->second;
  const std::string ext = fs::path(file).extension().string();
  auto runtimes = call(s, "GET", "/api/v1/runtimes");
  if (auto* f = std::get_if<Failure>(&runtimes)) return *f;
  static const std::map<std::string, std::string> kUsual = {{".py", "python3"},
                                                            {".pl", "perl"},
                                                            {".sh", "bash"},
                                                            {".m", "octave"},
                                                            {".lisp", "commonlisp"}};
  if (auto it = kUsual.find(ext); it != kUsual.end())
    for (const auto& r : std::get<json>(runtimes))
      if (r.value("language", "") == it->second) return it->second;
  for (const auto& r : std::get<json>(runtimes)) {
    const std::string source = r.value("source_file", "");
    if (!ext.empty() && fs::path(source).extension().string() == ext)
      return r.value("language", "");
  }
  static const std::map<std::string, std::string> kExtra = {
      {".cc", "c++"},      {".cxx", "c++"},    {".c++", "c++"},    {".hpp", "c++"},
      {".py3", "python3"}, {".mjs", "nodejs"}, {".cjs", "nodejs"}, {".bash", "bash"}};
  if (auto it = kExtra.find(ext); it != kExtra.end()) return it->second;
  return Failure{kExitUsage,
                 "cannot tell the language of '" + file + "' from its extension; use " + lang_flag};
}

std::variant<json, Failure> limitsFrom(const Options& o) {
  json limits = json::object();
  for (const auto& [flag, key] : std::map<std::string, std::string>{
           {"--cpu-ms", "cpu_ms"}, {"--wall-ms", "wall_ms"}, {"--memory-kb", "memory_kb"}}) {
    auto it = o.values.find(flag);
    if (it == o.values.end()) continue;
    try {
      size_t used = 0;
      const long long v = std::stoll(it->second, &used);
      if (used != it->second.size() || v <= 0) throw std::invalid_argument("");
      limits[key] = v;
    } catch (const std::exception&) {
      return Failure{kExitUsage,
                     flag + " must be a positive whole number, not '" + it->second + "'"};
    }
  }
  return limits;
}

// What run and judge share: the server, and a request with language, source and limits.
struct Submission {
  Server server;
  json request;
};

std::variant<Submission, Failure> prepare(const Options& o, const std::string& file,
                                          const std::string& source) {
  auto server = connectTo(o);
  if (auto* f = std::get_if<Failure>(&server)) return *f;
  Submission sub{std::move(std::get<Server>(server)), json::object()};
  auto lang = languageFor(sub.server, o, file);
  if (auto* f = std::get_if<Failure>(&lang)) return *f;
  auto limits = limitsFrom(o);
  if (auto* f = std::get_if<Failure>(&limits)) return *f;
  sub.request = {{"language", std::get<std::string>(lang)},
                 {"source", source},
                 {"limits", std::get<json>(limits)}};
  return sub;
}

std::string fmtMs(const json& v) {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", v.get<double>());
  return buf;
}

std::string fmtKb(const json& v) {
  if (!v.is_number()) return "-";
  const double kb = v.get<double>();
  char buf[32];
  if (kb >= 10240)
    std::snprintf(buf, sizeof buf, "%.1f MiB", kb / 1024);
  else
    std::snprintf(buf, sizeof buf, "%.0f KiB", kb);
  return buf;
}

// The server sends output base64-encoded when asked, so that bytes that are not UTF-8
// reach our streams unchanged.
std::string base64Decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) continue;  // '=' padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

int exitCodeForStatus(const json& answer) {
  const std::string status = answer.value("status", "");
  if (status == "ok") return 0;
  if (status == "compile_error") return kExitCompileError;
  if (status == "time_limit" || status == "wall_time_limit") return kExitTimeLimit;
  if (status == "memory_limit") return kExitMemoryLimit;
  if (status == "output_limit") return kExitOutputLimit;
  if (status == "syscall_blocked") return kExitBlocked;
  if (status == "runtime_error") {
    if (answer["signal"].is_number()) return 128 + answer["signal"].get<int>();
    if (answer["exit_code"].is_number()) return answer["exit_code"].get<int>() & 0xff;
    return 1;
  }
  return kExitRejected;
}

int fail(const Failure& f) {
  std::fprintf(stderr, "codecanvas: %s\n", f.message.c_str());
  return f.exit_code;
}

int commandRun(const Options& o) {
  if (o.help) return std::fputs(kRunUsage, stdout), 0;
  if (o.positional.size() != 1)
    return fail({kExitUsage, "run needs exactly one FILE (see --help)"});
  const std::string file = o.positional[0];
  auto source = readFile(file);
  if (!source) return fail({kExitUsage, "cannot read " + file});
  auto prepared = prepare(o, file, *source);
  if (auto* f = std::get_if<Failure>(&prepared)) return fail(*f);
  Server& s = std::get<Submission>(prepared).server;
  json& request = std::get<Submission>(prepared).request;
  request["args"] = o.args;
  request["encoding"] = "base64";
  if (auto it = o.values.find("--stdin"); it != o.values.end()) {
    std::optional<std::string> input;
    if (it->second == "-") {
      std::ostringstream all;
      all << std::cin.rdbuf();
      input = all.str();
    } else {
      input = readFile(it->second);
    }
    if (!input) return fail({kExitUsage, "cannot read stdin file " + it->second});
    request["stdin"] = *input;
  }
  if (o.json) request.erase("encoding");
  auto answer =
      call(s, "POST", "/api/v1/run", request.dump(-1, ' ', false, json::error_handler_t::replace));
  if (auto* f = std::get_if<Failure>(&answer)) return fail(*f);
  const json& a = std::get<json>(answer);
  if (o.json) {
    std::cout << a.dump(2) << "\n";
    return exitCodeForStatus(a);
  }
  // base64 on the wire, so the program's bytes reach our streams unchanged.
  auto decode = [](const json& v) {
    return v.is_string() ? base64Decode(v.get<std::string>()) : std::string();
  };
  if (a["compile"].is_object() && a["status"] == "compile_error") {
    std::cout << decode(a["compile"]["stdout"]);
    std::cerr << decode(a["compile"]["stderr"]);
  } else {
    std::cout << decode(a["stdout"]);
    std::cerr << decode(a["stderr"]);
  }
  std::cout.flush();
  std::string summary = "[codecanvas] " + a.value("language", std::string()) + ": " +
                        a.value("status", std::string());
  if (a["error"].is_string()) summary += " (" + a["error"].get<std::string>() + ")";
  summary += ", time " + fmtMs(a["time_ms"]) + ", wall " + fmtMs(a["wall_ms"]) + ", memory " +
             fmtKb(a["memory_kb"]);
  if (a["compile"].is_object())
    summary += a["compile"].value("cached", false) ? ", compile cached"
                                                   : ", compile " + fmtMs(a["compile"]["wall_ms"]);
  std::cerr << summary << "\n";
  return exitCodeForStatus(a);
}

int commandLanguages(const Options& o) {
  if (o.help) return std::fputs(kLanguagesUsage, stdout), 0;
  if (!o.positional.empty()) return fail({kExitUsage, "languages takes no arguments"});
  auto server = connectTo(o);
  if (auto* f = std::get_if<Failure>(&server)) return fail(*f);
  auto answer = call(std::get<Server>(server), "GET", "/api/v1/runtimes");
  if (auto* f = std::get_if<Failure>(&answer)) return fail(*f);
  const json& a = std::get<json>(answer);
  if (o.json) {
    std::cout << a.dump(2) << "\n";
    return 0;
  }
  std::printf("%-10s %-10s %-9s %s\n", "LANGUAGE", "VERSION", "COMPILED", "ALIASES");
  for (const auto& r : a) {
    std::string aliases;
    for (const auto& al : r["aliases"])
      aliases += (aliases.empty() ? "" : ", ") + al.get<std::string>();
    std::printf("%-10s %-10s %-9s %s\n", r.value("language", "").c_str(),
                r.value("version", "").c_str(), r.value("compiled", false) ? "yes" : "no",
                aliases.c_str());
  }
  return 0;
}

// Every test passed: accepted, or with points from the judge's program.
bool passed(const json& answer) {
  return answer["verdict"] == "accepted" || answer["verdict"] == "points";
}

int commandJudge(const Options& o) {
  if (o.help) return std::fputs(kJudgeUsage, stdout), 0;
  if (o.positional.size() != 1)
    return fail({kExitUsage, "judge needs exactly one FILE (see --help)"});
  auto dir = o.values.find("--tests");
  if (dir == o.values.end()) return fail({kExitUsage, "judge needs --tests DIR"});
  const std::string file = o.positional[0];
  auto source = readFile(file);
  if (!source) return fail({kExitUsage, "cannot read " + file});
  const auto interactor = o.values.find("--interactor");
  const auto checker_program = o.values.find("--checker-program");
  const bool interactive = interactor != o.values.end();
  if (interactive && checker_program != o.values.end())
    return fail({kExitUsage, "--interactor and --checker-program do not go together"});
  std::error_code ec;
  std::vector<fs::path> inputs;
  for (const auto& e : fs::directory_iterator(dir->second, ec))
    if (e.path().extension() == ".in") inputs.push_back(e.path());
  if (ec)
    return fail({kExitUsage, "cannot read the tests folder " + dir->second + ": " + ec.message()});
  std::sort(inputs.begin(), inputs.end());
  json tests = json::array();
  std::vector<std::string> names;
  for (const auto& in : inputs) {
    fs::path out = fs::path(in).replace_extension(".out");
    if (!fs::exists(out)) out = fs::path(in).replace_extension(".ans");
    auto input = readFile(in.string());
    auto expected = readFile(out.string());
    if (!input || (!expected && !interactive))
      return fail({kExitUsage, "test " + in.stem().string() +
                                   " has no readable .out or .ans beside " +
                                   in.filename().string()});
    json test = {{"stdin", *input}};
    if (expected) test["expected_output"] = *expected;
    tests.push_back(std::move(test));
    names.push_back(in.stem().string());
  }
  if (tests.empty()) return fail({kExitUsage, "no NAME.in files in " + dir->second});

  auto prepared = prepare(o, file, *source);
  if (auto* f = std::get_if<Failure>(&prepared)) return fail(*f);
  Server& s = std::get<Submission>(prepared).server;
  json checker = {{"type", "lines"}};
  if (auto it = o.values.find("--checker"); it != o.values.end()) checker["type"] = it->second;
  if (auto it = o.values.find("--epsilon"); it != o.values.end()) {
    try {
      checker["epsilon"] = std::stod(it->second);
    } catch (const std::exception&) {
      return fail({kExitUsage, "--epsilon must be a number"});
    }
  }
  json& request = std::get<Submission>(prepared).request;
  request["tests"] = std::move(tests);
  request["checker"] = checker;
  request["stop_on_first_failure"] = o.stop;
  // The judge's own program: its source, its language, the files it includes.
  const auto program = interactive ? interactor : checker_program;
  if (program != o.values.end()) {
    auto program_source = readFile(program->second);
    if (!program_source) return fail({kExitUsage, "cannot read " + program->second});
    auto lang = languageFor(s, o, program->second, "--judge-lang");
    if (auto* f = std::get_if<Failure>(&lang)) return fail(*f);
    json spec = {{"language", std::get<std::string>(lang)}, {"source", *program_source}};
    json files = json::array();
    for (const auto& path : o.judge_files) {
      auto content = readFile(path);
      if (!content) return fail({kExitUsage, "cannot read " + path});
      files.push_back({{"name", fs::path(path).filename().string()}, {"content", *content}});
    }
    spec["files"] = std::move(files);
    if (interactive) {
      request["interactor"] = std::move(spec);
    } else {
      spec["type"] = "program";
      request["checker"] = std::move(spec);
    }
  } else if (!o.judge_files.empty()) {
    return fail({kExitUsage, "--judge-file goes with --interactor or --checker-program"});
  }

  // One request; while it is out, a line on stderr says how long we have waited.
  const bool tty = ::isatty(2) != 0;
  auto pending = std::async(std::launch::async, [&] {
    return call(s, "POST", "/api/v1/judge",
                request.dump(-1, ' ', false, json::error_handler_t::replace));
  });
  const auto t0 = std::chrono::steady_clock::now();
  if (!o.json) std::fprintf(stderr, "judging %zu tests of %s ...", names.size(), file.c_str());
  while (pending.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) {
    if (!tty || o.json) continue;
    const double s_elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "\rjudging %zu tests of %s ... %.1f s", names.size(), file.c_str(),
                 s_elapsed);
  }
  if (!o.json) std::fprintf(stderr, "\n");
  auto answer = pending.get();
  if (auto* f = std::get_if<Failure>(&answer)) return fail(*f);
  const json& a = std::get<json>(answer);
  if (o.json) {
    std::cout << a.dump(2) << "\n";
    return passed(a) ? 0 : a["verdict"] == "compile_error" ? kExitCompileError : kExitWrongAnswer;
  }
  if (a["verdict"] == "compile_error" && a["compile"].is_object())
    std::cerr << a["compile"].value("stderr", "");
  for (const char* role : {"interactor", "checker_program"}) {
    const json& c = a.value(role, json::object()).value("compile", json());
    if (c.is_object() && c.value("status", "ok") != "ok")
      std::cerr << "the " << (std::string(role) == "interactor" ? "interactor" : "checker")
                << " did not compile:\n"
                << c.value("stderr", "") << c.value("stdout", "");
  }
  std::printf("%-20s %-18s %10s %10s  %s\n", "TEST", "VERDICT", "TIME", "MEMORY",
              program != o.values.end() ? "MESSAGE" : "");
  for (size_t i = 0; i < names.size() && i < a["tests"].size(); ++i) {
    const json& t = a["tests"][i];
    // The judge program's message: its first line.
    std::string message = t.value("message", "");
    message = message.substr(0, message.find('\n'));
    if (t.contains("points")) message = "(" + t["points"].dump() + " points) " + message;
    std::printf("%-20s %-18s %10s %10s  %s\n", names[i].c_str(), t.value("verdict", "").c_str(),
                fmtMs(t.value("time_ms", json())).c_str(),
                fmtKb(t.value("memory_kb", json())).c_str(), message.c_str());
  }
  std::printf("verdict: %s (max time %s, max memory %s)\n", a.value("verdict", "").c_str(),
              fmtMs(a["max_time_ms"]).c_str(), fmtKb(a["max_memory_kb"]).c_str());
  if (passed(a)) return 0;
  return a["verdict"] == "compile_error" ? kExitCompileError : kExitWrongAnswer;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    std::fputs(kExitCodes, argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : 0;
  }
  const std::string command = argv[1];
  auto options = parseOptions(argc, argv, 2);
  if (auto* f = std::get_if<Failure>(&options)) return fail(*f);
  const Options& o = std::get<Options>(options);
  if (command == "run") return commandRun(o);
  if (command == "languages" || command == "langs") return commandLanguages(o);
  if (command == "judge") return commandJudge(o);
  return fail(
      {kExitUsage, "unknown command '" + command + "' (run, languages, judge; see --help)"});
}
