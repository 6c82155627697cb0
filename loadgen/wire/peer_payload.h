// The message body loadgen publishes to the peers (Redis, NATS), which carry
// bytes and know nothing of ids or timestamps: a compact JSON object with the
// same id and ts chatd's msg carries, then the same text,
//
//   {"id":"<step>.<sender>.<n>","ts":<CLOCK_MONOTONIC ns>,"text":"<--size bytes>"}
//
// id and ts come first and in a fixed order, so a receiver reads them with a
// prefix scan instead of a JSON parse; any JSON reader (redis-cli, nats sub)
// can still read the whole thing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "loadgen/wire/requests.h"

namespace chatd::loadgen {

// The constant tail of a body: ,"text":"...."}
std::string peer_payload_suffix(std::string_view text);

// Writes the id and ts part ({"id":"...","ts":...) into `buf` (at least
// kPeerPayloadHeadMax bytes); returns its length.
constexpr std::size_t kPeerPayloadHeadMax = 96;
std::size_t write_peer_payload_head(char* buf, MessageId id, Nanos ts);

// Reads id and ts back; false when the body is not one of loadgen's.
bool parse_peer_payload(std::string_view body, std::string_view& id, int64_t& ts);

}  // namespace chatd::loadgen
