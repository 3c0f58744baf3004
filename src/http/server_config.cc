#include "server_config.h"

#include <unistd.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "common/text_file.h"
#include "origin_policy.h"

namespace codecanvas::http {

const char* const kServerUsage = R"(usage: codecanvas-server [options]

Serves the codecanvas HTTP API (POST /api/v1/run, /api/v1/judge; GET /api/v1/languages,
/api/v1/runtimes, /health, /metrics, /openapi.json; live sessions over a WebSocket at
/api/v1/sessions), the adapters for other systems'
clients (Piston's /api/v2, the interactive-execution server's /execute and /languages)
and the web page at /. Needs root: it builds sandbox slots.

options (each overrides the config file):
  --config FILE        JSON config file (default /etc/codecanvas/server.json if present)
  --bind ADDR          address to listen on (default 127.0.0.1; 0.0.0.0 opens it to the network)
  --port N             port (default 10100; 0 picks a free one)
  --slots N            sandbox slots, jobs run at once (default: one per CPU core)
  --queue N            jobs that may wait for a slot before requests get 503 (default 64)
  --uid-base N         slot n runs as uid/gid N+n (default 60100)
  --data-dir DIR       where profiles/ and rootfs/ are (default: the build's source tree)
  --web-dir DIR        the web page served at / (default: DATA_DIR/web/dist; none: no page)
  --max-cpu-ms N       ceiling for every request's CPU limit (default 20000)
  --max-wall-ms N      ceiling for wall-clock limits (default 60000)
  --max-memory-kb N    ceiling for memory limits (default 2097152)
  --max-output-kb N    ceiling for output limits (default 16384)
  --max-processes N    ceiling for process limits (default 512)
  --max-body-kb N      largest request body (default 16384)
  --max-source-kb N    largest source (default 1024)
  --max-tests N        most tests in one judge request (default 500)
  --max-job-wall-ms N  wall time one job's runs may take in all (default 300000)
  --max-job-cpu-ms N   CPU time one job's runs may use in all (default 120000)
  --max-job-output-kb N  output of one job kept for its answer (default 16384)
  --cache-mb N         compile cache size (default 256)
  --shutdown-grace-s N on SIGTERM, how long running jobs may take to finish (default 120)
  --http-threads N     request threads (default: slots + queue + 8)
  --max-sessions N     live sessions (WebSocket /api/v1/sessions) open at once; more get
                       503 (default 0: as many as slots)
  --session-idle-s N   a live session with no client message and no output reaching the
                       client for N seconds ends, its run killed (default 60)
  --allow-origin URL   a web site whose pages may call the API (e.g. https://judge.example.org);
                       repeatable. Browsers' requests from other sites get 403
  --health-style S     the answer of GET /health: native (default), or exec-server for
                       monitors of the interactive-execution server ({"status": "UP"})
  --allow-host NAME    a host name the server answers to; repeatable. Bound to loopback it
                       answers only to localhost, 127.x.x.x and [::1] otherwise (DNS rebinding)
  --store-dir DIR      where uploads (POST /v1/files) and run artifacts are kept; locked, one
                       server each (default: /var/tmp/codecanvas-store-<pid>, removed at exit;
                       none: the /v1/ routes are off)
  --file-retention-s N how long uploads, artifacts and runs are kept (default 3600)
  --store-mb N         the store's size in all (default 1024)
  --max-artifacts N    files one run may leave in /box/outputs/ (default 16)
  --max-artifact-kb N  their size in all (default 8192)
  --broker URL         the worker mode: jobs go to this RabbitMQ broker
                       (amqp://USER:PASS@HOST:PORT/VHOST) and codecanvas-worker processes
                       run them; the server builds no slots of its own but --local-slots
  --local-slots N      with --broker: slots of this server's own, used first (default 0)
  --broker-queue NAME  the broker's job queue (default codecanvas.jobs)
  --max-queue-depth N  with --broker: more jobs waiting in its queue get 503 (default 256)
  --max-deliveries N   a job the broker delivered more often (its workers died running
                       it) is answered with an error, not run again (default 3)
  --broker-wait-s N    how long beyond its limits a job's answer is waited for (default 60)
  --help               this text
)";

namespace {

using nlohmann::json;

Result<uint64_t> number(const std::string& text, const std::string& what, uint64_t min,
                        uint64_t max) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    return Error{what + " must be a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", not '" + text + "'",
                 EINVAL};
  return v;
}

// One setting, reachable as a flag (--name) and as a config file field (name with '_').
struct Setting {
  const char* flag;
  const char* field;
  uint64_t min, max;
  void (*set)(ServerConfig&, uint64_t);
};

const Setting kNumbers[] = {
    {"--port", "port", 0, 65535, [](ServerConfig& c, uint64_t v) { c.port = static_cast<int>(v); }},
    {"--slots", "slots", 0, 256,
     [](ServerConfig& c, uint64_t v) { c.slots = static_cast<unsigned>(v); }},
    {"--queue", "queue_capacity", 0, 100000,
     [](ServerConfig& c, uint64_t v) { c.queue_capacity = v; }},
    {"--uid-base", "uid_base", 1000, 4000000000,
     [](ServerConfig& c, uint64_t v) { c.uid_base = static_cast<uint32_t>(v); }},
    {"--max-cpu-ms", "max_cpu_ms", 1, 3600000,
     [](ServerConfig& c, uint64_t v) { c.max_limits.cpu_ms = v; }},
    {"--max-wall-ms", "max_wall_ms", 1, 7200000,
     [](ServerConfig& c, uint64_t v) { c.max_limits.wall_ms = v; }},
    {"--max-memory-kb", "max_memory_kb", 1024, 1ULL << 40,
     [](ServerConfig& c, uint64_t v) { c.max_limits.memory_kb = v; }},
    {"--max-output-kb", "max_output_kb", 1, 1 << 20,
     [](ServerConfig& c, uint64_t v) { c.max_limits.output_kb = v; }},
    {"--max-processes", "max_processes", 1, 100000,
     [](ServerConfig& c, uint64_t v) { c.max_limits.processes = v; }},
    {"--max-body-kb", "max_body_kb", 1, 1 << 20,
     [](ServerConfig& c, uint64_t v) { c.input.max_body_bytes = v * 1024; }},
    {"--max-source-kb", "max_source_kb", 1, 1 << 20,
     [](ServerConfig& c, uint64_t v) { c.input.max_source_bytes = v * 1024; }},
    {"--max-stdin-kb", "max_stdin_kb", 0, 1 << 20,
     [](ServerConfig& c, uint64_t v) { c.input.max_stdin_bytes = v * 1024; }},
    {"--max-tests", "max_tests", 1, 100000,
     [](ServerConfig& c, uint64_t v) { c.input.max_tests = v; }},
    {"--cache-mb", "cache_mb", 0, 1 << 20,
     [](ServerConfig& c, uint64_t v) { c.cache_bytes = v << 20; }},
    {"--shutdown-grace-s", "shutdown_grace_s", 0, 86400,
     [](ServerConfig& c, uint64_t v) { c.shutdown_grace_seconds = static_cast<unsigned>(v); }},
    {"--http-threads", "http_threads", 0, 4096,
     [](ServerConfig& c, uint64_t v) { c.http_threads = static_cast<unsigned>(v); }},
    {"--max-job-wall-ms", "max_job_wall_ms", 1, 86400000,
     [](ServerConfig& c, uint64_t v) { c.max_job.wall_ms = v; }},
    {"--max-job-cpu-ms", "max_job_cpu_ms", 1, 86400000,
     [](ServerConfig& c, uint64_t v) { c.max_job.cpu_ms = v; }},
    {"--max-job-output-kb", "max_job_output_kb", 1, 1 << 24,
     [](ServerConfig& c, uint64_t v) { c.max_job.output_bytes = v * 1024; }},
    {"--max-sessions", "max_sessions", 0, 100000,
     [](ServerConfig& c, uint64_t v) { c.max_sessions = static_cast<size_t>(v); }},
    {"--session-idle-s", "session_idle_s", 1, 86400,
     [](ServerConfig& c, uint64_t v) { c.session_idle_seconds = static_cast<unsigned>(v); }},
    {"--file-retention-s", "file_retention_s", 1, 30 * 86400,
     [](ServerConfig& c, uint64_t v) { c.file_retention_seconds = v; }},
    {"--store-mb", "store_mb", 1, 1 << 24,
     [](ServerConfig& c, uint64_t v) { c.store_bytes = v << 20; }},
    {"--max-artifacts", "max_artifacts", 0, 1000,
     [](ServerConfig& c, uint64_t v) { c.max_artifacts = static_cast<size_t>(v); }},
    {"--max-artifact-kb", "max_artifact_kb", 0, 1 << 20,
     [](ServerConfig& c, uint64_t v) { c.max_artifact_bytes = v * 1024; }},
    {"--local-slots", "local_slots", 0, 256,
     [](ServerConfig& c, uint64_t v) { c.local_slots = static_cast<unsigned>(v); }},
    {"--max-queue-depth", "max_queue_depth", 0, 1000000,
     [](ServerConfig& c, uint64_t v) { c.max_queue_depth = v; }},
    {"--max-deliveries", "max_deliveries", 1, 100,
     [](ServerConfig& c, uint64_t v) { c.max_deliveries = static_cast<unsigned>(v); }},
    {"--broker-wait-s", "broker_wait_s", 1, 86400,
     [](ServerConfig& c, uint64_t v) { c.broker_wait_seconds = v; }},
};

// "api_keys": [{"name": "judge", "key": "...", "requests_per_minute": 600, "burst": 50}]
Result<std::vector<ApiKey>> parseApiKeys(const json& value, const std::string& origin) {
  if (!value.is_array())
    return Error{origin + ": \"api_keys\" must be a list of {\"name\", \"key\"} objects", EINVAL};
  std::vector<ApiKey> keys;
  for (size_t i = 0; i < value.size(); ++i) {
    const json& k = value[i];
    const std::string which = origin + ": api_keys[" + std::to_string(i) + "]";
    if (!k.is_object()) return Error{which + " must be an object", EINVAL};
    ApiKey key;
    for (const auto& [field, v] : k.items()) {
      if (field == "name" || field == "key") {
        if (!v.is_string()) return Error{which + ": \"" + field + "\" must be a string", EINVAL};
        (field == "name" ? key.name : key.key) = v.get<std::string>();
      } else if (field == "requests_per_minute" || field == "burst") {
        if (!v.is_number_unsigned() || v.get<uint64_t>() > 1000000)
          return Error{which + ": \"" + field + "\" must be a whole number up to 1000000", EINVAL};
        (field == "burst" ? key.burst : key.requests_per_minute) = v.get<uint64_t>();
      } else {
        return Error{which + ": unknown field \"" + field + "\"", EINVAL};
      }
    }
    keys.push_back(std::move(key));
  }
  if (Status s = validateApiKeys(keys); !s) return Error{origin + ": " + s.error().message, EINVAL};
  return keys;
}

// "allowed_origins": ["https://judge.example.org"], "allowed_hosts": ["judge.example.org"]
Result<std::vector<std::string>> parseNameList(
    const json& value, const std::string& what,
    Result<std::string> (*normalize)(const std::string&)) {
  if (!value.is_array()) return Error{what + " must be a list of strings", EINVAL};
  std::vector<std::string> out;
  for (const auto& v : value) {
    if (!v.is_string()) return Error{what + " must be a list of strings", EINVAL};
    auto n = normalize(v.get<std::string>());
    if (!n) return Error{what + ": " + n.error().message, EINVAL};
    out.push_back(std::move(n.value()));
  }
  return out;
}

}  // namespace

Status applyConfigJson(const std::string& text, const std::string& origin, ServerConfig& config) {
  json j = json::parse(text, nullptr, false, /*ignore_comments=*/true);
  if (j.is_discarded() || !j.is_object()) return Error{origin + ": not a JSON object", EINVAL};
  for (const auto& [key, value] : j.items()) {
    if (key == "api_keys") {
      auto keys = parseApiKeys(value, origin);
      if (!keys) return keys.error();
      config.api_keys = std::move(keys.value());
      continue;
    }
    if (key == "allowed_origins" || key == "allowed_hosts") {
      const bool origins = key == "allowed_origins";
      auto list = parseNameList(value, origin + ": \"" + key + "\"",
                                origins ? normalizeOrigin : normalizeHost);
      if (!list) return list.error();
      (origins ? config.allowed_origins : config.allowed_hosts) = std::move(list.value());
      continue;
    }
    if (key == "bind" || key == "data_dir" || key == "web_dir" || key == "health_style" ||
        key == "store_dir" || key == "artifact_key" || key == "broker" ||
        key == "broker_queue") {
      if (!value.is_string()) return Error{origin + ": \"" + key + "\" must be a string", EINVAL};
      (key == "bind"           ? config.bind
       : key == "data_dir"     ? config.data_dir
       : key == "web_dir"      ? config.web_dir
       : key == "store_dir"    ? config.store_dir
       : key == "artifact_key" ? config.artifact_key
       : key == "broker"       ? config.broker
       : key == "broker_queue" ? config.broker_queue
                               : config.health_style) = value.get<std::string>();
      if (key == "artifact_key" && config.artifact_key.size() < 16)
        return Error{origin + ": \"artifact_key\" must have at least 16 characters", EINVAL};
      continue;
    }
    const Setting* s = nullptr;
    for (const auto& n : kNumbers)
      if (key == n.field) s = &n;
    if (s == nullptr) return Error{origin + ": unknown setting \"" + key + "\"", EINVAL};
    if (!value.is_number_unsigned())
      return Error{origin + ": \"" + key + "\" must be a whole number", EINVAL};
    auto v =
        number(std::to_string(value.get<uint64_t>()), origin + ": \"" + key + "\"", s->min, s->max);
    if (!v) return v.error();
    s->set(config, v.value());
  }
  return {};
}

Result<ServerConfig> parseServerConfig(const std::vector<std::string>& args, bool& help) {
  help = false;
  ServerConfig config;
  // The config file first, so that flags override it wherever they appear.
  std::string path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config") {
      if (i + 1 >= args.size()) return Error{"--config needs a file name", EINVAL};
      path = args[i + 1];
    }
  }
  const bool explicit_file = !path.empty();
  if (!explicit_file && ::access("/etc/codecanvas/server.json", F_OK) == 0)
    path = "/etc/codecanvas/server.json";
  if (!path.empty()) {
    auto text = readTextFile(path, 1 << 20);
    if (!text) return text.error();
    if (auto s = applyConfigJson(text.value(), path, config); !s) return s.error();
    config.config_path = path;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      help = true;
      return config;
    }
    if (i + 1 >= args.size()) return Error{"unknown option or missing value: " + a, EINVAL};
    const std::string& v = args[++i];
    if (a == "--config") continue;
    if (a == "--bind") {
      config.bind = v;
      continue;
    }
    if (a == "--data-dir") {
      config.data_dir = v;
      continue;
    }
    if (a == "--web-dir") {
      config.web_dir = v;
      continue;
    }
    if (a == "--health-style") {
      config.health_style = v;
      continue;
    }
    if (a == "--store-dir") {
      config.store_dir = v;
      continue;
    }
    if (a == "--broker") {
      config.broker = v;
      continue;
    }
    if (a == "--broker-queue") {
      config.broker_queue = v;
      continue;
    }
    if (a == "--allow-origin" || a == "--allow-host") {
      const bool origin = a == "--allow-origin";
      auto n = origin ? normalizeOrigin(v) : normalizeHost(v);
      if (!n) return Error{a + ": " + n.error().message, EINVAL};
      (origin ? config.allowed_origins : config.allowed_hosts).push_back(std::move(n.value()));
      continue;
    }
    const Setting* s = nullptr;
    for (const auto& n : kNumbers)
      if (a == n.flag) s = &n;
    if (s == nullptr) return Error{"unknown option: " + a + " (see --help)", EINVAL};
    auto n = number(v, a, s->min, s->max);
    if (!n) return n.error();
    s->set(config, n.value());
  }
  if (config.bind.empty()) return Error{"--bind must not be empty", EINVAL};
  // AMQP names are short strings; a queue name of other characters is a typo.
  if (config.broker_queue.empty() || config.broker_queue.size() > 200 ||
      config.broker_queue.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789._-:") != std::string::npos ||
      config.broker_queue.rfind("amq.", 0) == 0)
    return Error{"the broker queue must be 1 to 200 letters, digits or . _ - : and not begin "
                 "with amq., not \"" +
                     config.broker_queue.substr(0, 40) + "\"",
                 EINVAL};
  if (config.health_style != "native" && config.health_style != "exec-server")
    return Error{"health style must be native or exec-server, not \"" +
                     config.health_style.substr(0, 40) + "\"",
                 EINVAL};
  return config;
}

}  // namespace codecanvas::http
