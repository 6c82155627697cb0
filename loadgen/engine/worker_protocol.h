// What the controller and the worker threads say to each other. Commands go in
// through a locked queue plus an eventfd wakeup (the control plane: a few per
// step); progress comes back through relaxed atomics each worker publishes once
// per loop turn; a step's full figures come back once, through a promise.
#pragma once

#include <netinet/in.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "common/cache_line.h"
#include "common/clock.h"
#include "loadgen/plan/room_plan.h"
#include "loadgen/stats/delivery_ledger.h"
#include "loadgen/wire/error_codes.h"
#include "loadgen/wire/wire_protocol.h"
#include "metrics/hdr_histogram.h"
#include "reactor/reactor.h"

namespace chatd::loadgen {

struct ServerNode {
  sockaddr_in address{};
  std::string name;  // "host:port", as a client names the server (WebSocket's Host header)
};

struct EngineConfig {
  Target target = Target::chatd;
  WireOptions wire;
  // Clients connect to servers[plan.node_of(client, servers.size())]; one unless --hosts.
  std::vector<ServerNode> servers;
  std::vector<uint32_t> source_ips;  // host byte order; empty: the kernel picks
  reactor::Backend backend = reactor::Backend::epoll;
  uint32_t threads = 1;
  Nanos connect_timeout = 5 * kSeconds;
  uint32_t window = 16;
  uint32_t publishers = 0;  // only clients numbered below this send; 0: all of them
  uint32_t max_connects_in_flight = 256;  // per worker
  RoomPlan plan{"run", 1, 1};
  std::string filler;  // message text unless a step names its own

  bool publishes(uint32_t client) const { return publishers == 0 || client < publishers; }
  const ServerNode& server_of(uint32_t client) const { return servers[plan.node_of(client, uint32_t(servers.size()))]; }
};

struct TrafficSpec {
  enum class Kind : uint8_t {
    room_message,    // to the sender's room
    whisper,         // to the next client by number (interactive `whisper N`)
    random_whisper,  // each to a random other client (--whisper; RoomPlan::random_peer)
  };
  Kind kind = Kind::room_message;
  uint32_t step = 0;
  uint32_t per_client = 0;
  std::string text;  // empty: the filler
  double rate = 0;   // total msgs/s; 0: closed loop
  Nanos origin = 0;  // open loop: when the schedule starts
  uint64_t live_clients = 0;   // joined publishers over all workers: open-loop spacing
  uint32_t spawned_clients = 0;  // whisper targets are numbered below this

  MessageKind message_kind() const { return kind == Kind::room_message ? MessageKind::room : MessageKind::whisper; }
};

struct Harvest {
  StepTally tally;
  metrics::HdrHistogram latency{1, 60'000'000, 3};  // µs
  metrics::HdrHistogram connect{1, 60'000'000, 3};  // µs
  uint32_t new_clients = 0;
  uint32_t connect_failures = 0;
  std::vector<uint64_t> room_messages;  // per room: room messages sent and not refused
  std::vector<uint32_t> room_members;   // per room: members at the harvest (filled by the engine)

  void merge(Harvest&& other);
};

struct ConnectCommand {
  std::vector<uint32_t> clients;  // global numbers, ascending
};
struct TrafficCommand {
  TrafficSpec spec;
};
struct HarvestCommand {
  uint32_t next_step;
  std::shared_ptr<std::promise<Harvest>> reply;
};
struct CloseAllCommand {};
struct StopCommand {};
using Command = std::variant<ConnectCommand, TrafficCommand, HarvestCommand, CloseAllCommand, StopCommand>;

// Published by a worker once per turn, read by the controller.
struct alignas(kCacheLine) WorkerProgress {
  std::atomic<uint32_t> connected{0};  // joined and still open
  std::atomic<uint32_t> connected_publishers{0};  // of those, the ones that send (EngineConfig::publishes)
  std::atomic<uint64_t> settled{0};    // connect attempts over: joined or failed (ever)
  std::atomic<uint64_t> sent{0};       // this step
  std::atomic<uint64_t> expected{0};   // this step, less the rejected messages' deliveries
  std::atomic<uint64_t> received{0};   // this step
  std::atomic<uint32_t> sending_done_step{0};  // every message of this step is written
  std::atomic<uint64_t> sent_total{0};      // whole run, for live metrics
  std::atomic<uint64_t> received_total{0};
  // Server error events by code since the start, indexed as in error_codes.h.
  std::array<std::atomic<uint64_t>, kErrorCodeSlots> errors_total{};
};

// What the server said about itself, from any worker's connections.
class ServerFacts {
 public:
  void note_shards(int64_t shards) { shards_.store(shards, std::memory_order_relaxed); }
  int64_t shards() const { return shards_.load(std::memory_order_relaxed); }
  // Once per worker at most (the worker remembers it told): the lock is off the message path.
  void note_version(std::string_view v) {
    std::lock_guard lock(mu_);
    if (version_.empty()) version_ = v;
  }
  std::string version() const {
    std::lock_guard lock(mu_);
    return version_;
  }

 private:
  std::atomic<int64_t> shards_{0};
  mutable std::mutex mu_;
  std::string version_;
};

// Members per room, as loadgen placed them: joined and still connected. Read at
// every send to count the deliveries that message is owed.
class RoomCensus {
 public:
  explicit RoomCensus(uint32_t rooms) : members_(rooms) {}
  void join(uint32_t room) { members_[room].fetch_add(1, std::memory_order_relaxed); }
  void leave(uint32_t room) { members_[room].fetch_sub(1, std::memory_order_relaxed); }
  uint32_t members(uint32_t room) const { return members_[room].load(std::memory_order_relaxed); }

 private:
  std::vector<std::atomic<uint32_t>> members_;
};

}  // namespace chatd::loadgen
