// A shard: one thread pinned to one CPU, owning a reactor, its connections, the users
// whose home it is, the members it hosts of every room, and the rooms it owns.
// Nothing here is touched by another thread except through the mesh's mailboxes and
// the read-only stats.
#pragma once

#include <atomic>
#include <functional>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "auth/verifier.h"
#include "chat/delivery_policy.h"
#include "chat/epoch_source.h"
#include "chat/name_registry.h"
#include "chat/owned_room.h"
#include "chat/request_checks.h"
#include "chat/sender_pacing.h"
#include "common/string_map.h"
#include "config/config.h"
#include "http/router.h"
#include "proto/error_code.h"
#include "proto/json_request_parser.h"
#include "proto/request.h"
#include "proto/text_command.h"
#include "reactor/reactor.h"
#include "metrics/shard_stats.h"
#include "net/conns_per_address.h"
#include "shard/connection.h"
#include "shard/cross_shard_messages.h"
#include "shard/login_deadlines.h"
#include "xshard/mesh.h"
#include "xshard/outbox.h"

namespace chatd::shard {

using metrics::DropReason;
using metrics::ShardStats;
// A room this shard owns; its history keeps references to the encoded msgs.
using OwnedRoom = chat::OwnedRoom<net::EventRef>;

// What every shard shares, read-mostly; only the accept/close path writes here.
struct ServerShared {
  Config config;
  reactor::Backend backend = reactor::Backend::epoll;
  uint32_t shards = 1;
  uint32_t max_conns = 1;
  std::atomic<uint32_t> connections{0};
  std::atomic<bool> stopping{false};
  // Envelopes an outbox may hold before new client work that would post to it is
  // held (see Shard::outbox_).
  std::size_t outbox_watermark = 4096;
  // One EventBuffer pool per shard, added by each Shard's constructor (on the thread
  // that builds the shards; no shard thread touches this vector) and kept until the
  // server goes: a buffer may be let go by any shard, after its own shard stopped.
  std::vector<std::unique_ptr<net::EventPool>> event_pools;
  // --auth-secret-file's key (empty: auth off); each shard keys its own Verifier
  // from it on its own thread at start.
  std::string auth_secret;
  // --max-conns-per-ip (null: off): every shard counts into the one table.
  std::unique_ptr<net::ConnsPerAddress> conns_per_address;
};

class Shard final : public reactor::Handler {
 public:
  Shard(uint32_t id, ServerShared& shared, xshard::Mesh& mesh);
  ~Shard() override;

  // Creates the reactor on the shard's own thread and starts the loop; `ready` is
  // called from that thread with the outcome once the listener is armed.
  void start(int listen_fd, int cpu, std::function<void(Result<void>)> ready);
  void join();
  const ShardStats& stats() const { return stats_; }

  // For the metrics thread: an envelope asking this shard for its snapshot (see
  // snapshot.h), and how to free one that could not be posted.
  static xshard::Envelope snapshot_envelope(std::shared_ptr<SnapshotRequest> request);
  static void drop_snapshot_envelope(xshard::Envelope e);

  // reactor::Handler
  void on_accept(int fd) override;
  void on_accept_error(int err) override;
  void on_recv(reactor::ConnKey key, std::span<char> data) override;
  void on_recv_end(reactor::ConnKey key, int result) override;
  void on_send_done(reactor::ConnKey key, int result) override;
  void on_wakeup() override {}

 private:
  // --- the loop (shard.cc)
  void run(int listen_fd, int cpu, const std::function<void(Result<void>)>& ready);
  void turn();
  Nanos next_timeout() const;
  void run_timers();
  void begin_shutdown();

  // --- connections (connection_io.cc)
  Connection* find(reactor::ConnKey key);
  Connection* add_connection(int fd, proto::Mode mode);
  void process_input(Connection& c, std::span<char> data);
  void resume_input(Connection& c);
  proto::FrameVerdict on_frame(Connection& c, std::string_view frame);
  void decide_mode(Connection& c, std::string_view data);
  void queue_reply(Connection& c, std::string_view encoded);
  void drain_then_close(Connection& c, Nanos grace);
  void start_lingering(Connection& c);
  void discard_input(Connection& c);
  bool linger_longer(Connection& c);
  void close_connection(Connection& c);
  void free_slot(Connection& c);
  void leave_everything(Connection& c);
  void check_slow_consumers();
  void hand_off(Connection& c);

