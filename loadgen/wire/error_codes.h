// chatd's error codes (docs/protocol.md), in one fixed order. loadgen counts them in
// plain arrays indexed by this order, so counting an error on the message path
// is one increment, and its live metrics can show every code from the start.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace chatd::loadgen {

inline constexpr std::array<std::string_view, 17> kContractErrorCodes = {
    "bad_json",     "unknown_op",    "not_logged_in",  "bad_name",        "name_taken",    "unauthorized",
    "already_logged_in", "bad_room", "too_many_rooms", "not_in_room",     "too_long",      "rate_limited",
    "no_such_user", "self_whisper",  "frame_too_large", "slow_consumer",  "server_shutdown",
};

// One slot per contract code, and a last one for any code the contract does not
// name (a newer server, a peer's error): nothing a server says goes uncounted.
inline constexpr std::size_t kErrorCodeSlots = kContractErrorCodes.size() + 1;
inline constexpr std::size_t kOtherErrorSlot = kContractErrorCodes.size();
inline constexpr std::string_view kOtherErrorCode = "other";

// The slot of `code`: its index in kContractErrorCodes, else kOtherErrorSlot.
constexpr std::size_t error_code_slot(std::string_view code) {
  for (std::size_t i = 0; i < kContractErrorCodes.size(); ++i)
    if (kContractErrorCodes[i] == code) return i;
  return kOtherErrorSlot;
}

constexpr std::string_view error_code_name(std::size_t slot) {
  return slot < kContractErrorCodes.size() ? kContractErrorCodes[slot] : kOtherErrorCode;
}

using ErrorCodeCounts = std::array<uint64_t, kErrorCodeSlots>;

}  // namespace chatd::loadgen
