// The shard loop: one turn = wait for completions, then drain the mailbox, run
// timers, push what other shards are owed, and submit every connection's sends.
#include "shard/shard.h"

#include <pthread.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <numeric>
#include <cstdio>

#include "common/log.h"

namespace chatd::shard {

static_assert(metrics::kFrameOpSlots == proto::kOpCount, "one frames_received counter per op");
static_assert(metrics::kErrorCodeSlots == proto::kErrorCodeCount, "one errors counter per error code");
static_assert(metrics::kConnectionModes == int(proto::Mode::ws) + 1, "one connections_by_mode gauge per mode");

namespace {

constexpr Nanos kTick = 20 * kMillis;            // timer resolution while timers are pending
constexpr Nanos kAcceptRetry = 100 * kMillis;    // fd exhaustion: try accepting again after

}  // namespace

Shard::Shard(uint32_t id, ServerShared& shared, xshard::Mesh& mesh)
    : id_(id),
      shared_(shared),
      config_(shared.config),
      mesh_(mesh),
      delivery_(shared.config.max_outbound, shared.config.slow_timeout),
      limits_{shared.config.max_text, shared.config.max_rooms_per_user, shared.config.rate_limit},
      pool_(*shared.event_pools.emplace_back(std::make_unique<net::EventPool>())),
      wake_needed_(mesh.shards(), false),
      pacing_(shared.config.max_outbound, shared.config.slow_timeout) {
  outbox_.reserve(mesh.shards());
  for (uint32_t i = 0; i < mesh.shards(); ++i) outbox_.emplace_back(shared.outbox_watermark);
}

Shard::~Shard() { join(); }

void Shard::start(int listen_fd, int cpu, std::function<void(Result<void>)> ready) {
  thread_ = std::thread([this, listen_fd, cpu, ready = std::move(ready)] { run(listen_fd, cpu, ready); });
}

void Shard::join() {
  if (thread_.joinable()) thread_.join();
}

void Shard::run(int listen_fd, int cpu, const std::function<void(Result<void>)>& ready) {
  char name[16];
  std::snprintf(name, sizeof name, "shard-%u", id_);
  pthread_setname_np(pthread_self(), name);
  set_log_thread_name(name);
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
      LOG_WARN("could not pin to cpu %d; running unpinned", cpu);
  }
  auto made = reactor::make_reactor(shared_.backend);
  if (!made) return ready(made.error());
  reactor_ = std::move(*made);
  if (auto auth = start_auth(); !auth) return ready(auth.error());
  listen_fd_ = listen_fd;
  reactor_->watch_wakeup(mesh_.mailbox(id_).wakeup_fd.get());
  reactor_->listen(listen_fd);
  ready({});

  while (true) {
    turn();
    if (stop_step()) break;
  }
  // Past the drain deadline whatever is left is cut.
  for (auto& slot : slots_)
    if (slot) close_connection(*slot);
  reactor_->poll(*this, 0);  // deliver the completions of the last sends
  LOG_DEBUG("stopped");
}

void Shard::turn() {
  const bool idle = !writer_.has_dirty() && outboxes_empty() && yielded_.empty();
  if (idle && mesh_.prepare_to_sleep(id_)) {
    reactor_->poll(*this, next_timeout());
    mesh_.woke_up(id_);
  } else {
    reactor_->poll(*this, 0);
  }
  now_ = monotonic_now();
  drain_mailbox();
  run_timers();
  pace_senders();
  flush_outbox();
  report_backlog();
  if (!held_.empty()) resume_held();
  writer_.flush(*reactor_);
  if (!latency_pending_.empty()) record_broadcast_latencies();
  // Depth: what waits for this shard (its ring, its own outbox) and what it could
  // not yet hand to full peers.
  stats_.mailbox_depth.set(mesh_.mailbox(id_).ring.size_approx() + outbox_depth());
}