  // --- admission and login (login.cc): the per-address limit at accept, the
  // login deadline, and the token a hello must carry when auth is on.
  Result<void> start_auth();
  bool refused_by_address_limit(int fd, Admission& admission);
  void release_address_slot(Connection& c);
  void start_login_clock(Connection& c);  // also for a connection upgraded to WebSocket
  void continue_login_clock(Connection& c, const Admission& carried);
  void watch_login_deadline(Connection& c);
  void close_late_logins();
  bool token_accepted(Connection& c, const proto::Request& r);
  proto::TextLogin text_login() const;
  std::string_view text_prompt() const;

  // --- HTTP and WebSocket connections (http_io.cc)
  void start_http(Connection& c, std::string_view data);
  void process_http(Connection& c, std::string_view data);
  void serve_http(Connection& c);
  void answer_http(Connection& c, const http::Reply& reply);
  void check_http_deadlines();
  void upgrade_to_websocket(Connection& c, std::size_t head_len);
  void process_ws(Connection& c, std::span<char> chunk);
  void resume_web_input(Connection& c);
  proto::FrameVerdict on_ws_event(Connection& c, const ws::WsEvent& ev);
  void close_websocket(Connection& c, uint16_t code, std::string_view reason);
  std::string websocket_handoff(Connection& c);
  void queue_bytes(Connection& c, std::string_view bytes);  // raw: HTTP responses, WebSocket control frames

  // --- outbox backpressure (backpressure.cc)
  static constexpr uint32_t kAllShards = UINT32_MAX;
  static constexpr uint32_t kNoShard = UINT32_MAX - 1;
  uint32_t request_target(const proto::Request& r) const;
  bool admits(uint32_t target, bool resuming) const;
  bool hold_if_backlogged(Connection& c, const proto::Request& r);
  void resume_held();
  void report_backlog();

  // --- pacing bursts (pacing.cc): input in slices per turn, a window per sender,
  // msgs released by the shards that got them once no member keeping up is behind.
  static constexpr uint32_t kSenderWindow = UINT32_MAX - 2;  // held_for: its own window is full
  bool input_waits(Connection& c, std::string_view frame);
  void pace_senders();
  void note_sent(Connection& c);
  bool hold_for_window(Connection& c, const proto::Request& r);
  net::SenderCredit charge_window(Connection& c, const proto::Request& r);
  void credit_sender(reactor::ConnKey key, uint32_t weight);
  void return_credit(const net::SenderCredit& credit);
  void on_credit_return(CreditReturn& m);
  static void deliver_credit(void* shard, void* body);
  void settle_credit(net::EventBuffer* event, const LocalRooms::Room* room);
  bool room_holds_back(const LocalRooms::Room& room);
  void release_withheld();
  void release_credit(net::EventBuffer* event);

  // --- graceful stop (graceful_stop.cc)
  enum class StopPhase : uint8_t { running, quiescing, draining };
  bool stop_step();
  void begin_drain();
  void post_stop_markers(int round);
  void on_stop_marker(StopMarker& m);

  // --- requests on the home shard (requests.cc)
  void handle_request(Connection& c, const proto::Request& r, std::string_view frame);
  void do_hello(Connection& c, const proto::Request& r, std::string_view frame);
  void do_join(Connection& c, const proto::Request& r);
  void do_leave(Connection& c, const proto::Request& r, LocalRooms::Room* room);
  void do_msg(Connection& c, const proto::Request& r);
  void do_whisper(Connection& c, const proto::Request& r);
  void do_users(Connection& c, const proto::Request& r);
  void do_rooms(Connection& c, const proto::Request& r);
  void do_history(Connection& c, const proto::Request& r);
  void do_typing(Connection& c, const proto::Request& r);
  void send_error(Connection& c, proto::ErrorCode code, std::string_view msg, std::string_view rid,
                  std::string_view op);
  void refuse(Connection& c, const proto::Request& r, const chat::Refusal& refusal);
  template <class Event>
  void reply(Connection& c, const Event& ev, std::string_view rid = {});
  void join_room_request(Connection& c, std::string_view room, std::string_view rid,
                         std::optional<chat::RecoveryAsk> recover = std::nullopt);

