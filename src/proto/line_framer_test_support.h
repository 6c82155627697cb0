// Helpers shared by the LineFramer tests (line_framer_test.cc, line_framer_pause_test.cc):
// padded chunks, the ASAN checks of the padding promise, a recording consumer, splitters.
#pragma once

#include "proto/line_framer.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define CHATD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHATD_ASAN 1
#endif
#endif
#ifdef CHATD_ASAN
#include <sanitizer/asan_interface.h>
// From <sanitizer/allocator_interface.h>, which GCC does not ship; libasan has it.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace chatd::proto {
namespace {

// A received chunk as the network layer hands it over: its bytes, then exactly
// kFramePadding bytes of slack. The slack is not whitespace: nothing may rely on it.
class PaddedChunk {
 public:
  explicit PaddedChunk(std::string_view bytes)
      : data_(new char[bytes.size() + kFramePadding]), size_(bytes.size()) {
    if (!bytes.empty()) std::memcpy(data_.get(), bytes.data(), bytes.size());
    std::memset(data_.get() + size_, '}', kFramePadding);
  }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_;
};

// Every delivered frame must be followed by kFramePadding readable bytes.
void expect_padded(std::string_view frame) {
  const char* end = frame.data() + frame.size();
#ifdef CHATD_ASAN
  EXPECT_EQ(__asan_region_is_poisoned(const_cast<char*>(end), kFramePadding), nullptr)
      << "frame of " << frame.size() << " bytes lacks its padding";
#endif
  // Without ASAN this at least touches the bytes; with it, an overread aborts here.
  volatile char sink = 0;
  for (std::size_t i = 0; i < kFramePadding; ++i) sink = sink ^ end[i];
}

// Records frames, checks their padding, pauses or holds where told.
struct Consumer {
  std::vector<std::string> frames;  // frames taken
  std::vector<std::string> held;    // frames handed back with FrameVerdict::hold
  std::size_t pause_at = SIZE_MAX;  // pause after taking the frame with this index
  std::size_t hold_at = SIZE_MAX;   // hold (once) the frame that would get this index
  bool pause_every = false;

  FrameVerdict operator()(std::string_view frame) {
    expect_padded(frame);
    if (frames.size() == hold_at) {
      hold_at = SIZE_MAX;
      held.emplace_back(frame);
      return FrameVerdict::hold;
    }
    frames.emplace_back(frame);
    const bool pause = pause_every || frames.size() - 1 == pause_at;
    return pause ? FrameVerdict::pause : FrameVerdict::next;
  }
};

FeedResult feed(LineFramer& f, std::string_view bytes, Consumer& c) {
  PaddedChunk chunk(bytes);
  return f.feed(chunk.view(), c);
}

// Feeds the chunks in order, accepting every frame; stops at the first result that is not ok.
[[maybe_unused]] FeedResult feed_all(LineFramer& f, const std::vector<std::string>& chunks, Consumer& c) {
  for (const std::string& chunk : chunks) {
    FeedResult r = feed(f, chunk, c);
    if (r != FeedResult::ok) return r;
  }
  return FeedResult::ok;
}

// Splits `s` at the given offsets (ascending, each in [0, s.size()]).
std::vector<std::string> split_at(std::string_view s, std::initializer_list<std::size_t> cuts) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    out.emplace_back(s.substr(from, cut - from));
    from = cut;
  }
  out.emplace_back(s.substr(from));
  return out;
}

[[maybe_unused]] std::vector<std::string> bytewise(std::string_view s) {
  std::vector<std::string> out;
  for (char c : s) out.emplace_back(1, c);
  return out;
}

constexpr std::size_t kMaxFrame = 65536;

const std::string kStream =
    "{\"op\":\"msg\",\"room\":\"lobby\",\"text\":\"hi\"}\n"
    "second line\r\n"
    "\n"
    "a\rb\n"
    "\r\n"
    "last";  // unfinished: stays buffered
const std::vector<std::string> kStreamFrames = {
    "{\"op\":\"msg\",\"room\":\"lobby\",\"text\":\"hi\"}", "second line", "", "a\rb", ""};

}  // namespace
}  // namespace chatd::proto