Nanos Shard::next_timeout() const {
  // Held connections are re-checked every tick: another shard's backlog clears
  // without waking us.
  const bool timers = !prompt_queue_.empty() || !slow_.empty() || !closing_.empty() || !held_.empty() ||
                      !http_connections_.empty() || !withheld_.empty() || accept_paused_ || shutting_down_;
  if (shared_.stopping.load(std::memory_order_relaxed)) return 0;
  if (timers) return kTick;
  return login_deadlines_.empty() ? -1 : std::max<Nanos>(0, login_deadlines_.next() - now_);
}

void Shard::run_timers() {
  // Connections silent for a second get the text prompt (JSON/HTTP clients speak first).
  while (!prompt_queue_.empty() && prompt_queue_.front().second <= now_) {
    Connection* c = find(prompt_queue_.front().first);
    prompt_queue_.pop_front();
    if (c && c->mode == proto::Mode::undecided && c->phase == Phase::open && c->framer.buffered() == 0) {
      queue_reply(*c, text_prompt());
    }
  }
  close_late_logins();
  if (!slow_.empty()) check_slow_consumers();
  if (!http_connections_.empty()) check_http_deadlines();
  if (!closing_.empty()) {
    std::erase_if(closing_, [&](reactor::ConnKey key) {
      Connection* c = find(key);
      if (!c || (c->phase != Phase::draining && c->phase != Phase::lingering)) return true;
      if (now_ < c->deadline || linger_longer(*c)) return false;
      close_connection(*c);
      return true;
    });
  }
  if (accept_paused_ && !shutting_down_ && now_ >= accept_resume_at_ &&
      shared_.connections.load(std::memory_order_relaxed) < shared_.max_conns) {
    accept_paused_ = false;
    reactor_->resume_accept();
  }
}

void Shard::on_accept(int fd) {
  now_ = monotonic_now();  // the turn's clock is from before the wait
  const uint32_t count = shared_.connections.fetch_add(1, std::memory_order_relaxed) + 1;
  if (count > shared_.max_conns || shutting_down_) {
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
    ::close(fd);
    if (!accept_paused_) {
      accept_paused_ = true;
      accept_resume_at_ = now_ + kAcceptRetry;
      reactor_->pause_accept();
      if (now_ - last_accept_log_ >= kSeconds) {
        last_accept_log_ = now_;
        LOG_WARN("at --max-conns %u: not accepting until a connection closes", shared_.max_conns);
      }
    }
    return;
  }
  Admission admission;
  if (refused_by_address_limit(fd, admission)) return;  // closed (login.cc)
  // Fix the kernel's send buffer instead of letting it autotune to megabytes: what a
  // slow reader can pin is then --max-outbound plus this, not plus tcp_wmem's max.
  const int sndbuf = int(std::clamp<std::size_t>(config_.max_outbound / 4, 16 * 1024, 1024 * 1024));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  // Events are small and already batched per turn; Nagle would hold them back for
  // the peer's delayed ACK (tens of milliseconds).
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  Connection* c = add_connection(fd, proto::Mode::undecided);
  c->admission = admission;
  start_login_clock(*c);
  prompt_queue_.emplace_back(c->key, now_ + kSeconds);
  c->receiving = true;
  reactor_->start_recv(c->key, fd);
}

void Shard::on_accept_error(int err) {
  // The reactor stopped accepting. Serve who we have; retry when an fd frees up or
  // after a short pause. Log at most once a second, however hard clients knock.
  stats_.accept_errors.add();
  ++accept_errors_since_log_;
  accept_paused_ = true;
  accept_resume_at_ = now_ + kAcceptRetry;
  if (now_ - last_accept_log_ >= kSeconds) {
    last_accept_log_ = now_;
    LOG_WARN("accept failed: %s (%llu times since the last report); serving %u connections, retrying",
             std::strerror(-err), (unsigned long long)accept_errors_since_log_, open_connections_);
    accept_errors_since_log_ = 0;
  }
}

}  // namespace chatd::shard
