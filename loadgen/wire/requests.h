// Client → server lines in chatd's JSON mode (docs/protocol.md), and the `id` every
// loadgen message carries. Bytes out, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace chatd::loadgen {

// Every message names the step it belongs to, the global number of its sender and
// its number within that sender's step, as "<step>.<sender>.<n>". The step lets a
// receiver tell a late delivery from a current one; the sender lets a client
// recognise its own echo (the closed loop's acknowledgement).
struct MessageId {
  uint32_t step = 0;
  uint32_t sender = 0;
  uint32_t n = 0;
  bool operator==(const MessageId&) const = default;
};

void append_message_id(std::string& out, MessageId id);
std::optional<MessageId> parse_message_id(std::string_view text);

// `token`: the HS256 JWT chatd checks when auth is on (docs/protocol.md
// "Authentication"); empty: no "token" key.
void append_hello(std::string& out, std::string_view user, std::string_view token = {});
void append_join(std::string& out, std::string_view room);
void append_bye(std::string& out);

// A message line is the same bytes for every message of a client but for the id,
// the ts and (whispers) the receiver, so the constant head is built once per
// client and step; chatd_wire.h appends the rest.
std::string msg_head(std::string_view room, std::string_view text);  // {"op":"msg","room":..,"text":..,"id":"
std::string whisper_head(std::string_view text);                     // {"op":"whisper","text":..,"to":"

// Deterministic printable filler of `size` bytes for message texts.
std::string filler_text(uint32_t size, uint64_t seed);

}  // namespace chatd::loadgen
