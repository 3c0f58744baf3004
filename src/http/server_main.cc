// codecanvas-server: the HTTP service on port 10100.
//
// Start-up: configuration → language profiles and toolchain versions → sandbox slots →
// listen. SIGTERM or SIGINT: stop accepting connections, answer the requests in progress
// (their jobs finish, bounded by --shutdown-grace-s), tear the slots down, exit 0. A
// second signal during shutdown exits at once with status 1. Under systemd (Type=notify)
// it says READY=1 once it listens and STOPPING=1 at the first signal.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <thread>

#include "broker/amqp_client.h"
#include "broker_backend.h"
#include "sandbox/sandbox.h"
#include "server.h"
#include "service.h"
#include "service_manager.h"

using namespace codecanvas;
using namespace codecanvas::http;

namespace {

void say(const std::string& line) {
  std::fprintf(stderr, "codecanvas: %s\n", line.c_str());
}

// systemd's Type=notify (deploy/codecanvas-server.service.in); nothing without it.
void notify(const std::string& state) {
  if (auto s = notifyServiceManager(state); !s) say("service manager: " + s.error().message);
}

}  // namespace

int main(int argc, char** argv) {
  // Every thread created from here on inherits this mask: the signals are taken by the
  // one thread that waits for them, never by a request thread at a random point.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client that hangs up mid-answer must not kill the server.
  signal(SIGPIPE, SIG_IGN);

  bool help = false;
  auto config = parseServerConfig(std::vector<std::string>(argv + 1, argv + argc), help);
  if (!config) {
    std::fprintf(stderr, "codecanvas-server: %s\n", config.error().message.c_str());
    return 2;
  }
  if (help) {
    std::fputs(kServerUsage, stdout);
    return 0;
  }
  if (!config->config_path.empty()) say("configuration from " + config->config_path);
  if (auto free = probeBind(config->bind, config->port); !free) {
    std::fprintf(stderr, "codecanvas-server: %s\n", free.error().message.c_str());
    return 1;
  }

  // The worker mode: the broker's URL is checked before anything is built.
  std::optional<BrokerOptions> broker;
  if (!config->broker.empty()) {
    auto url = broker::parseBrokerUrl(config->broker);
    if (!url) {
      std::fprintf(stderr, "codecanvas-server: --broker: %s\n", url.error().message.c_str());
      return 2;
    }
    broker = BrokerOptions{url.value(), config->broker_queue, config->max_queue_depth,
                           config->max_deliveries, config->broker_wait_seconds * 1000};
  }
  auto service = Service::create(
      config.value(), broker ? std::optional<unsigned>(config->local_slots) : std::nullopt);
  if (!service) {
    std::fprintf(stderr, "codecanvas-server: cannot start: %s\n", service.error().message.c_str());
    return 1;
  }
  std::unique_ptr<BrokerBackend> remote;
  if (broker) {
    remote = std::make_unique<BrokerBackend>(*service.value(), *broker);
    say("worker mode: jobs go to the queue " + broker->queue + " at " + broker->url.host + ":" +
        std::to_string(broker->url.port) + broker->url.vhost +
        (config->local_slots > 0 ? " when none of the " + std::to_string(config->local_slots) +
                                       " local slots is free"
                                 : ""));
    if (!remote->waitConnected(std::chrono::seconds(5)))
      say("the broker does not answer yet; jobs get 503 until it does (/health: degraded)");
  }
  Backend& backend = remote ? static_cast<Backend&>(*remote) : *service.value();
  Metrics metrics;
  ApiOptions api_options;
  api_options.input = config->input;
  // The web page is optional: without it the API works and "/" says why there is no page.
  std::optional<StaticSite> site;
  if (config->web_dir == "none") {
    api_options.site_missing = "the web page is switched off on this server (--web-dir none)";
  } else {
    const std::string dir =
        !config->web_dir.empty()
            ? config->web_dir
            : (config->data_dir.empty() ? sandbox::defaultDataDir() : config->data_dir) +
                  "/web/dist";
    auto loaded = StaticSite::load(dir);
    if (loaded) {
      site = std::move(loaded.value());
      api_options.site = &*site;
      say("web page: " + std::to_string(site->size()) + " files from " + dir);
    } else {
      api_options.site_missing = loaded.error().message;
      say("no web page at /: " + loaded.error().message);
    }
  }
  api_options.origins.loopback_bind = isLoopbackAddress(config->bind);
  api_options.origins.allowed_hosts = config->allowed_hosts;
  api_options.exec_server_health = config->health_style == "exec-server";
  api_options.origins.allowed_origins = config->allowed_origins;
  AccessControl access(config->api_keys);
  api_options.access = &access;
  if (access.open()) {
    const bool loopback = api_options.origins.loopback_bind;
    say(loopback ? "api keys: none configured, the API is open (to this machine only)"
                 : "WARNING: api keys: none configured and listening on " + config->bind +
                       ": anyone who reaches the port can run code; set \"api_keys\" in "
                       "the config file");
  } else {
    say("api keys: " + std::to_string(config->api_keys.size()) +
        " configured; every request but GET /health and the web page's files needs one");
  }
  // The code-executor adapter's files (/v1/files, /v1/runs' artifacts).
  std::unique_ptr<ObjectStore> store;
  std::optional<RunStore> runs;
  std::optional<UrlSigner> signer;
  if (config->store_dir != "none") {
    auto opened = ObjectStore::open({config->store_dir, config->store_bytes, 10000});
    if (!opened) {
      std::fprintf(stderr, "codecanvas-server: %s\n", opened.error().message.c_str());
      return 1;
    }
    store = std::move(opened.value());
    runs.emplace(10000, static_cast<int64_t>(config->file_retention_seconds));
    signer.emplace(config->artifact_key);
    CodeExecutorOptions ex;
    ex.store = store.get();
    ex.runs = &*runs;
    ex.signer = &*signer;
    ex.file_retention_seconds = static_cast<int64_t>(config->file_retention_seconds);
    ex.outputs =
        jobs::OutputCollection{"outputs", config->max_artifacts, config->max_artifact_bytes};
    api_options.executor = ex;
    say("file store: " + store->dir() + " (" + std::to_string(config->store_bytes >> 20) +
        " MiB, kept " + std::to_string(config->file_retention_seconds) + " s)" +
        (config->artifact_key.empty()
             ? "; artifact URLs signed with a random key: they end with this process"
             : ""));
  } else {
    say("file store: off (--store-dir none): the /v1/ routes answer 503");
  }
  Api api(backend, metrics, api_options);
  const auto health = service.value()->health();
  const unsigned threads = config->http_threads != 0
                               ? config->http_threads
                               : static_cast<unsigned>(std::min<size_t>(
                                     health.slots + config->queue_capacity + 8, 1024));
  if (config->max_sessions == 0) config->max_sessions = health.slots;
  HttpServer server(api, config.value(), threads);
  auto port = server.bind();
  if (!port) {
    std::fprintf(stderr, "codecanvas-server: %s\n", port.error().message.c_str());
    return 1;
  }

  std::atomic<bool> stopping{false};
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    stopping = true;
    // New jobs are refused at once, also on connections that stay open while the server
    // stops (keep-alive): the jobs that run are the ones admitted before the signal.
    service.value()->stopAdmitting();
    notify("STOPPING=1\nSTATUS=finishing the jobs in progress");
    say(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
        ": no new connections or jobs; finishing the jobs in progress");
    server.stop();
    sigwait(&stop_signals, &sig);
    say("second signal: exiting now");
    _exit(1);
  });
  signals.detach();

  say("listening on http://" + config->bind + ":" + std::to_string(port.value()) + " (" +
      std::to_string(health.slots) + " slots, queue " + std::to_string(config->queue_capacity) +
      ", " + std::to_string(threads) + " request threads)");
  notify("READY=1\nSTATUS=listening on " + config->bind + ":" + std::to_string(port.value()));
  const bool served = server.run();
  if (!stopping) {
    say("the listening socket failed; shutting down");
  }
  const bool drained = service.value()->drain(std::chrono::seconds(config->shutdown_grace_seconds));
  if (!drained) say("jobs still running after the grace period; they end at their own limits");
  remote.reset();
  service.value().reset();
  say("slots torn down; bye");
  return served || stopping ? 0 : 1;
}
