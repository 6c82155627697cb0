// A WebSocket connection's input: receive buffers in, events out, with the same shape as
// proto::LineFramer (feed/resume, next/pause/hold verdicts) so the shard drives both the
// same way. No I/O (docs/web.md).
//
// Zero-copy where it can be: a frame that lies wholly inside a received chunk is
// unmasked in place and its text handed out as a view of the chunk. Only an unfinished
// frame at a chunk's end is copied, into a buffer that exists only while a frame is
// split; it is bounded by the decoder, which refuses a frame over --max-frame from its
// header, so it never holds more than kMaxClientHeader + max_message bytes.
//
// The caller's chunks are writable (payloads are unmasked where they lie) and followed by
// proto::kFramePadding readable bytes, as for the LineFramer; the reader's own buffers
// keep that promise too, so every text event can go straight to simdjson.
//
// Input fed while paused is kept behind the pause, unbounded here: the caller bounds it
// as it does the LineFramer's (stop receiving while buffered() is over its input bound).
//
// A frame is unmasked as it is decoded, so it can never be decoded twice: an event the
// consumer holds is therefore kept decoded (its payload copied — holds are rare: a
// cross-shard reply awaited) and offered again first on resume().
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>

#include "proto/line_framer.h"
#include "ws/frame_decoder.h"
#include "ws/padded_buffer.h"

namespace chatd::ws {

enum class ReadResult {
  ok,       // all input consumed or buffered (an unfinished frame waits for more)
  paused,   // the consumer paused or held; the rest is kept until resume()
  stopped,  // a close or an error event was delivered: read nothing more, close
};

class WsReader {
 public:
  explicit WsReader(std::size_t max_message) : decoder_(max_message) {}

  // Feeds a received chunk. on_event(const WsEvent&) -> proto::FrameVerdict.
  template <class OnEvent>
  ReadResult feed(std::span<char> chunk, OnEvent&& on_event);

  // Delivers what a pause or hold left behind; same results as feed().
  template <class OnEvent>
  ReadResult resume(OnEvent&& on_event) {
    return feed(std::span<char>(), on_event);
  }

  // Bytes kept: an unfinished frame, or input behind a pause.
  std::size_t buffered() const { return buf_.size(); }
  // At least this many more bytes complete the unfinished frame (0 when none is).
  std::size_t needed() const { return needed_; }
  bool stopped() const { return decoder_.stopped() && !held_; }

  // Moves out everything not yet delivered, as client frames a fresh WsReader decodes into
  // the same events: the open message's fragments so far (one non-final frame), the held
  // event, then the raw bytes. For a connection handed to another shard after `hello`
  // (the fd travels with these bytes, as with LineFramer::take_buffered). Leaves this
  // reader empty. A connection whose reader gave an error is closed, never moved.
  std::string take_buffered();

 private:
  enum class Run { need_more, paused, stopped };
  template <class OnEvent>
  Run run_frames(char* data, std::size_t len, std::size_t* used, OnEvent& on_event);
  template <class OnEvent>
  ReadResult offer_held(OnEvent& on_event);
  void hold(const WsEvent& event);

  FrameDecoder decoder_;
  PaddedBuffer buf_;        // an unfinished frame, or the input behind a pause
  PaddedBuffer held_bytes_; // the held event's payload
  WsEvent held_event_;
  bool held_ = false;
  std::size_t needed_ = 0;
};

// Decodes and delivers the frames in data[0, len) until one is unfinished, the consumer
// pauses/holds, or a close/error ends the stream. *used is how far it got.
template <class OnEvent>
WsReader::Run WsReader::run_frames(char* data, std::size_t len, std::size_t* used, OnEvent& on_event) {
  std::size_t pos = 0;
  for (;;) {
    const DecodeStep step = decoder_.decode(data + pos, len - pos);
    if (step.status == DecodeStatus::stopped) break;
    if (step.status == DecodeStatus::need_more) {
      needed_ = step.needed;
      *used = pos;
      return Run::need_more;
    }
    pos += step.consumed;
    if (step.status == DecodeStatus::fragment) continue;
    const proto::FrameVerdict verdict = on_event(step.event);
    if (verdict == proto::FrameVerdict::hold) hold(step.event);
    if (decoder_.stopped()) break;
    if (verdict != proto::FrameVerdict::next) {
      *used = pos;
      needed_ = 0;
      return Run::paused;
    }
  }
  *used = len;  // after a close or an error the rest is not read
  needed_ = 0;
  return held_ ? Run::paused : Run::stopped;
}

template <class OnEvent>
ReadResult WsReader::offer_held(OnEvent& on_event) {
  const proto::FrameVerdict verdict = on_event(held_event_);
  if (verdict == proto::FrameVerdict::hold) return ReadResult::paused;
  held_ = false;
  held_bytes_.clear();
  if (decoder_.stopped()) return ReadResult::stopped;
  return verdict == proto::FrameVerdict::pause ? ReadResult::paused : ReadResult::ok;
}

template <class OnEvent>
ReadResult WsReader::feed(std::span<char> chunk, OnEvent&& on_event) {
  if (held_) {
    const ReadResult r = offer_held(on_event);
    if (r != ReadResult::ok) {
      if (r == ReadResult::paused) buf_.append(chunk.data(), chunk.size());
      return r;
    }
  } else if (stopped()) {
    return ReadResult::stopped;
  }
  // First what is buffered: frames behind a pause, then an unfinished frame, completed
  // from the chunk a piece at a time (`needed_` says how much the next look wants).
  while (!buf_.empty()) {
    std::size_t used = 0;
    const Run run = run_frames(buf_.data(), buf_.size(), &used, on_event);
    buf_.consume_front(used);
    if (run == Run::stopped) return ReadResult::stopped;
    if (run == Run::paused) {
      buf_.append(chunk.data(), chunk.size());
      return ReadResult::paused;
    }
    if (buf_.empty()) break;
    if (chunk.empty()) return ReadResult::ok;
    const std::size_t take = std::min(needed_, chunk.size());
    buf_.append(chunk.data(), take);
    chunk = chunk.subspan(take);
  }
  if (chunk.empty()) return ReadResult::ok;
  std::size_t used = 0;
  const Run run = run_frames(chunk.data(), chunk.size(), &used, on_event);
  if (run == Run::stopped) return ReadResult::stopped;
  buf_.append(chunk.data() + used, chunk.size() - used);
  return run == Run::paused ? ReadResult::paused : ReadResult::ok;
}

}  // namespace chatd::ws
