#include "loadgen/engine/worker.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "loadgen/cli/stop_signals.h"
#include "loadgen/wire/requests.h"

namespace chatd::loadgen {
namespace {

// Slots are never reused, so the generation is constant; it still keeps a key of
// 0 (the reactor's "nothing") from ever naming a client.
constexpr reactor::ConnKey kGeneration = reactor::ConnKey(1) << 32;
constexpr reactor::ConnKey key_for(uint32_t slot) { return kGeneration | slot; }

constexpr Nanos kIdleTimeout = 100 * kMillis;
constexpr Nanos kConnectingTimeout = kMillis;  // poll(2) the connects that often
// Stop: how long sends already in flight get to complete before the ring goes away.
constexpr Nanos kStopDrain = 200 * kMillis;

}  // namespace

Worker::Worker(uint32_t index, const EngineConfig& config, RoomCensus& census, ServerFacts& server)
    : index_(index),
      config_(config),
      census_(census),
      server_(server),
      connector_(config.source_ips, config.connect_timeout, config.max_connects_in_flight),
      wire_(make_wire_protocol(config.target, config.wire)),
      room_sent_(config.plan.rooms(), 0) {
  ledger_.begin_step(1);  // steps count from 1; each harvest moves to the next
}

Worker::~Worker() { stop(); }

Result<void> Worker::start() {
  wakeup_fd_ = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wakeup_fd_.valid()) return system_error("eventfd", errno);
  std::promise<Result<void>> ready;
  auto ready_future = ready.get_future();
  thread_ = std::thread([this, &ready] {
    block_stop_signals();
    // The reactor belongs to the thread that made it (io_uring: SINGLE_ISSUER).
    auto r = reactor::make_reactor(config_.backend);
    if (!r) {
      ready.set_value(r.error());
      return;
    }
    reactor_ = std::move(*r);
    reactor_->watch_wakeup(wakeup_fd_.get());
    ready.set_value(Result<void>());
    run();
  });
  Result<void> r = ready_future.get();
  if (!r) {
    thread_.join();
    return r;
  }
  return {};
}

void Worker::post(Command command) {
  {
    std::lock_guard lock(mu_);
    inbox_.push_back(std::move(command));
  }
  uint64_t one = 1;
  (void)!::write(wakeup_fd_.get(), &one, sizeof one);
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  post(StopCommand{});
  thread_.join();
}

void Worker::run() {
  char name[16];
  std::snprintf(name, sizeof name, "worker-%u", index_);
  set_log_thread_name(name);
  while (!stopping_) {
    drain_commands();
    const Nanos now = monotonic_now();
    start_connects(now);
    finish_connects(now);
    expire_greetings(now);
    if (open_loop_) advance_schedule(now);
    writer_.flush(*reactor_);
    publish();
    reactor_->poll(*this, poll_timeout(monotonic_now()));
  }
  // Sends in flight point into client buffers: let them finish (or fail) first.
  const Nanos deadline = monotonic_now() + kStopDrain;
  auto in_flight = [&] {
    return std::any_of(clients_.begin(), clients_.end(), [](const Client& c) { return c.send.in_flight; });
  };
  while (in_flight() && monotonic_now() < deadline) reactor_->poll(*this, 10 * kMillis);
  reactor_.reset();
}

Nanos Worker::poll_timeout(Nanos now) const {
  if (writer_.has_dirty()) return 0;
  if (!connector_.idle() || !greeting_.empty() || !connect_queue_.empty()) return kConnectingTimeout;
  if (open_loop_ && !active_.empty() && cursor_.round < spec_.per_client)
    return std::clamp<Nanos>(schedule_.at(cursor_) - now, 0, kIdleTimeout);
  return kIdleTimeout;
}

void Worker::drain_commands() {
  std::vector<Command> commands;
  {
    std::lock_guard lock(mu_);
    commands.swap(inbox_);
  }
  for (Command& c : commands) std::visit([this](auto& cmd) { handle(cmd); }, c);
}

void Worker::publish() {
  const StepTally& t = ledger_.tally();
  progress_.connected.store(connected_, std::memory_order_relaxed);
  progress_.connected_publishers.store(connected_publishers_, std::memory_order_relaxed);
  progress_.settled.store(settled_, std::memory_order_relaxed);
  progress_.sent.store(t.sent, std::memory_order_relaxed);
  progress_.expected.store(t.expected - std::min(t.expected, t.rejected_deliveries), std::memory_order_relaxed);
  progress_.received.store(t.received, std::memory_order_relaxed);
  progress_.sent_total.store(run_sent_, std::memory_order_relaxed);
  progress_.received_total.store(run_received_, std::memory_order_relaxed);
  if (errors_changed_) {
    for (std::size_t i = 0; i < kErrorCodeSlots; ++i)
      progress_.errors_total[i].store(run_errors_[i], std::memory_order_relaxed);
    errors_changed_ = false;
  }
  // Release: a controller that sees the step done also sees its final `expected`.
  if (traffic_active_ && remaining_ == 0) progress_.sending_done_step.store(spec_.step, std::memory_order_release);
}

