// A worker: one thread, one reactor, and its share of the clients (client n lives
// on worker n % threads). It connects them, speaks the target's protocol for them
// (through wire/wire_protocol.h, so the same engine loads chatd, Redis and NATS),
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
#include "loadgen/wire/wire_protocol.h"
#include "net/connection_writer.h"

namespace chatd::loadgen {

class Worker final : private reactor::Handler {
 public:
  Worker(uint32_t index, const EngineConfig& config, RoomCensus& census, ServerFacts& server);
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
  bool take_stale_answer(Client& c);

  // Connections.
  Client* client_for(reactor::ConnKey key);
  void mark_dirty(Client& c) { writer_.mark_dirty(c); }
  void close_client(Client& c);
  void close_all();

  // Events from the server, as the wire decoder reports them.
  class ClientEvents;
  void handle_event(Client& c, const WireEvent& e, Nanos now);
  void on_joined(Client& c, const WireEvent& e, Nanos now);
  void on_room_message(Client& c, const WireEvent& e, Nanos now);
  void on_whisper(Client& c, const WireEvent& e, Nanos now);
  void on_accepted(Client& c, const WireEvent& e, Nanos now);
  void on_error_event(Client& c, const WireEvent& e, Nanos now);
  void on_server_info(const WireEvent& e);
  void record_latency(const WireEvent& e, Nanos now);
  void count_server_error(std::string_view code);

  void publish();
  Nanos poll_timeout(Nanos now) const;

  // reactor::Handler
  void on_accept(int) override {}
  void on_accept_error(int) override {}
  void on_recv(reactor::ConnKey key, std::span<char> data) override;
  void on_recv_end(reactor::ConnKey key, int result) override;
  void on_send_done(reactor::ConnKey key, int result) override;
  void on_wakeup() override {}

  const uint32_t index_;
  const EngineConfig& config_;
  RoomCensus& census_;
  ServerFacts& server_;
  bool told_version_ = false;
  WorkerProgress progress_;

  std::thread thread_;
  std::mutex mu_;
  std::vector<Command> inbox_;  // guarded by mu_
  UniqueFd wakeup_fd_;
  std::unique_ptr<reactor::Reactor> reactor_;
  bool stopping_ = false;

  std::deque<Client> clients_;  // slot = index; slots are never reused
  std::deque<uint32_t> connect_queue_;
  std::vector<uint32_t> greeting_;  // slots greeted and not yet ready (chatd: joined)
  Connector connector_;
  net::ConnectionWriter<Client> writer_;  // clients with bytes to send this turn
  std::unique_ptr<WireProtocol> wire_;
  bool answers_in_order_ = false;  // this step's messages are answered in order (the peers)
  std::string whisper_name_;       // --whisper: the receiver of the message being written

  DeliveryLedger ledger_;
  WhisperRegister whispers_;  // this step's whispers to this worker's clients
  metrics::HdrHistogram latency_{1, 60'000'000, 3};
  metrics::HdrHistogram connect_time_{1, 60'000'000, 3};
  uint32_t connected_ = 0;
  uint32_t connected_publishers_ = 0;
  uint64_t settled_ = 0;
  uint32_t new_clients_ = 0;
  uint32_t connect_failures_ = 0;
  uint64_t run_sent_ = 0;
  uint64_t run_received_ = 0;
  std::vector<uint64_t> room_sent_;  // this step, per room: room messages sent and not refused
  ErrorCodeCounts run_errors_{};  // server error events by code, published when changed
  bool errors_changed_ = false;

  TrafficSpec spec_;
  bool traffic_active_ = false;
  bool open_loop_ = false;
  std::vector<uint32_t> active_;  // slots with traffic this step; open loop: schedule order
  uint64_t remaining_ = 0;        // messages of this step not yet written
  OpenLoopSchedule schedule_;
  OpenLoopSchedule::Cursor cursor_;
};

}  // namespace chatd::loadgen
