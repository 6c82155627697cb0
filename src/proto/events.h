// Server → client events as plain structs, each with two renderings: a JSON line
// (the contract) and a human line for text mode. Encoders append to a caller's string.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace chatd::proto {

// How a connection speaks (docs/protocol.md, "Ports and modes"): decided by its first
// bytes; `ws` is an HTTP connection after its WebSocket upgrade (JSON events, each
// sent as one text frame).
enum class Mode : uint8_t { undecided, json, text, http, ws };

struct Welcome { std::string_view user; uint32_t shard, shards; };
struct Joined {
  std::string_view room;
  uint32_t members;
  uint64_t seq, epoch;
  // Recovery on join: set only when the join asked for it (since/epoch); when true,
  // `missed` msg events follow the reply at once.
  std::optional<bool> recovered;
  uint64_t missed = 0;
};
struct Left { std::string_view room; };
struct UserJoined { std::string_view room, user; };
struct UserLeft { std::string_view room, user; };
struct Message {
  std::string_view room, from, text;
  uint64_t seq;
  std::optional<std::string_view> id;
  std::optional<int64_t> ts;
};
struct Whisper {
  std::string_view from, text;
  std::optional<std::string_view> id;
  std::optional<int64_t> ts;
};
struct WhisperSent { std::string_view to; std::optional<std::string_view> id; };
struct Users {
  std::span<const std::string_view> names;  // sorted, already cut at the list limit
  uint64_t count;
  bool truncated;
  std::optional<std::string_view> room;
};
struct RoomCount { std::string_view room; uint64_t members; };
struct Rooms { std::span<const RoomCount> rooms; };
struct History { std::string_view room; std::span<const std::string_view> msgs; };  // msgs: stored JSON events
struct Typing { std::string_view room, user; bool on; };
struct Pong { std::optional<int64_t> ts; };
struct Bye {};
struct ErrorEvent { std::string_view code, msg; std::optional<std::string_view> op; };

constexpr std::size_t kMaxListedUsers = 1000;  // `users` stops listing here (count stays exact)

// `rid` is the request id already encoded as JSON, or empty. Broadcast events take none.
#define CHATD_EVENT(T)                                                  \
  void encode_json(std::string& out, const T& ev, std::string_view rid); \
  void encode_text(std::string& out, const T& ev);
CHATD_EVENT(Welcome)
CHATD_EVENT(Joined)
CHATD_EVENT(Left)
CHATD_EVENT(UserJoined)
CHATD_EVENT(UserLeft)
CHATD_EVENT(Message)
CHATD_EVENT(Whisper)
CHATD_EVENT(WhisperSent)
CHATD_EVENT(Users)
CHATD_EVENT(Rooms)
CHATD_EVENT(History)
CHATD_EVENT(Typing)
CHATD_EVENT(Pong)
CHATD_EVENT(Bye)
CHATD_EVENT(ErrorEvent)
#undef CHATD_EVENT

// A stored msg event (its JSON line) as the human line a text-mode member gets:
// what a recovery replays to a text user when the room had no text members at the
// time (so only JSON was encoded). False if `json` is not a msg event.
bool msg_json_to_text(std::string_view json, std::string& out);

// The msg event written in place, into the shared buffer every member's queue
// points at (net::EventBuffer::allocate): exact sizes first, then the bytes, the
// same as encode_json / encode_text produce. Each write returns the end.
std::size_t json_size(const Message& ev);
char* write_json(char* out, const Message& ev);
std::size_t text_size(const Message& ev);
char* write_text(char* out, const Message& ev);

// Renders `ev` for a connection of the given mode (JSON for json and ws).
template <class Event>
void encode(Mode mode, std::string& out, const Event& ev, std::string_view rid = {}) {
  if (mode == Mode::text)
    encode_text(out, ev);
  else
    encode_json(out, ev, rid);
}

// The text-mode lines that are not events.
inline constexpr std::string_view kTextPrompt = "Welcome to chatd. Enter your name:\n";
inline constexpr std::string_view kTextHelp =
    "* commands: /join ROOM [SINCE EPOCH], /leave ROOM, /w USER TEXT, /users, /rooms, /help, /exit;"
    " any other line is a message to your current room\n";

}  // namespace chatd::proto