// ---------------------------------------------------------------- commands

void Worker::handle(ConnectCommand& cmd) {
  for (uint32_t number : cmd.clients) {
    const uint32_t slot = uint32_t(clients_.size());
    Client& c = clients_.emplace_back();
    c.number = number;
    c.room = config_.plan.room_of(number);
    c.key = key_for(slot);
    connect_queue_.push_back(slot);
  }
}

void Worker::handle(TrafficCommand& cmd) {
  spec_ = std::move(cmd.spec);
  traffic_active_ = true;
  open_loop_ = spec_.rate > 0;
  active_.clear();
  remaining_ = 0;
  const std::string& text = spec_.text.empty() ? config_.filler : spec_.text;
  const MessageKind kind = spec_.message_kind();
  answers_in_order_ = wire_->answers_in_order(kind);
  for (uint32_t slot = 0; slot < clients_.size(); ++slot) {
    Client& c = clients_[slot];
    if (c.state != Client::State::joined) continue;
    // Answers to earlier steps' messages may still be on their way: they come
    // first, and must not be taken for this step's.
    c.stale_answers = c.answers_owed;
    c.generated = 0;
    c.unacked = 0;
    c.planned = 0;
    if (!config_.publishes(c.number)) continue;  // --publishers: this one only receives
    c.head = wire_->message_head(kind, config_.plan.room_name(c.room), text);
    c.whisper_to = spec_.kind == TrafficSpec::Kind::whisper ? config_.plan.user_name(whisper_target(c)) : "";
    c.planned = spec_.per_client;
    c.schedule_slot = uint32_t(active_.size());
    active_.push_back(slot);
    remaining_ += spec_.per_client;
  }
  if (spec_.kind != TrafficSpec::Kind::room_message)
    whispers_.begin_step(spec_.step, spec_.spawned_clients, spec_.per_client);
  const Nanos now = monotonic_now();
  if (open_loop_) {
    const double phase = double(index_) / double(std::max<uint32_t>(config_.threads, 1));
    schedule_ = OpenLoopSchedule(spec_.origin, spec_.rate, spec_.live_clients, uint32_t(active_.size()), phase);
    cursor_ = {};
    advance_schedule(now);
  } else {
    for (uint32_t slot : active_) pump(clients_[slot], now);
  }
}

void Worker::handle(HarvestCommand& cmd) {
  Harvest h;
  h.tally = ledger_.take();
  h.latency = latency_;
  h.connect = connect_time_;
  h.new_clients = new_clients_;
  h.connect_failures = connect_failures_;
  h.room_messages = std::move(room_sent_);
  room_sent_.assign(config_.plan.rooms(), 0);
  latency_.reset();
  connect_time_.reset();
  new_clients_ = 0;
  connect_failures_ = 0;
  ledger_.begin_step(cmd.next_step);
  // Echoes of this step that arrive from now on are late: they must not pump.
  traffic_active_ = false;
  open_loop_ = false;
  remaining_ = 0;
  for (uint32_t slot : active_) {
    Client& c = clients_[slot];
    c.planned = c.generated;
    c.unacked = 0;
  }
  active_.clear();
  publish();
  cmd.reply->set_value(std::move(h));
}

void Worker::handle(CloseAllCommand&) { close_all(); }

void Worker::handle(StopCommand&) {
  close_all();
  stopping_ = true;
}

void Worker::close_all() {
  connect_queue_.clear();
  for (const ConnectDone& d : connector_.abandon_all()) {
    clients_[d.slot].state = Client::State::closed;
    ++settled_;
  }
  for (Client& c : clients_) {
    if (c.state == Client::State::queued) {
      c.state = Client::State::closed;
      ++settled_;
    }
    if (c.alive()) close_client(c);
  }
  greeting_.clear();
  publish();
}

// ---------------------------------------------------------------- connecting

void Worker::start_connects(Nanos now) {
  while (!connect_queue_.empty() && connector_.has_room()) {
    const uint32_t slot = connect_queue_.front();
    connect_queue_.pop_front();
    Client& c = clients_[slot];
    c.state = Client::State::connecting;
    c.started = now;
    connector_.start(slot, c.number, config_.server_of(c.number).address, now);
  }
}

void Worker::finish_connects(Nanos now) {
  for (ConnectDone& d : connector_.poll_done(now)) {
    Client& c = clients_[d.slot];
    if (d.fd < 0) {
      fail_connect(c, d.error);
      continue;
    }
    c.fd = d.fd;
    c.state = Client::State::greeting;
    c.in_reactor = true;
    const std::string user = config_.plan.user_name(c.number);
    const std::string room = config_.plan.room_name(c.room);
    const ClientAddress address{user, room, config_.server_of(c.number).name};
    c.session = wire_->open_session(address, c.out.pending());
    reactor_->start_recv(c.key, c.fd);
    mark_dirty(c);
    greeting_.push_back(d.slot);
  }
}

