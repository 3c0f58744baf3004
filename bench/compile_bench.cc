// Compile benchmark: a typical competitive C++ submission (#include <bits/stdc++.h>)
// compiled in a slot by the shipped c++ profile, which uses the precompiled header
// scripts/setup.sh builds, beside the same profile without it ("c++-plain": the same flags,
// no -I of the header's directory), alternating in one run on one server. Every
// submission differs by a comment, so the compile cache never answers. Prints the
// compile's wall and CPU time, median and p90 for each, and their ratios; checks that both
// programs print the same and that g++ really took the precompiled header (-H marks it
// with '!').
//
// Then Java's start-up: a Scanner hello world run by the shipped java profile, which
// starts from the class-data-sharing archive scripts/setup.sh dumps, beside the same
// profile without it ("java-plain"), alternating; the run's wall and CPU time and their
// ratio (the compile cache answers the compile after the first).
//
// Starts its own codecanvas-server (1 slot, uids from 60720) on a data directory of its
// own beside the build's. As root:
//   build/bench/codecanvas-compile-bench [RUNS]     (default 20 of each)
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http_client.h"
#include "server_process.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kPchDir = "/usr/local/lib/codecanvas/pch";
constexpr const char* kJavaArchive = "/usr/local/lib/codecanvas/cds/java.jsa";

const char* kSubmission = R"j(#include <bits/stdc++.h>
using namespace std;

int main() {
  ios::sync_with_stdio(false);
  cin.tie(nullptr);
  int n;
  vector<long long> v;
  map<long long, int> seen;
  while (cin >> n) {
    v.push_back(n);
    ++seen[n];
  }
  sort(v.begin(), v.end());
  long long sum = accumulate(v.begin(), v.end(), 0LL);
  cout << v.size() << ' ' << sum << ' ' << seen.size() << '\n';
}
)j";

const char* kJavaHello = R"j(import java.util.Scanner;

public class Main {
  public static void main(String[] args) {
    Scanner in = new Scanner(System.in);
    String name = in.hasNext() ? in.next() : "world";
    System.out.println("Hello, " + name + "!");
  }
}
)j";

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// `profile` without the arguments `drop` says to drop, as "<name>-plain".
json plainCopy(const json& profile, const std::string& where,
               const std::function<bool(const std::string&)>& drop) {
  json plain = profile;
  plain["name"] = profile["name"].get<std::string>() + "-plain";
  plain["aliases"] = json::array();
  json* argv = where == "run" ? &plain["run"] : &plain["compile"]["argv"];
  json kept = json::array();
  for (const auto& a : *argv)
    if (!drop(a.get<std::string>())) kept.push_back(a);
  *argv = kept;
  return plain;
}

