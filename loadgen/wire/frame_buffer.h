// Reassembly of frames split across reads, for the length-prefixed protocols
// (RESP, NATS) whose frames loadgen decodes in place. Like proto::LineFramer:
// frames that lie wholly inside a received chunk are decoded from the chunk
// itself; only an unfinished frame is copied, and only as far as it needs to
// be completed (in growing slices, so a 64 KiB chunk is not copied to finish a
// 40-byte frame).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace chatd::loadgen {

// Longest server frame loadgen accepts (chatd's are at most 64 KiB by default).
constexpr std::size_t kMaxServerFrame = 1 << 20;

struct FrameScan {
  enum class Status : unsigned char { frame, incomplete, bad };
  Status status;
  std::size_t size = 0;  // frame: its length in bytes
};

enum class FeedStatus : unsigned char { ok, stopped, bad_frame, frame_too_large };

class FrameBuffer {
 public:
  // scan(std::string_view rest) -> FrameScan looks at the start of `rest`;
  // on_frame(std::string_view frame) -> bool (false: stop, the rest is dropped).
  template <class Scan, class OnFrame>
  FeedStatus feed(std::string_view chunk, Scan&& scan, OnFrame&& on_frame);

  std::size_t buffered() const { return pending_.size(); }

 private:
  static constexpr std::size_t kFirstSlice = 512;
  std::string pending_;  // the start of an unfinished frame; empty between frames
};

template <class Scan, class OnFrame>
FeedStatus FrameBuffer::feed(std::string_view chunk, Scan&& scan, OnFrame&& on_frame) {
  // Finish the frame a previous chunk left unfinished.
  for (std::size_t slice = kFirstSlice; !pending_.empty() && !chunk.empty(); slice *= 2) {
    const std::size_t old = pending_.size();
    const std::size_t take = std::min(chunk.size(), slice);
    pending_.append(chunk.data(), take);
    const FrameScan s = scan(std::string_view(pending_));
    if (s.status == FrameScan::Status::bad) return FeedStatus::bad_frame;
    if (s.status == FrameScan::Status::incomplete) {
      chunk.remove_prefix(take);
      if (pending_.size() > kMaxServerFrame) return FeedStatus::frame_too_large;
      continue;
    }
    // Complete: every byte of it past `old` came from the chunk; the rest of the
    // chunk is decoded in place. (A frame ending inside what was already judged
    // unfinished would be a scanner bug: refuse it rather than rewind.)
    if (s.size <= old) return FeedStatus::bad_frame;
    const bool go_on = on_frame(std::string_view(pending_.data(), s.size));
    chunk.remove_prefix(s.size - old);
    pending_.clear();
    if (!go_on) return FeedStatus::stopped;
  }
  while (!chunk.empty()) {
    const FrameScan s = scan(chunk);
    if (s.status == FrameScan::Status::bad) return FeedStatus::bad_frame;
    if (s.status == FrameScan::Status::incomplete) {
      if (chunk.size() > kMaxServerFrame) return FeedStatus::frame_too_large;
      pending_.assign(chunk.data(), chunk.size());
      return FeedStatus::ok;
    }
    if (!on_frame(chunk.substr(0, s.size))) return FeedStatus::stopped;
    chunk.remove_prefix(s.size);
  }
  return FeedStatus::ok;
}

}  // namespace chatd::loadgen
