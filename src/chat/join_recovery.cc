#include "chat/join_recovery.h"

namespace chatd::chat {

std::optional<RecoveryAsk> recovery_ask(const proto::Request& join) {
  if (!join.has_since) return std::nullopt;
  if (!join.has_epoch || join.since < 0 || join.epoch < 0) return RecoveryAsk{UINT64_MAX, UINT64_MAX};  // epochs are < 2^53
  return RecoveryAsk{uint64_t(join.since), uint64_t(join.epoch)};
}

RecoveryVerdict decide_recovery(const RecoveryAsk& ask, uint64_t room_epoch, uint64_t last_seq,
                                uint64_t first_stored) {
  // Another life of the room (it emptied and was created again): the client's seqs
  // mean nothing here.
  if (ask.epoch != room_epoch) return {};
  // A seq this life never gave out: the client is confused; let it reset.
  if (ask.since > last_seq) return {};
  // A gap the ring no longer covers: replaying part of it would hide the hole.
  if (ask.since + 1 < first_stored) return {};
  return {true, last_seq - ask.since};
}

}  // namespace chatd::chat
