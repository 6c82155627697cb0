// One encoded event, shared read-only by every connection and shard that sends it.
//
// The room owner encodes a message once into an EventBuffer; every shard with members
// queues that same buffer on each member's connection (no re-encoding per member, no
// copy per shard). It carries the JSON line and, when a text-mode user needs it, the
// human line, plus the routing header the receiving shards read.
//
// WebSocket members get the same JSON as one text frame: server frames are unmasked
// and final, so one frame is byte-identical for every receiver. The frame header is
// written once, when the buffer is made, into the bytes right before the JSON line
// (docs/web.md, "Frames out"); ws_frame() is header + JSON without its newline, one
// contiguous span. Every WebSocket member's queue entry points at it: no framing or
// copy per member, and no extra iovec.
//
// Ownership: an atomic reference count. A shard that receives a buffer holds one
// reference while it fans out; each queued entry holds one more, dropped when the
// kernel has taken its bytes. The last release gives its memory back to the pool of
// the shard that made it (EventPool), on whichever shard that happens.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <utility>

#include "common/clock.h"
#include "ws/frame_encoder.h"

namespace chatd::net {

class EventPool;

// A msg's way back to its sender's window (src/chat/sender_pacing.h): which
// connection on which shard published it, and what it weighs there.
struct SenderCredit {
  uint64_t key = 0;     // the sender's connection on its home shard (0 is a key too)
  uint32_t weight = 0;  // SenderPacing::msg_weight, as the home shard charged it; 0: none owed
  uint16_t shard = 0;   // the sender's home shard
};

// Routing header for broadcasts (unused by direct replies).
struct EventRoute {
  std::string_view room;
  uint64_t exclude_session = 0;  // that member does not get it (typing, user_joined)
  Nanos arrived = 0;             // when the frame that caused it arrived (latency)
  bool is_message = false;       // a sequenced `msg`: counted as delivered, timed
  SenderCredit credit{};         // a msg: owed back to its sender once released
};

class EventBuffer {
 public:
  // A buffer holding copies of `json` and `text`; from `pool` (null: plain malloc).
  static EventBuffer* create(EventPool* pool, std::string_view json, std::string_view text = {},
                             const EventRoute& route = EventRoute(), uint32_t refs = 1);
  static EventBuffer* create(std::string_view json, std::string_view text = {}, const EventRoute& route = EventRoute(),
                             uint32_t refs = 1) {
    return create(nullptr, json, text, route, refs);
  }
  // A buffer with room for `json_len` and `text_len` bytes that the caller writes in
  // place (json_bytes(), text_bytes()) before anyone else sees it: how a msg event is
  // encoded without a scratch copy. One reference. The WebSocket frame header is
  // written here already: it depends on the length only.
  static EventBuffer* allocate(EventPool* pool, const EventRoute& route, std::size_t json_len, std::size_t text_len);
  char* json_bytes() { return data_ + json_offset(); }
  char* text_bytes() { return data_ + json_offset() + json_len_; }

  // The JSON part: one line, ending in '\n' (or raw bytes for a connection that is not
  // JSON: an HTTP response, a text-mode reply; those never ask for ws_frame()).
  std::string_view json() const { return {data_ + json_offset(), json_len_}; }
  // The JSON line without its newline as one WebSocket text frame, header included.
  std::string_view ws_frame() const {
    return json_len_ == 0 ? std::string_view() : std::string_view(data_ + room_len_, ws_header_len_ + json_len_ - 1);
  }
  std::string_view text() const { return {data_ + json_offset() + json_len_, text_len_}; }
  bool has_text() const { return text_len_ > 0; }
  std::string_view room() const { return {data_, room_len_}; }
  uint64_t exclude_session() const { return exclude_session_; }
  Nanos arrived() const { return arrived_; }
  bool is_message() const { return is_message_; }
  // Where the stored bytes begin: queue entries keep offsets from here.
  const char* base() const { return data_; }

  // The sender's credit: owed back once each of `shards` receiving shards has
  // released the msg (set by the owner before the buffer is posted anywhere).
  const SenderCredit& credit() const { return credit_; }
  void expect_releases(uint16_t shards) { releases_left_.store(shards, std::memory_order_relaxed); }
  // One receiving shard is done with it; true for the last, which owes the credit.
  bool release_credit() {
    // acq_rel: the last releaser acts after every other shard's release.
    return releases_left_.fetch_sub(1, std::memory_order_acq_rel) == 1;
  }

  void retain(uint32_t n = 1) {
    // Relaxed: whoever retains already holds a reference, so the buffer is alive.
    refs_.fetch_add(n, std::memory_order_relaxed);
  }
  void release() {
    // acq_rel: the releasing shard's reads of the bytes happen before the free.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }

 private:
  EventBuffer() = default;
  void destroy();
  std::size_t json_offset() const { return room_len_ + ws_header_len_; }

  std::atomic<uint32_t> refs_;
  uint32_t json_len_;
  uint32_t text_len_;
  uint16_t room_len_;
  uint8_t ws_header_len_;  // 0 (no JSON), 2, 4 or 10
  bool is_message_;
  std::atomic<uint16_t> releases_left_{0};
  uint64_t exclude_session_;
  Nanos arrived_;
  SenderCredit credit_;
  char data_[];  // room | ws frame header | json | text
};

// One owned reference to an EventBuffer, let go when the handle is destroyed: what
// a room's history ring stores (chat/ keeps it without knowing the buffer type).
class EventRef {
 public:
  EventRef() = default;
  explicit EventRef(EventBuffer* adopted) : buffer_(adopted) {}  // takes over one reference
  EventRef(EventRef&& other) noexcept : buffer_(std::exchange(other.buffer_, nullptr)) {}
  EventRef& operator=(EventRef&& other) noexcept {
    if (this != &other) {
      reset();
      buffer_ = std::exchange(other.buffer_, nullptr);
    }
    return *this;
  }
  EventRef(const EventRef&) = delete;
  EventRef& operator=(const EventRef&) = delete;
  ~EventRef() { reset(); }

  void reset() {
    if (buffer_) std::exchange(buffer_, nullptr)->release();
  }
  EventBuffer* get() const { return buffer_; }
  EventBuffer* operator->() const { return buffer_; }
  explicit operator bool() const { return buffer_ != nullptr; }

 private:
  EventBuffer* buffer_ = nullptr;
};

}  // namespace chatd::net