// A data directory: the build's rootfs, seccomp policies, c++ and java profiles, plus the
// same profiles without the precompiled header ("c++-plain") and without the archive
// ("java-plain").
fs::path makeDataDir() {
  const fs::path src = CODECANVAS_DATA_DIR;
  const fs::path dir =
      fs::temp_directory_path() / ("codecanvas-compile-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir / "profiles" / "languages");
  fs::copy(src / "rootfs", dir / "rootfs", fs::copy_options::recursive);
  fs::copy(src / "profiles" / "seccomp", dir / "profiles" / "seccomp", fs::copy_options::recursive);
  const fs::path languages = dir / "profiles" / "languages";
  std::ifstream cpp_in(src / "profiles" / "languages" / "cpp.json");
  const json cpp = json::parse(cpp_in);
  std::ofstream(languages / "cpp.json") << cpp.dump(1);
  std::ofstream(languages / "cpp-plain.json")
      << plainCopy(cpp, "compile", [](const std::string& a) {
           return a.rfind("-I", 0) == 0;
         }).dump(1);
  std::ifstream java_in(src / "profiles" / "languages" / "java.json");
  const json java = json::parse(java_in);
  std::ofstream(languages / "java.json") << java.dump(1);
  std::ofstream(languages / "java-plain.json")
      << plainCopy(java, "run", [](const std::string& a) {
           return a.rfind("-XX:SharedArchiveFile=", 0) == 0;
         }).dump(1);
  return dir;
}

// Two languages measured alternately, `runs` requests each: the wall and CPU time of one
// step ("compile" or "run") of each answer, and what the program printed.
struct Pair {
  const char* names[2];
  std::vector<double> wall[2], cpu[2];
  std::string outputs[2];
  bool ok = true;
};

void measure(int port, Pair& p, int runs, const std::string& step,
             const std::function<json(int run, const char* language)>& request) {
  for (int i = 0; i < runs; ++i) {
    for (int k = 0; k < 2; ++k) {
      auto a =
          codecanvas::testing::httpCall(port, "POST", "/api/v1/run", request(i, p.names[k]).dump());
      const bool fresh = step != "compile" || a.body["compile"]["cached"] == false;
      if (a.status != 200 || a.body["status"] != "ok" || !fresh) {
        std::fprintf(stderr, "compile bench: %s failed: %s\n", p.names[k], a.raw.c_str());
        p.ok = false;
        continue;
      }
      const json& figures = step == "compile" ? a.body["compile"] : a.body;
      p.wall[k].push_back(figures["wall_ms"].get<double>());
      p.cpu[k].push_back(figures["time_ms"].get<double>());
      const std::string out = a.body["stdout"];
      if (p.outputs[k].empty()) p.outputs[k] = out;
      if (out != p.outputs[k]) p.ok = false;
    }
  }
  if (p.outputs[0] != p.outputs[1]) {
    std::fprintf(stderr, "compile bench: %s and %s printed differently: '%s' vs '%s'\n", p.names[0],
                 p.names[1], p.outputs[0].c_str(), p.outputs[1].c_str());
    p.ok = false;
  }
}

void report(const Pair& p, const char* labels[2], const char* what, const char* target) {
  std::printf("%-34s %10s %10s %10s %10s\n", "", "wall p50", "wall p90", "cpu p50", "cpu p90");
  for (int k = 0; k < 2; ++k)
    std::printf("%-34s %8.0f ms %8.0f ms %8.0f ms %8.0f ms\n", labels[k], quantile(p.wall[k], 0.5),
                quantile(p.wall[k], 0.9), quantile(p.cpu[k], 0.5), quantile(p.cpu[k], 0.9));
  if (!p.wall[0].empty() && !p.wall[1].empty())
    std::printf("ratio %s: wall %.2f, cpu %.2f (target: %s)\n", what,
                quantile(p.wall[1], 0.5) / quantile(p.wall[0], 0.5),
                quantile(p.cpu[1], 0.5) / quantile(p.cpu[0], 0.5), target);
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "compile bench: needs root (it starts a server with slots)\n");
    return 2;
  }
  const bool have_pch = fs::exists(fs::path(kPchDir) / "bits" / "stdc++.h.gch");
  if (!have_pch)
    std::fprintf(stderr,
                 "compile bench: %s/bits/stdc++.h.gch is missing (scripts/setup.sh "
                 "builds it); both columns will be plain g++\n",
                 kPchDir);
  // Did g++ take the header? -H prints '!' before a precompiled header it used.
  const std::string probe = "echo '#include <bits/stdc++.h>' | g++ -O2 -std=gnu++17 -I" +
                            std::string(kPchDir) + " -H -fsyntax-only -x c++ - 2>&1 | head -1";
  std::string first_line;
  if (FILE* p = ::popen(probe.c_str(), "r")) {
    char buf[512];
    if (std::fgets(buf, sizeof buf, p) != nullptr) first_line = buf;
    ::pclose(p);
  }
  const bool used = first_line.rfind("! ", 0) == 0;
  std::printf(
      "precompiled header: %s (%s)\n", used ? "used" : "NOT used",
      first_line.empty() ? "no output" : first_line.substr(0, first_line.size() - 1).c_str());

  const fs::path data = makeDataDir();
  int rc = 0;
  {
    codecanvas::testing::ServerProcess server(
        SERVER_PATH,
        {"--slots", "1", "--uid-base", "60720", "--data-dir", data.string(), "--web-dir", "none"});
    if (server.port() == 0) {
      std::fprintf(stderr, "compile bench: the server did not start:\n%s\n", server.log().c_str());
      fs::remove_all(data);
      return 1;
    }
    Pair cpp{{"c++-plain", "c++"}};
    measure(server.port(), cpp, runs, "compile", [](int i, const char* language) {
      return json{
          {"language", language},
          {"source", "// submission " + std::to_string(i) + " " + language + "\n" + kSubmission},
          {"stdin", "5 3 9 3 1\n"}};
    });
    std::printf("%d compiles each, one slot, alternating\n", runs);
    const char* cpp_labels[2] = {"plain g++ (c++-plain)", "precompiled header (c++)"};
    report(cpp, cpp_labels, "precompiled/plain", "at most 0.5");

    std::printf("\njava class-data-sharing archive %s: %s\n", kJavaArchive,
                fs::exists(kJavaArchive) ? "present" : "MISSING (scripts/setup.sh dumps it)");
    Pair java{{"java-plain", "java"}};
    measure(server.port(), java, runs, "run", [](int, const char* language) {
      return json{{"language", language}, {"source", kJavaHello}, {"stdin", "codecanvas\n"}};
    });
    std::printf("%d hello-world runs each, one slot, alternating\n", runs);
    const char* java_labels[2] = {"plain java (java-plain)", "with the archive (java)"};
    report(java, java_labels, "archive/plain", "at most 0.6");
    if (!cpp.ok || !java.ok) rc = 1;
    if (server.terminate() != 0) rc = 1;
  }
  fs::remove_all(data);
  return rc;
}