  // --- cross-shard traffic (cross_shard_traffic.cc): messages are posted to a
  // per-destination outbox, pushed to the target's ring in batches, and run there
  // by the handler named at the post (post<&Shard::on_join>(target, join)).
  template <auto Handler, class Msg>
  void post(uint32_t target, Msg* msg);
  void post_broadcast(uint32_t target, net::EventBuffer* event);
  void post_envelope(uint32_t target, xshard::Envelope e);
  void drain_mailbox();
  void flush_outbox();
  bool outboxes_empty() const;
  std::size_t outbox_depth() const;
  Requester requester(const Connection& c, std::string_view rid) const;
  void on_adopt(Adopt& m);
  void on_snapshot(SnapshotRequest& m);
  template <class Msg, void (Shard::*Handler)(Msg&)>
  static void deliver(void* shard, void* body);
  static void deliver_broadcast(void* shard, void* body);
  static void deliver_snapshot(void* shard, void* body);

  // --- the room owner's side (room_owner_side.cc)
  void on_join(Join& m);
  void on_leave(Leave& m);
  void publish(const MessageDraft& m);
  static void deliver_publish(void* shard, void* body);
  void on_typing(TypingNote& m);
  void typing(std::string_view room, std::string_view user, uint64_t session, bool on);
  net::EventBuffer* encode_message(const OwnedRoom& room, const proto::Message& ev, const net::EventRoute& route);
  void on_history_query(HistoryQuery& m);
  void on_room_users_query(RoomUsersQuery& m);
  void on_rooms_query(RoomsQuery& m);
  void fan_out(const OwnedRoom& room, net::EventBuffer* event);
  template <class Event>
  net::EventBuffer* encode_broadcast(const OwnedRoom& room, const Event& ev, const net::EventRoute& route);
  template <class Event>
  void broadcast_event(const OwnedRoom& room, std::string_view room_name, const Event& ev, uint64_t exclude,
                       Nanos arrived);

  // --- the members' and users' side (member_side.cc)
  void on_join_ack(JoinAck& m);
  void on_broadcast(net::EventBuffer* event);
  void replay_missed(Connection& c, const std::vector<net::EventRef>& missed);
  void on_whisper(Whisper& m);
  void on_reply(Reply& m);
  void on_users_query(UsersQuery& m);
  void on_users_part(UsersPart& m);
  void on_rooms_part(RoomsPart& m);
  void record_broadcast_latencies();
  void send_reply_to(const Requester& to, std::string_view encoded, int pending_done);
  void complete_pending(Connection& c, int n);
  void finish_users(Connection& c);
  void finish_rooms(Connection& c);

  const uint32_t id_;
  ServerShared& shared_;
  const Config& config_;
  xshard::Mesh& mesh_;
  std::unique_ptr<reactor::Reactor> reactor_;
  std::thread thread_;
  ShardStats stats_;
  Nanos now_ = 0;
  const chat::DeliveryPolicy delivery_;
  const chat::RequestLimits limits_;
  net::EventPool& pool_;  // every EventBuffer and Publish this shard makes

  // Connections: a slab indexed by the low half of the key; the high half is a
  // generation so completions for a reused slot are recognised as stale.
  std::vector<std::unique_ptr<Connection>> slots_;
  std::vector<uint32_t> slot_generation_;
  std::vector<uint32_t> free_slots_;
  uint32_t open_connections_ = 0;
  net::ConnectionWriter<Connection> writer_;  // connections with bytes to send this turn
  std::deque<std::pair<reactor::ConnKey, Nanos>> prompt_queue_;  // undecided connections, by deadline
  std::vector<reactor::ConnKey> slow_;                            // over their outbound bound
  std::vector<reactor::ConnKey> closing_;                         // draining or lingering
  std::vector<reactor::ConnKey> http_connections_;                // Mode::http: watched for their deadline

  // Users whose home is this shard, and the rooms this shard hosts members of / owns.
  chat::NameRegistry<Connection*> users_;
  LocalRooms local_rooms_;
  StringMap<std::unique_ptr<OwnedRoom>> owned_rooms_;
  uint64_t session_counter_ = 0;
  chat::EpochSource epochs_;

