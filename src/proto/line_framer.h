// Splits a byte stream into lines ('\n', optional '\r' before it). Bytes in, frames out; no I/O.
//
// Zero-copy where it can be: a frame that lies wholly inside a received chunk is handed
// out as a view into that chunk. Only the unfinished tail of a chunk is copied, into a
// per-connection buffer that exists only while a frame is split (idle connections hold
// none). Every frame handed out is followed by at least kFramePadding readable bytes, the
// padding simdjson's On Demand parser needs — the caller guarantees it for the chunks it
// feeds (receive buffers are allocated with that slack), the framer for its own buffer.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include "common/parse_padding.h"

namespace chatd::proto {

constexpr std::size_t kFramePadding = 64;  // == simdjson::SIMDJSON_PADDING
static_assert(kFramePadding <= kParsePadding,
              "a frame handed out in place has only the receive buffer's padding after it");

enum class FrameVerdict {
  next,   // frame taken; go on with the next one
  pause,  // frame taken; stop and keep the rest buffered until resume()
  hold,   // frame not taken: keep it and the rest buffered until resume()
};

enum class FeedResult {
  ok,               // all input consumed or buffered
  paused,           // the consumer paused; the rest is buffered
  frame_too_large,  // a line longer than max_frame; the stream is unusable
};

class LineFramer {
 public:
  explicit LineFramer(std::size_t max_frame) : max_frame_(max_frame) {}

  // Feeds a received chunk. on_frame(std::string_view frame) -> FrameVerdict.
  template <class OnFrame>
  FeedResult feed(std::string_view chunk, OnFrame&& on_frame);

  // Processes what a pause left buffered; same verdicts as feed().
  template <class OnFrame>
  FeedResult resume(OnFrame&& on_frame) {
    return feed(std::string_view(), on_frame);
  }

  std::size_t buffered() const { return size_; }
  std::string_view buffered_view() const { return {buf_.get(), size_}; }
  // Buffers `chunk` without looking for frames (while the stream's mode is undecided).
  void hold(std::string_view chunk) { append(chunk.data(), chunk.size()); }
  // Moves the buffered bytes out (a connection handed to another shard takes them along).
  std::string take_buffered();
  std::size_t max_frame() const { return max_frame_; }

 private:
  template <class OnFrame>
  FeedResult split(const char* data, std::size_t len, std::size_t* consumed, OnFrame& on_frame);
  void append(const char* data, std::size_t len);
  void consume_front(std::size_t n);
  bool too_large(std::size_t unfinished) const { return unfinished > max_frame_ + 1; }

  std::unique_ptr<char[]> buf_;  // unfinished bytes; capacity_ + kFramePadding allocated
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::size_t max_frame_;
};

// Calls on_frame for every complete line in data[0, len), stops early on pause.
// *consumed is how far it got. A '\r' before '\n' is not part of the frame, so a
// frame may be max_frame bytes plus its "\r\n".
template <class OnFrame>
FeedResult LineFramer::split(const char* data, std::size_t len, std::size_t* consumed,
                             OnFrame& on_frame) {
  std::size_t pos = 0;
  while (pos < len) {
    const void* nl = std::memchr(data + pos, '\n', len - pos);
    if (nl == nullptr) break;
    std::size_t end = static_cast<const char*>(nl) - data;
    std::size_t frame_len = end - pos;
    if (frame_len > 0 && data[end - 1] == '\r') --frame_len;
    if (frame_len > max_frame_) {
      *consumed = pos;
      return FeedResult::frame_too_large;
    }
    std::string_view frame(data + pos, frame_len);
    FrameVerdict verdict = on_frame(frame);
    if (verdict == FrameVerdict::hold) {
      *consumed = pos;
      return FeedResult::paused;
    }
    pos = end + 1;
    if (verdict == FrameVerdict::pause) {
      *consumed = pos;
      return FeedResult::paused;
    }
  }
  *consumed = pos;
  return FeedResult::ok;
}

template <class OnFrame>
FeedResult LineFramer::feed(std::string_view chunk, OnFrame&& on_frame) {
  if (size_ > 0) {
    const bool paused_lines = std::memchr(buf_.get(), '\n', size_) != nullptr;
    if (paused_lines) {
      // A pause left whole lines behind: everything queues behind them, in order.
      append(chunk.data(), chunk.size());
      chunk = {};
    } else {
      // An unfinished line: complete it from the chunk, then go on zero-copy.
      // resume() feeds an empty view whose data() is null: memchr must not see it.
      const void* nl = chunk.empty() ? nullptr : std::memchr(chunk.data(), '\n', chunk.size());
      std::size_t take = nl ? static_cast<const char*>(nl) - chunk.data() + 1 : chunk.size();
      append(chunk.data(), take);
      chunk.remove_prefix(take);
    }
    std::size_t used = 0;
    FeedResult r = split(buf_.get(), size_, &used, on_frame);
    consume_front(used);
    if (r == FeedResult::paused) append(chunk.data(), chunk.size());
    if (r != FeedResult::ok) return r;
    if (size_ > 0) return too_large(size_) ? FeedResult::frame_too_large : FeedResult::ok;
  }
  std::size_t used = 0;
  FeedResult r = split(chunk.data(), chunk.size(), &used, on_frame);
  if (r == FeedResult::frame_too_large) return r;
  std::size_t rest = chunk.size() - used;
  if (r == FeedResult::ok && too_large(rest)) return FeedResult::frame_too_large;
  append(chunk.data() + used, rest);
  return r;
}

}  // namespace chatd::proto
