#include "service.h"

#include <cstdio>
#include <thread>

namespace codecanvas::http {

namespace {

void say(const std::string& line) {
  std::fprintf(stderr, "codecanvas: %s\n", line.c_str());
}

}  // namespace

Result<std::unique_ptr<Service>> Service::create(const ServerConfig& config) {
  std::unique_ptr<Service> s(new Service());
  jobs::PoolOptions options;
  options.sandbox.slots =
      config.slots != 0 ? config.slots : std::max(1u, std::thread::hardware_concurrency());
  options.sandbox.uid_base = config.uid_base;
  options.sandbox.data_dir = config.data_dir.empty() ? sandbox::defaultDataDir() : config.data_dir;
  options.queue_capacity = config.queue_capacity;
  options.cache_bytes = config.cache_bytes;

  const std::string profiles = options.sandbox.data_dir + "/profiles/languages";
  say("loading language profiles from " + profiles + " and asking each toolchain its version");
  auto found = jobs::LanguageRegistry::load(profiles);
  if (!found) return found.error();
  for (const auto& p : found->problems()) say("warning: " + p);

  say("building " + std::to_string(options.sandbox.slots) + " sandbox slot(s), uids from " +
      std::to_string(options.sandbox.uid_base));
  auto pool = jobs::SlotPool::create(options);
  if (!pool) return pool.error();
  s->pool_ = std::move(pool.value());
  for (const auto& w : s->pool_->warnings()) say("warning: " + w);

  // A language whose seccomp policy does not compile is dropped, not the whole service.
  std::vector<jobs::LanguageProfile> usable;
  for (const auto& lang : found->all()) {
    if (auto program = s->pool_->seccomp().program(lang.seccomp); !program) {
      say("warning: " + lang.name + " is not offered: its seccomp policy '" + lang.seccomp +
          "' failed: " + program.error().message);
      continue;
    }
    usable.push_back(lang);
  }
  auto registry = jobs::LanguageRegistry::fromProfiles(std::move(usable));
  if (!registry) return registry.error();
  s->languages_ = std::move(registry.value());
  s->runner_ = std::make_unique<jobs::CodeRunner>(config.max_limits, config.max_job);
  std::string names;
  for (const auto& l : s->languages_.all()) names += " " + l.name + " " + l.version + ";";
  say("languages:" + (names.empty() ? std::string(" none") : names));
  return s;
}

HealthInfo Service::health() const {
  const auto st = pool_->stats();
  HealthInfo h;
  h.slots = st.slots;
  h.busy = st.busy;
  h.broken = st.broken;
  h.queued = st.queued;
  h.queue_capacity = st.queue_capacity;
  const auto& layout = pool_->cgroupLayout();
  h.cpu = cgroup::cgroupVersionName(layout.cpu.version);
  h.memory = cgroup::cgroupVersionName(layout.memory.version);
  h.pids = cgroup::cgroupVersionName(layout.pids.version);
  h.warnings = pool_->warnings();
  return h;
}

Metrics::Gauges Service::gauges() const {
  const auto st = pool_->stats();
  const auto cache = pool_->cache().stats();
  Metrics::Gauges g;
  g.slots = st.slots;
  g.busy = st.busy;
  g.broken = st.broken;
  g.queued = st.queued;
  g.queue_capacity = st.queue_capacity;
  g.rebuilds = st.rebuilds;
  g.cache_entries = cache.entries;
  g.cache_bytes = cache.bytes;
  g.cache_hits = cache.hits;
  g.cache_misses = cache.misses;
  return g;
}

}  // namespace codecanvas::http
