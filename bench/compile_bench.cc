// Compile benchmark: a typical competitive C++ submission (#include <bits/stdc++.h>)
// compiled in a slot by the shipped c++ profile, which uses the precompiled header
// scripts/setup.sh builds, beside the same profile without it ("c++-plain": the same flags,
// no -I of the header's directory), alternating in one run on one server. Every
// submission differs by a comment, so the compile cache never answers. Prints the
// compile's wall and CPU time, median and p90 for each, and their ratios; checks that both
// programs print the same and that g++ really took the precompiled header (-H marks it
// with '!').
//
// Starts its own codecanvas-server (1 slot, uids from 60720) on a data directory of its
// own beside the build's. As root:
//   build/bench/codecanvas-compile-bench [RUNS]     (default 20 of each)
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http_client.h"
#include "server_process.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kPchDir = "/usr/local/lib/codecanvas/pch";

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

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// A data directory: the build's rootfs, seccomp policies and c++ profile, plus the same
// profile without the precompiled header as "c++-plain".
fs::path makeDataDir() {
  const fs::path src = CODECANVAS_DATA_DIR;
  const fs::path dir =
      fs::temp_directory_path() / ("codecanvas-compile-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir / "profiles" / "languages");
  fs::copy(src / "rootfs", dir / "rootfs", fs::copy_options::recursive);
  fs::copy(src / "profiles" / "seccomp", dir / "profiles" / "seccomp", fs::copy_options::recursive);
  std::ifstream in(src / "profiles" / "languages" / "cpp.json");
  json pch = json::parse(in);
  json plain = pch;
  plain["name"] = "c++-plain";
  plain["aliases"] = json::array();
  json argv = json::array();
  for (const auto& a : pch["compile"]["argv"])
    if (a.get<std::string>().rfind("-I", 0) != 0) argv.push_back(a);
  plain["compile"]["argv"] = argv;
  std::ofstream(dir / "profiles" / "languages" / "cpp.json") << pch.dump(1);
  std::ofstream(dir / "profiles" / "languages" / "cpp-plain.json") << plain.dump(1);
  return dir;
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
    std::vector<double> wall[2], cpu[2];
    const char* names[2] = {"c++-plain", "c++"};
    std::string outputs[2];
    for (int i = 0; i < runs; ++i) {
      for (int k = 0; k < 2; ++k) {
        const json req = {
            {"language", names[k]},
            {"source", "// submission " + std::to_string(i) + " " + names[k] + "\n" + kSubmission},
            {"stdin", "5 3 9 3 1\n"}};
        auto a = codecanvas::testing::httpCall(server.port(), "POST", "/api/v1/run", req.dump());
        if (a.status != 200 || a.body["status"] != "ok" || a.body["compile"]["cached"] != false) {
          std::fprintf(stderr, "compile bench: %s failed: %s\n", names[k], a.raw.c_str());
          rc = 1;
          continue;
        }
        wall[k].push_back(a.body["compile"]["wall_ms"].get<double>());
        cpu[k].push_back(a.body["compile"]["time_ms"].get<double>());
        const std::string out = a.body["stdout"];
        if (outputs[k].empty()) outputs[k] = out;
        if (out != outputs[k]) rc = 1;
      }
    }
    if (outputs[0] != outputs[1]) {
      std::fprintf(stderr, "compile bench: the two programs printed differently: '%s' vs '%s'\n",
                   outputs[0].c_str(), outputs[1].c_str());
      rc = 1;
    }
    std::printf("%d compiles each, one slot, alternating\n", runs);
    std::printf("%-28s %10s %10s %10s %10s\n", "", "wall p50", "wall p90", "cpu p50", "cpu p90");
    for (int k = 0; k < 2; ++k)
      std::printf("%-28s %8.0f ms %8.0f ms %8.0f ms %8.0f ms\n",
                  k == 0 ? "plain g++ (c++-plain)" : "precompiled header (c++)",
                  quantile(wall[k], 0.5), quantile(wall[k], 0.9), quantile(cpu[k], 0.5),
                  quantile(cpu[k], 0.9));
    if (!wall[0].empty() && !wall[1].empty())
      std::printf("ratio precompiled/plain: wall %.2f, cpu %.2f (target: at most 0.5)\n",
                  quantile(wall[1], 0.5) / quantile(wall[0], 0.5),
                  quantile(cpu[1], 0.5) / quantile(cpu[0], 0.5));
    if (server.terminate() != 0) rc = 1;
  }
  fs::remove_all(data);
  return rc;
}
