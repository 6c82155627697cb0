// What chatd's shards say to each other, beside the Shard that handles them. Each
// message travels as an xshard::Envelope whose function is the handler's own
// trampoline (Shard::post<&Shard::on_x>), so the route is checked by the compiler.
// A message body is allocated by the sender and owned by the receiver from the pop
// on, which deletes it after its handler ran (except `broadcast`, whose body is a
// reference-counted EventBuffer).
//
// Direction and purpose, in the life of a request:
//   adopt            accepting shard → home shard     the connection moves after hello
//   join/leave       home → room owner                membership changes
//   publish/typing   home → room owner                the owner sequences and fans out
//   broadcast        owner → every shard with members one encoded event for local members
//   join_ack         owner → home                     members, seq, epoch for `joined`
//   whisper          sender's home → recipient's home
//   reply            any → home                       a ready-made direct reply (whisper
//                                                     result, history, room users)
//   users_query/rooms_query   home → every shard; users_part/rooms_part back
//   credit           the last shard to release a msg → the sender's home
//                    (its window; the body is the msg's EventBuffer)
//   stop_marker      every shard → every shard        graceful stop, phase one
//   snapshot         metrics thread → every shard     copy your histogram and gauges out
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "chat/join_recovery.h"
#include "common/unique_fd.h"
#include "metrics/shard_stats.h"
#include "net/event_buffer.h"
#include "net/event_pool.h"
#include "proto/events.h"
#include "reactor/reactor.h"
#include "shard/admission.h"

namespace chatd::shard {

using reactor::ConnKey;

// Who asked, so a reply finds its connection (or is dropped if it has gone).
struct Requester {
  uint32_t shard;
  ConnKey key;
  std::string rid;
  proto::Mode mode;
};

struct Adopt {
  UniqueFd fd;  // closed if the envelope is discarded
  proto::Mode mode;
  std::string input;  // unprocessed bytes, starting with the hello frame
  Admission admission;  // travels with the fd (shard/admission.h)
};

struct Join {
  std::string room, user;
  uint64_t session;
  bool text_mode;
  Requester from;
  std::optional<chat::RecoveryAsk> recover;  // join with since/epoch
};

struct JoinAck {
  std::string room;
  uint64_t session;
  uint32_t members;
  uint64_t seq, epoch;
  Requester to;
  // Recovery on join (docs/protocol.md): the verdict when one was asked for, and the
  // missed msgs, seq since+1..seq in order, decided and gathered by the owner in the
  // same step as the membership, so nothing falls between them and the live ones
  // (which this shard receives after this ack: one FIFO per owner and shard). At most
  // --history of them.
  std::optional<bool> recovered;
  std::vector<net::EventRef> missed;
};

struct Leave {
  std::string room, user;
  uint64_t session;
};

// A msg as its owner needs it: views of the strings and the rest by value.
struct MessageDraft {
  std::string_view room, from, text, id;
  bool has_id = false, has_ts = false;
  int64_t ts = 0;
  uint64_t session = 0;  // the sender's: the owner checks it is still a member
  Nanos arrived = 0;     // when the frame arrived (broadcast latency)
  net::SenderCredit credit{};  // the sender's window, credited when every shard released it
};

// A msg on its way from the sender's home shard to the room's owner. It sits at the
// start of one block from the home shard's EventPool with its strings right behind
// it: the text is copied once (from the request into the block), and a steady flow
// of messages allocates nothing. The owner gives the block back after sequencing.
class Publish {
 public:
  static Publish* make(net::EventPool& pool, const MessageDraft& m);
  static void release(Publish* p) { net::EventPool::release(p); }
  MessageDraft draft() const;

 private:
  Publish() = default;
  MessageDraft fields_;  // the views point into data_
  char data_[];          // room | from | text | id
};

struct TypingNote {
  std::string room, user;
  uint64_t session;
  bool on;
};

struct Whisper {
  std::string from, to, text, id;
  bool has_id, has_ts;
  int64_t ts;
  Requester sender;
};

// A direct reply encoded by another shard for one connection.
struct Reply {
  ConnKey key;
  net::EventBuffer* event;  // one reference
  int pending_done;         // how many awaited replies this completes
};

struct HistoryQuery {
  std::string room;
  uint64_t session;
  uint64_t since;
  uint64_t limit;
  Requester from;
};

struct RoomUsersQuery {
  std::string room;
  Requester from;
};

struct UsersQuery {
  Requester from;
};

struct UsersPart {
  ConnKey key;
  std::vector<std::string> names;  // sorted, at most kMaxListedUsers
  uint64_t count;                  // exact
};

struct RoomsQuery {
  Requester from;
};

struct RoomsPart {
  ConnKey key;
  std::vector<std::pair<std::string, uint64_t>> rooms;  // sorted by name
};

// A msg's credit for a sender's window, when there is no broadcast to carry it
// back (the owner dropped the msg: the sender left the room meanwhile).
struct CreditReturn {
  ConnKey key;
  uint32_t weight;
};

// Graceful stop, phase one (graceful_stop.cc): every shard sends each shard
// (itself included) one marker per round after everything it posted before.
struct StopMarker {
  int round;  // 1 or 2
};

// A scrape's request to every shard; the body of a `snapshot` envelope is a
// heap-allocated shared_ptr to it, so a scrape that gives up waiting leaves nothing
// dangling.
struct SnapshotRequest {
  explicit SnapshotRequest(uint32_t n) : shards(n), done(new std::atomic<bool>[n]) {
    for (uint32_t i = 0; i < n; ++i) done[i].store(false, std::memory_order_relaxed);
  }
  std::vector<metrics::ShardSnapshot> shards;
  std::unique_ptr<std::atomic<bool>[]> done;  // release by the shard, acquire by the scraper
};

}  // namespace chatd::shard