  // Cross-shard: what this shard posted and has not yet handed over, one outbox per
  // destination. outbox_[id_] holds what it posted to itself; it is run in place
  // after the ring is drained, never pushed through the ring.
  //
  // Bound: ServerShared::outbox_watermark envelopes each. What is posted is never
  // refused or dropped (it was accepted); instead a connection whose next request
  // would post to an outbox over its watermark, or to a shard that reports itself
  // backlogged (its own outboxes over theirs), is held: its input is not read until
  // that outbox is back at half the watermark and the shard no longer backlogged
  // (backpressure.cc). Envelopes posted without such a check are consequences of
  // work already admitted (an ack, a reply, a broadcast per shard with members, a
  // leave per room of a closing connection), so an outbox exceeds its watermark
  // only by the admitted work still in flight times its fan-out.
  std::vector<xshard::Outbox> outbox_;
  std::vector<bool> wake_needed_;
  std::vector<reactor::ConnKey> held_;          // connections held for an outbox
  std::vector<reactor::ConnKey> held_scratch_;  // resume_held's working copy
  bool backlogged_ = false;                     // as last reported in our mailbox

  // Auth (login.cc): the shard's own Verifier when --auth-secret-file is given;
  // connections that have yet to log in, by deadline.
  std::optional<auth::Verifier> verifier_;
  LoginDeadlines login_deadlines_;
  Nanos last_address_refusal_log_ = 0;
  uint64_t address_refusals_since_log_ = 0;

  proto::JsonRequestParser parser_;
  // The request being handled. One per shard, reused, so its buffers (the rid) keep
  // their capacity: a shard handles one frame at a time, to the end, and no handler
  // runs another frame before it returns (replies that resume a connection arrive
  // through the mailbox, never from inside a handler).
  proto::Request request_;
  metrics::HdrHistogram broadcast_latency_ = metrics::make_latency_histogram();
  std::vector<Nanos> latency_pending_;  // arrival times of msgs fanned out this turn
  std::string scratch_;       // encoding buffer for direct replies, reused
  std::string json_scratch_;  // encoding buffers for broadcasts, reused
  std::string text_scratch_;

  // Pacing bursts (pacing.cc).
  const chat::SenderPacing pacing_;
  uint32_t turn_ = 0;                               // input slices are per turn
  std::vector<reactor::ConnKey> yielded_;           // slice used up with frames left: go on next turn
  std::vector<reactor::ConnKey> yielded_scratch_;   // pace_senders' working copy
  // Per room: msgs whose release waits for a member that keeps up to catch up.
  // Bound: what the senders' windows let through, as they get no credit meanwhile.
  StringMap<std::vector<net::EventRef>> withheld_;

  // Graceful stop (graceful_stop.cc).
  StopPhase stop_phase_ = StopPhase::running;
  uint32_t stop_markers_[2] = {0, 0};  // markers of rounds 1 and 2 received
  bool sent_round_two_ = false;
  Nanos quiesce_deadline_ = 0;

  bool accept_paused_ = false;
  Nanos accept_resume_at_ = 0;
  Nanos last_accept_log_ = 0;
  uint64_t accept_errors_since_log_ = 0;
  int listen_fd_ = -1;
  bool shutting_down_ = false;
  Nanos shutdown_deadline_ = 0;
};

template <class Event>
void Shard::reply(Connection& c, const Event& ev, std::string_view rid) {
  scratch_.clear();
  proto::encode(c.mode, scratch_, ev, rid);
  queue_reply(c, scratch_);
}

// The trampoline an envelope carries: runs the handler named at the post, then
// frees the message (the receiver owns it from the pop on). Without a shard the
// envelope is being discarded: only the freeing happens.
template <class Msg, void (Shard::*Handler)(Msg&)>
void Shard::deliver(void* shard, void* body) {
  std::unique_ptr<Msg> msg(static_cast<Msg*>(body));
  if (shard) (static_cast<Shard*>(shard)->*Handler)(*msg);
}

// Handler's parameter type must be Msg&: a message posted to the wrong handler
// does not compile.
template <auto Handler, class Msg>
void Shard::post(uint32_t target, Msg* msg) {
  post_envelope(target, xshard::Envelope{&Shard::deliver<Msg, Handler>, msg});
}

}  // namespace chatd::shard
