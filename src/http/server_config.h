// The server's configuration: defaults that work out of the box, an optional JSON file
// (--config, else /etc/codecanvas/server.json when it exists) and command-line flags, in
// that order of precedence (flags win). Parsing is pure; errors name the flag or field.
#pragma once

#include <string>
#include <vector>

#include "api.h"
#include "jobs/job.h"
#include "result.h"
#include "sandbox/run_types.h"

namespace codecanvas::http {

struct ServerConfig {
  std::string bind = "127.0.0.1";  // loopback: open to the network with --bind 0.0.0.0
  int port = 10100;                // 0: any free port (tests)
  unsigned slots = 0;              // 0: one per CPU core
  size_t queue_capacity = 64;
  uint32_t uid_base = 60100;
  std::string data_dir;  // empty: the build's data dir (profiles/, rootfs/)
  std::string web_dir;   // empty: <data dir>/web/dist; "none": no web page
  sandbox::Limits max_limits{20000, 60000, 2 << 20, 16384, 512};  // the operator's ceiling
  // What one job may use over all its runs (a judge of 500 tests of 60 s each would hold a
  // slot for 8 hours, and keep 16 GiB of output): wall, CPU, output kept.
  jobs::JobBudget max_job{300000, 120000, 16ULL << 20};
  InputLimits input;
  uint64_t cache_bytes = 256ULL << 20;
  unsigned shutdown_grace_seconds = 120;
  unsigned http_threads = 0;  // 0: slots + queue capacity + 8
  size_t max_sessions = 0;    // live sessions open at once; 0: one per slot
  unsigned session_idle_seconds = 60;
  std::string config_path;       // the file that was read, if any
  std::vector<ApiKey> api_keys;  // config file only ("api_keys"); none: the API is open
  // Origins whose web pages may call the API besides the server's own page, and host names
  // it answers to besides loopback's (origin_policy.h); lower case.
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_hosts;
  // The shape of GET /health: "native" (docs/api.md), or "exec-server" for monitors written
  // for the interactive-execution server ({"status": "UP"}).
  std::string health_style = "native";
  // The code-executor adapter's files (object_store.h): uploads and artifacts.
  std::string store_dir;                   // empty: /var/tmp/codecanvas-store-<pid>; "none": off
  std::string artifact_key;                // config file only; empty: a random key per process
  uint64_t file_retention_seconds = 3600;  // uploads, artifacts and runs
  uint64_t store_bytes = 1ULL << 30;
  size_t max_artifacts = 16;                 // files one run may leave in /box/outputs/
  uint64_t max_artifact_bytes = 8ULL << 20;  // and their bytes in all
  // The worker mode (docs/deploy.md): jobs go to a RabbitMQ broker, workers run them.
  std::string broker;                         // amqp://USER:PASS@HOST:PORT/VHOST; "" none
  std::string broker_queue = "codecanvas.jobs";
  unsigned local_slots = 0;       // the API node's own slots beside the workers
  uint64_t max_queue_depth = 256;  // more jobs waiting in the broker's queue: 503
  unsigned max_deliveries = 3;     // a job delivered more often is answered, not run
  uint64_t broker_wait_seconds = 60;  // beyond a job's limits, before its answer is given up
};

// Parses flags (argv without the program name) on top of the defaults and the config
// file they name. `help` is set for --help.
Result<ServerConfig> parseServerConfig(const std::vector<std::string>& args, bool& help);
// Applies a config file's JSON text to `config`.
Status applyConfigJson(const std::string& text, const std::string& origin, ServerConfig& config);

extern const char* const kServerUsage;

}  // namespace codecanvas::http
