// Recovery on join (the contract v1.1, "Recovery on join"): a client that lost its
// connection rejoins with the last seq it saw (`since`) and the room's `epoch`. If
// the epoch is the room's current one and every msg with seq > since is still
// stored, the join recovers: `joined` says "recovered":true,"missed":N and the N
// messages follow at once, then the live ones. Otherwise "recovered":false and
// nothing is replayed. A join without `since` gets no `recovered` key at all.
//
// A pure decision on numbers; the owner applies it (it holds the history ring).
#pragma once

#include <cstdint>
#include <optional>

#include "proto/request.h"

namespace chatd::chat {

struct RecoveryAsk {
  uint64_t since;  // the last seq the client saw
  uint64_t epoch;  // the epoch it saw it in
};

struct RecoveryVerdict {
  bool recovered = false;
  uint64_t missed = 0;  // when recovered: replay the msgs with seq in (since, since + missed]
};

// What a join request asks: nothing without `since`; with it, since and epoch. A
// negative or missing value asks for what no room holds, so the answer is
// recovered:false (the client learns to reset; it is not a request error).
std::optional<RecoveryAsk> recovery_ask(const proto::Request& join);

// `first_stored` is the oldest seq the room still holds (last_seq + 1 when none).
RecoveryVerdict decide_recovery(const RecoveryAsk& ask, uint64_t room_epoch, uint64_t last_seq,
                                uint64_t first_stored);

}  // namespace chatd::chat
