#include "loadgen/engine/engine.h"

#include <thread>

namespace chatd::loadgen {
namespace {

constexpr Nanos kWaitTick = 2 * kMillis;       // how often the controller looks at progress
constexpr Nanos kProgressEvery = 100 * kMillis;  // how often it reports it
// Open loop: the schedule starts this far ahead, so no worker begins behind it.
constexpr Nanos kScheduleLead = 5 * kMillis;

void sleep_for(Nanos n) { std::this_thread::sleep_for(std::chrono::nanoseconds(n)); }

}  // namespace

Engine::Engine(EngineConfig config) : config_(std::move(config)), census_(config_.plan.rooms()) {}

Engine::~Engine() {
  for (auto& w : workers_) w->stop();
}

Result<std::unique_ptr<Engine>> Engine::start(EngineConfig config) {
  std::unique_ptr<Engine> e(new Engine(std::move(config)));
  for (uint32_t i = 0; i < e->config_.threads; ++i) {
    e->workers_.push_back(std::make_unique<Worker>(i, e->config_, e->census_, e->server_));
    if (auto r = e->workers_.back()->start(); !r) {
      e->workers_.pop_back();
      return Error{"worker thread " + std::to_string(i) + ": " + r.error().message};
    }
  }
  return e;
}

const char* Engine::backend_name() const { return config_.backend == reactor::Backend::uring ? "uring" : "epoll"; }

std::optional<int64_t> Engine::server_shards() const {
  int64_t s = server_.shards();
  return s > 0 ? std::optional<int64_t>(s) : std::nullopt;
}

std::optional<std::string> Engine::server_version() const {
  std::string v = server_.version();
  return v.empty() ? std::nullopt : std::optional<std::string>(std::move(v));
}

void Harvest::merge(Harvest&& o) {
  tally.merge(o.tally);
  latency.merge(o.latency);
  connect.merge(o.connect);
  new_clients += o.new_clients;
  connect_failures += o.connect_failures;
  if (room_messages.empty()) {
    room_messages = std::move(o.room_messages);
  } else {
    for (std::size_t r = 0; r < std::min(room_messages.size(), o.room_messages.size()); ++r)
      room_messages[r] += o.room_messages[r];
  }
}

EngineProgress Engine::progress() const {
  EngineProgress p;
  for (const auto& w : workers_) {
    const WorkerProgress& wp = w->progress();
    p.connected += wp.connected.load(std::memory_order_relaxed);
    p.connected_publishers += wp.connected_publishers.load(std::memory_order_relaxed);
    p.settled += wp.settled.load(std::memory_order_relaxed);
    p.sent += wp.sent.load(std::memory_order_relaxed);
    p.expected += wp.expected.load(std::memory_order_relaxed);
    p.received += wp.received.load(std::memory_order_relaxed);
    p.sent_total += wp.sent_total.load(std::memory_order_relaxed);
    p.received_total += wp.received_total.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < kErrorCodeSlots; ++i)
      p.errors_total[i] += wp.errors_total[i].load(std::memory_order_relaxed);
  }
  return p;
}

ConnectOutcome Engine::connect(uint32_t count, const ProgressFn& report, const std::atomic<bool>& stop) {
  const uint64_t target = progress().settled + count;
  std::vector<ConnectCommand> commands(workers_.size());
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t number = spawned_ + i;
    commands[number % workers_.size()].clients.push_back(number);
  }
  spawned_ += count;
  for (std::size_t w = 0; w < workers_.size(); ++w)
    if (!commands[w].clients.empty()) workers_[w]->post(std::move(commands[w]));

  ConnectOutcome out{count, false};
  Nanos next_report = 0;
  for (;;) {
    const EngineProgress p = progress();
    if (report && monotonic_now() >= next_report) {
      report(p);
      next_report = monotonic_now() + kProgressEvery;
    }
    if (p.settled >= target) break;
    if (stop.load(std::memory_order_relaxed)) {
      out.interrupted = true;
      break;
    }
    sleep_for(kWaitTick);
  }
  if (report) report(progress());
  return out;
}

TrafficOutcome Engine::run_traffic(TrafficSpec spec, Nanos timeout, const ProgressFn& report,
                                   const std::atomic<bool>& stop) {
  TrafficOutcome out;
  out.started = monotonic_now();
  spec.live_clients = progress().connected_publishers;
  spec.spawned_clients = spawned_;
  Nanos deadline = out.started + timeout;
  if (spec.rate > 0) {
    spec.origin = out.started + kScheduleLead;
    const double seconds = double(spec.per_client) * double(std::max<uint64_t>(spec.live_clients, 1)) / spec.rate;
    deadline = spec.origin + Nanos(seconds * 1e9) + timeout;
  }
  for (auto& w : workers_) w->post(TrafficCommand{spec});

  Nanos next_report = 0;
  for (;;) {
    // Acquire on every done flag first: each makes that worker's final `expected` visible.
    bool all_sent = true;
    for (const auto& w : workers_)
      all_sent &= w->progress().sending_done_step.load(std::memory_order_acquire) == spec.step;
    const EngineProgress p = progress();
    const Nanos now = monotonic_now();
    if (report && now >= next_report) {
      report(p);
      next_report = now + kProgressEvery;
    }
    if (all_sent && p.received >= p.expected) {
      out.completed = true;
      break;
    }
    if (stop.load(std::memory_order_relaxed)) {
      out.interrupted = true;
      break;
    }
    if (now >= deadline) break;
    sleep_for(kWaitTick);
  }
  out.ended = monotonic_now();
  if (report) report(progress());
  return out;
}

Harvest Engine::harvest(uint32_t next_step) {
  std::vector<std::future<Harvest>> replies;
  for (auto& w : workers_) {
    auto promise = std::make_shared<std::promise<Harvest>>();
    replies.push_back(promise->get_future());
    w->post(HarvestCommand{next_step, promise});
  }
  Harvest total;
  for (auto& f : replies) total.merge(f.get());
  total.room_members.resize(config_.plan.rooms());
  for (uint32_t r = 0; r < config_.plan.rooms(); ++r) total.room_members[r] = census_.members(r);
  return total;
}

void Engine::close_all() {
  for (auto& w : workers_) w->post(CloseAllCommand{});
  const Nanos deadline = monotonic_now() + 2 * kSeconds;
  while (progress().connected > 0 && monotonic_now() < deadline) sleep_for(kWaitTick);
}

}  // namespace chatd::loadgen
