// codecanvas-worker: runs the jobs an API node (codecanvas-server --broker) publishes to a
// RabbitMQ broker, on sandbox slots of its own (docs/deploy.md).
//
// Start-up: configuration (the server's format and flags) → language profiles → slots →
// broker. SIGTERM or SIGINT: no new jobs; the running ones are finished and answered
// (bounded by --shutdown-grace-s), slots torn down, exit 0. A second signal exits at once
// with status 1; the broker then gives the unanswered jobs to another worker. Under systemd
// (Type=notify) it says READY=1 once it consumes the queue.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "broker/amqp_client.h"
#include "service.h"
#include "service_manager.h"
#include "worker.h"

using namespace codecanvas;

namespace {

const char* const kUsage = R"(usage: codecanvas-worker --broker URL [options]

Runs codecanvas jobs from a RabbitMQ broker's queue, which codecanvas-server --broker fills,
on sandbox slots of its own, and sends each answer back. Needs root: it builds sandbox slots.
It reads the server's configuration file and flags; the ones that matter here:

  --config FILE        JSON config file (default /etc/codecanvas/server.json if present)
  --broker URL         amqp://USER:PASS@HOST:PORT/VHOST (config file: "broker")
  --broker-queue NAME  the job queue (default codecanvas.jobs)
  --slots N            sandbox slots, jobs run at once (default: one per CPU core)
  --uid-base N         slot n runs as uid/gid N+n (default 60100); give each worker and
                       server on one machine a range of its own
  --max-deliveries N   a job delivered more often is answered with an error (default 3)
  --broker-wait-s N    how long an answer waits for its requester (default 60)
  --shutdown-grace-s N on SIGTERM, how long running jobs may take to finish (default 120)
  --data-dir DIR, --cache-mb N, --max-cpu-ms N and the other limits: as for the server;
                       every worker and the API node should share one configuration
  --help               this text
)";

void say(const std::string& line) {
  std::fprintf(stderr, "codecanvas-worker: %s\n", line.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  bool help = false;
  auto config = http::parseServerConfig(std::vector<std::string>(argv + 1, argv + argc), help);
  if (!config) {
    std::fprintf(stderr, "codecanvas-worker: %s\n", config.error().message.c_str());
    return 2;
  }
  if (help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (config->broker.empty()) {
    std::fprintf(stderr, "codecanvas-worker: no broker: give --broker URL or \"broker\" in the "
                         "config file (see --help)\n");
    return 2;
  }
  auto url = broker::parseBrokerUrl(config->broker);
  if (!url) {
    std::fprintf(stderr, "codecanvas-worker: --broker: %s\n", url.error().message.c_str());
    return 2;
  }
  if (!config->config_path.empty()) say("configuration from " + config->config_path);
  auto service = http::Service::create(config.value());
  if (!service) {
    std::fprintf(stderr, "codecanvas-worker: cannot start: %s\n",
                 service.error().message.c_str());
    return 1;
  }
  worker::WorkerOptions options;
  options.url = url.value();
  options.queue = config->broker_queue;
  options.max_deliveries = config->max_deliveries;
  options.reply_ttl_ms = config->broker_wait_seconds * 1000;
  options.grace = std::chrono::seconds(config->shutdown_grace_seconds);
  worker::Worker worker(*service.value(), options);

  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    say(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
        ": finishing the jobs in progress");
    if (auto s = http::notifyServiceManager("STOPPING=1"); !s) say(s.error().message);
    worker.stop();
    sigwait(&stop_signals, &sig);
    say("second signal: exiting now; the broker gives the unanswered jobs to another worker");
    _exit(1);
  });
  signals.detach();

  worker.run([&] {
    if (auto s = http::notifyServiceManager("READY=1\nSTATUS=consuming " + options.queue); !s)
      say("service manager: " + s.error().message);
  });
  service.value()->stopAdmitting();
  if (!service.value()->drain(std::chrono::seconds(5)))
    say("jobs still running; they end at their own limits");
  service.value().reset();
  say("slots torn down; bye");
  return 0;
}
