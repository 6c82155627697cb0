// A worker: one thread, one reactor, and its share of the clients (client n lives
// on worker n % threads). It connects them, speaks chatd's JSON protocol for them,
// generates their traffic and keeps their delivery ledger and latency histograms.
// Nothing it owns is shared; the controller talks to it through worker_protocol.h.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "loadgen/engine/client.h"
#include "loadgen/engine/connector.h"
#include "loadgen/engine/open_loop_schedule.h"
#include "loadgen/engine/worker_protocol.h"
#include "loadgen/wire/event_parser.h"

namespace chatd::loadgen {

class Worker final : private reactor::Handler {
 public:
  Worker(uint32_t index, const EngineConfig& config, RoomCensus& census, std::atomic<int64_t>& server_shards);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the thread and waits until its reactor exists (or could not be made).
  Result<void> start();
  void post(Command command);
  // Closes every connection and ends the thread.
  void stop();
  const WorkerProgress& progress() const { return progress_; }

 private:
  void run();
  void drain_commands();
  void handle(ConnectCommand& c);
  void handle(TrafficCommand& c);
  void handle(HarvestCommand& c);
  void handle(CloseAllCommand& c);
  void handle(StopCommand& c);

  // Connecting.
  void start_connects(Nanos now);
  void finish_connects(Nanos now);
  void expire_greetings(Nanos now);
  void fail_connect(Client& c, const std::string& code);

  // Traffic.
  void pump(Client& c, Nanos now);
  void emit(Client& c, Nanos ts, Nanos now);
  void advance_schedule(Nanos now);
  void acknowledge(Client& c, Nanos now);
  uint32_t whisper_target(const Client& c) const;

  // Connections.
  Client* client_for(reactor::ConnKey key);
  void mark_dirty(Client& c);
  void flush_sends();
  void send_in_flight(Client& c);
  void close_client(Client& c);
  void close_all();

  // Events from the server.
  void handle_line(Client& c, std::string_view line, Nanos now);
  void on_joined(Client& c, const ServerEvent& e, Nanos now);
  void on_room_message(Client& c, const ServerEvent& e, Nanos now);
  void on_whisper(Client& c, const ServerEvent& e, Nanos now);
  void on_own_ack(Client& c, const ServerEvent& e, Nanos now);
  void on_error_event(Client& c, const ServerEvent& e, Nanos now);
  void record_latency(const ServerEvent& e, Nanos now);

  void publish();
  Nanos poll_timeout(Nanos now) const;

  // reactor::Handler
  void on_accept(int) override {}
  void on_accept_error(int) override {}
  void on_recv(reactor::ConnKey key, std::span<const char> data) override;
  void on_recv_end(reactor::ConnKey key, int result) override;
  void on_send_done(reactor::ConnKey key, int result) override;
  void on_wakeup() override {}

  const uint32_t index_;
  const EngineConfig& config_;
  RoomCensus& census_;
  std::atomic<int64_t>& server_shards_;
  WorkerProgress progress_;

  std::thread thread_;
  std::mutex mu_;
  std::vector<Command> inbox_;  // guarded by mu_
  UniqueFd wakeup_fd_;
  std::unique_ptr<reactor::Reactor> reactor_;
  bool stopping_ = false;

  std::deque<Client> clients_;  // slot = index; slots are never reused
  std::deque<uint32_t> connect_queue_;
  std::vector<uint32_t> greeting_;  // slots waiting for welcome + joined
  Connector connector_;
  std::vector<uint32_t> dirty_;
  EventParser parser_;

  DeliveryLedger ledger_;
  metrics::HdrHistogram latency_{1, 60'000'000, 3};
  metrics::HdrHistogram connect_time_{1, 60'000'000, 3};
  uint32_t connected_ = 0;
  uint64_t settled_ = 0;
  uint32_t new_clients_ = 0;
  uint32_t connect_failures_ = 0;
  uint64_t run_sent_ = 0;
  uint64_t run_received_ = 0;

  TrafficSpec spec_;
  bool traffic_active_ = false;
  bool open_loop_ = false;
  std::vector<uint32_t> active_;  // slots with traffic this step; open loop: schedule order
  uint64_t remaining_ = 0;        // messages of this step not yet written
  OpenLoopSchedule schedule_;
  OpenLoopSchedule::Cursor cursor_;
};

}  // namespace chatd::loadgen
