#include "service.h"

#include <cstdio>
#include <thread>

#include "sandbox/seccomp_registry.h"

namespace codecanvas::http {

namespace {

void say(const std::string& line) {
  std::fprintf(stderr, "codecanvas: %s\n", line.c_str());
}

}  // namespace

Result<std::unique_ptr<Service>> Service::create(const ServerConfig& config,
                                                 std::optional<unsigned> slots) {
  std::unique_ptr<Service> s(new Service());
  jobs::PoolOptions options;
  options.sandbox.slots = slots ? *slots
                          : config.slots != 0
                              ? config.slots
                              : std::max(1u, std::thread::hardware_concurrency());
  options.sandbox.uid_base = config.uid_base;
  options.sandbox.data_dir = config.data_dir.empty() ? sandbox::defaultDataDir() : config.data_dir;
  options.queue_capacity = config.queue_capacity;
  options.cache_bytes = config.cache_bytes;

  const std::string profiles = options.sandbox.data_dir + "/profiles/languages";
  say("loading language profiles from " + profiles + " and asking each toolchain its version");
  auto found = jobs::LanguageRegistry::load(profiles);
  if (!found) return found.error();
  for (const auto& p : found->problems()) say("warning: " + p);

  // Without slots (an API node of the worker mode) the policies are compiled all the same:
  // the languages offered are the ones a worker of the same installation can run.
  std::optional<sandbox::SeccompRegistry> own_policies;
  if (options.sandbox.slots == 0) {
    say("no sandbox slots here: jobs run on the broker's workers");
    auto policies = sandbox::SeccompRegistry::load(options.sandbox.data_dir + "/profiles/seccomp");
    if (!policies) return policies.error();
    own_policies = std::move(policies.value());
  } else {
    say("building " + std::to_string(options.sandbox.slots) + " sandbox slot(s), uids from " +
        std::to_string(options.sandbox.uid_base));
    auto pool = jobs::SlotPool::create(options);
    if (!pool) return pool.error();
    s->pool_ = std::move(pool.value());
    for (const auto& w : s->pool_->warnings()) say("warning: " + w);
  }
  const sandbox::SeccompRegistry& policies = s->pool_ ? s->pool_->seccomp() : *own_policies;

  // A language whose seccomp policy does not compile is dropped, not the whole service.
  std::vector<jobs::LanguageProfile> usable;
  for (const auto& lang : found->all()) {
    if (auto program = policies.program(lang.seccomp); !program) {
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
  HealthInfo h;
  if (!pool_) return h;
  const auto st = pool_->stats();
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
  Metrics::Gauges g;
  if (!pool_) return g;
  const auto st = pool_->stats();
  const auto cache = pool_->cache().stats();
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

size_t Service::idleSlots() const {
  if (!pool_) return 0;
  const auto st = pool_->stats();
  const size_t taken = st.busy + st.broken + st.queued;
  return taken >= st.slots ? 0 : st.slots - taken;
}

}  // namespace codecanvas::http