void Worker::expire_greetings(Nanos now) {
  std::size_t keep = 0;
  for (uint32_t slot : greeting_) {
    Client& c = clients_[slot];
    if (c.state != Client::State::greeting) continue;
    if (now - c.started > config_.connect_timeout) {
      fail_connect(c, "join_timeout");
      continue;
    }
    greeting_[keep++] = slot;
  }
  greeting_.resize(keep);
}

void Worker::fail_connect(Client& c, const std::string& code) {
  ledger_.on_error(code);
  ++connect_failures_;
  ++settled_;
  close_client(c);
}

// ---------------------------------------------------------------- traffic

uint32_t Worker::whisper_target(const Client& c) const {
  return spec_.spawned_clients == 0 ? c.number : (c.number + 1) % spec_.spawned_clients;
}

void Worker::pump(Client& c, Nanos now) {
  if (!traffic_active_ || c.state != Client::State::joined) return;
  if (open_loop_) {
    const uint64_t due = std::min<uint64_t>(schedule_.due(c.schedule_slot, now), c.planned);
    while (c.generated < due && c.out.pending().size() < kMaxPendingBytes)
      emit(c, schedule_.intended(c.schedule_slot, c.generated), now);
  } else {
    while (c.generated < c.planned && c.unacked < config_.window) emit(c, now, now);
  }
}

void Worker::emit(Client& c, Nanos ts, Nanos now) {
  const MessageId id{spec_.step, c.number, c.generated};
  std::string_view to;
  uint64_t receivers = 1;
  switch (spec_.kind) {
    case TrafficSpec::Kind::room_message:
      receivers = census_.members(c.room);
      ++room_sent_[c.room];
      break;
    case TrafficSpec::Kind::whisper: to = c.whisper_to; break;
    case TrafficSpec::Kind::random_whisper:
      whisper_name_.clear();  // keeps its capacity: no allocation per message
      config_.plan.append_user_name(whisper_name_,
                                    config_.plan.random_peer(spec_.step, c.number, c.generated, spec_.spawned_clients));
      to = whisper_name_;
      break;
  }
  wire_->append_message(c.out.pending(), c.head, to, id, ts);
  if (answers_in_order_) ++c.answers_owed;
  ++c.generated;
  ++c.unacked;
  --remaining_;
  ++run_sent_;
  ledger_.on_send(receivers, now, ts);
  mark_dirty(c);
}

void Worker::advance_schedule(Nanos now) {
  if (active_.empty()) return;
  while (cursor_.round < spec_.per_client && schedule_.at(cursor_) <= now) {
    pump(clients_[active_[cursor_.slot]], now);
    cursor_ = schedule_.next(cursor_);
  }
}

void Worker::acknowledge(Client& c, Nanos now) {
  if (c.unacked == 0) return;
  --c.unacked;
  if (!open_loop_) pump(c, now);
}

// ---------------------------------------------------------------- connections

Client* Worker::client_for(reactor::ConnKey key) {
  const uint32_t slot = reactor::conn_index(key);
  if (slot >= clients_.size() || clients_[slot].key != key) return nullptr;
  return &clients_[slot];
}

void Worker::on_send_done(reactor::ConnKey key, int result) {
  Client* c = client_for(key);
  if (c == nullptr) return;
  switch (writer_.on_send_done(*c, result)) {
    case net::SendDone::closed:  // closed while the kernel still read the buffer: free it now
      c->out.release(false);
      return;
    case net::SendDone::failed:
      ledger_.on_error(result == -EPIPE || result == -ECONNRESET ? "send_reset" : "send_failed");
      close_client(*c);
      return;
    case net::SendDone::more:  // partial, or epoll's "writable again": re-sent at the next flush
    case net::SendDone::drained:
      break;
  }
  // Open loop: a client held back by its pending bound owes messages now.
  if (open_loop_) pump(*c, monotonic_now());
}

void Worker::close_client(Client& c) {
  if (c.state == Client::State::joined) {
    census_.leave(c.room);
    --connected_;
    if (config_.publishes(c.number)) --connected_publishers_;
  }
  if (traffic_active_ && c.generated < c.planned) {
    remaining_ -= c.planned - c.generated;
    c.planned = c.generated;
  }
  if (c.fd >= 0) {
    // Once the reactor has seen an fd, only the reactor may close it: it keeps
    // per-fd state that must not outlive the fd number.
    if (c.in_reactor)
      reactor_->close(c.key, c.fd);
    else
      ::close(c.fd);
  }
  c.fd = -1;
  c.in_reactor = false;
  c.state = Client::State::closed;
  if (!c.in_feed) c.session.reset();  // else on_recv frees it once the decoder has returned
  c.out.release(c.send.in_flight);
  std::string().swap(c.head.prefix);
  std::string().swap(c.head.suffix);
  std::string().swap(c.whisper_to);
  std::vector<SenderOrder>().swap(c.room_senders);
}

void Worker::on_recv_end(reactor::ConnKey key, int) {
  Client* c = client_for(key);
  if (c == nullptr || !c->alive()) return;
  if (c->state == Client::State::greeting) return fail_connect(*c, "closed_during_join");
  ledger_.on_closed_by_server();
  close_client(*c);
}

}  // namespace chatd::loadgen
