// LineFramer: frames split anywhere across chunks, "\r\n" endings, the max_frame bound,
// pause/resume order, and the kFramePadding promise simdjson relies on. Every chunk is
// fed from an allocation of exactly its size + kFramePadding, so under ASAN a read past
// the promised padding is reported; frames are also checked with the ASAN API directly.
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
FeedResult feed_all(LineFramer& f, const std::vector<std::string>& chunks, Consumer& c) {
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

std::vector<std::string> bytewise(std::string_view s) {
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

TEST(LineFramer, OneChunk) {
  LineFramer f(kMaxFrame);
  Consumer c;
  EXPECT_EQ(feed(f, kStream, c), FeedResult::ok);
  EXPECT_EQ(c.frames, kStreamFrames);
  EXPECT_EQ(f.buffered(), 4u);
  EXPECT_EQ(feed(f, "\n", c), FeedResult::ok);
  EXPECT_EQ(c.frames.back(), "last");
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(LineFramer, SplitAtEveryOffsetIntoTwoChunks) {
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    LineFramer f(kMaxFrame);
    Consumer c;
    ASSERT_EQ(feed_all(f, split_at(kStream, {cut}), c), FeedResult::ok);
    EXPECT_EQ(c.frames, kStreamFrames);
    EXPECT_EQ(f.buffered(), 4u);  // "last"
  }
}

TEST(LineFramer, SplitAtEveryPairOfOffsetsIntoThreeChunks) {
  const std::string input = "ab\r\n\ncd\nefg\r\nh\n";
  const std::vector<std::string> expected = {"ab", "", "cd", "efg", "h"};
  for (std::size_t i = 0; i <= input.size(); ++i) {
    for (std::size_t j = i; j <= input.size(); ++j) {
      SCOPED_TRACE("cuts at " + std::to_string(i) + ", " + std::to_string(j));
      LineFramer f(kMaxFrame);
      Consumer c;
      ASSERT_EQ(feed_all(f, split_at(input, {i, j}), c), FeedResult::ok);
      EXPECT_EQ(c.frames, expected);
      EXPECT_EQ(f.buffered(), 0u);
    }
  }
}

TEST(LineFramer, LongFrameByteByByte) {
  // Grows the framer's own buffer through several sizes; each frame from it is padded.
  std::string line(5000, 'x');
  for (std::size_t i = 0; i < line.size(); i += 7) line[i] = char('a' + i % 26);
  LineFramer f(kMaxFrame);
  Consumer c;
  ASSERT_EQ(feed_all(f, bytewise(line + "\r\n" + line + "\n"), c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{line, line}));
}

// Frames assembled in the framer's own buffer, at every length across its first
// capacity steps: some end exactly at the capacity, where only the padding is left.
TEST(LineFramer, BufferedFramesOfEveryLengthArePadded) {
  for (std::size_t len = 0; len <= 1100; ++len) {
    SCOPED_TRACE("length " + std::to_string(len));
    const std::string line(len, 'b');
    for (std::size_t cut : {std::size_t(0), std::size_t(1), len / 2, len}) {
      if (cut > len) continue;
      LineFramer f(kMaxFrame);
      Consumer c;
      ASSERT_EQ(feed(f, line.substr(0, cut), c), FeedResult::ok);
      ASSERT_EQ(feed(f, line.substr(cut) + "\nnext", c), FeedResult::ok);
      ASSERT_EQ(c.frames.size(), 1u);
      EXPECT_EQ(c.frames[0], line);
    }
  }
}

TEST(LineFramer, CrLfEndings) {
  LineFramer f(kMaxFrame);
  Consumer c;
  ASSERT_EQ(feed(f, "abc\r\n\r\nx\ry\r\nz\r\r\n\r\r\n", c), FeedResult::ok);
  // Only the one '\r' right before '\n' belongs to the ending.
  EXPECT_EQ(c.frames, (std::vector<std::string>{"abc", "", "x\ry", "z\r", "\r"}));
}

TEST(LineFramer, CrAndLfInSeparateChunks) {
  LineFramer f(kMaxFrame);
  Consumer c;
  ASSERT_EQ(feed_all(f, {"abc\r", "\n", "\r", "\n", "d\r", "e\n"}, c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"abc", "", "d\re"}));
}

TEST(LineFramer, SeveralFramesInOneChunk) {
  std::string chunk;
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) {
    expected.push_back("frame " + std::to_string(i));
    chunk += expected.back() + (i % 2 ? "\n" : "\r\n");
  }
  LineFramer f(kMaxFrame);
  Consumer c;
  ASSERT_EQ(feed(f, chunk, c), FeedResult::ok);
  EXPECT_EQ(c.frames, expected);
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(LineFramer, EmptyLinesAreEmptyFrames) {
  LineFramer f(kMaxFrame);
  Consumer c;
  ASSERT_EQ(feed(f, "\n\n\r\n\n", c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>(4, "")));
}

TEST(LineFramer, EmptyChunkDoesNothing) {
  LineFramer f(kMaxFrame);
  Consumer c;
  EXPECT_EQ(feed(f, "", c), FeedResult::ok);
  EXPECT_EQ(f.feed(std::string_view(), c), FeedResult::ok);  // data() == nullptr
  ASSERT_EQ(feed(f, "ab", c), FeedResult::ok);
  EXPECT_EQ(f.feed(std::string_view(), c), FeedResult::ok);
  EXPECT_EQ(feed(f, "", c), FeedResult::ok);
  ASSERT_EQ(feed(f, "c\n", c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"abc"}));
}

// ---- the max_frame bound ----

TEST(LineFramer, FrameOfExactlyMaxFrameIsAccepted) {
  const std::string frame(kMaxFrame, 'm');
  for (const char* ending : {"\n", "\r\n"}) {
    const std::string input = frame + ending + "ok\n";
    for (std::size_t chunk_size : {input.size(), std::size_t(4096), std::size_t(1000), std::size_t(1)}) {
      SCOPED_TRACE(std::string(ending == std::string("\n") ? "LF" : "CRLF") + " chunks of " +
                   std::to_string(chunk_size));
      std::vector<std::string> chunks;
      for (std::size_t i = 0; i < input.size(); i += chunk_size) chunks.push_back(input.substr(i, chunk_size));
      LineFramer f(kMaxFrame);
      Consumer c;
      ASSERT_EQ(feed_all(f, chunks, c), FeedResult::ok);
      ASSERT_EQ(c.frames.size(), 2u);
      EXPECT_EQ(c.frames[0], frame);
      EXPECT_EQ(c.frames[1], "ok");
    }
  }
}

TEST(LineFramer, MaxFramePlusCrLfSplitAtEveryOffset) {
  constexpr std::size_t kMax = 16;
  const std::string input = std::string(kMax, 'q') + "\r\n";
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    LineFramer f(kMax);
    Consumer c;
    ASSERT_EQ(feed_all(f, split_at(input, {cut}), c), FeedResult::ok);
    EXPECT_EQ(c.frames, (std::vector<std::string>{std::string(kMax, 'q')}));
  }
}

TEST(LineFramer, MaxFramePlusOneInOneChunk) {
  constexpr std::size_t kMax = 16;
  for (const char* ending : {"\n", "\r\n"}) {
    LineFramer f(kMax);
    Consumer c;
    EXPECT_EQ(feed(f, "fine\n" + std::string(kMax + 1, 'x') + ending + "after\n", c),
              FeedResult::frame_too_large);
    EXPECT_EQ(c.frames, (std::vector<std::string>{"fine"}));  // nothing past the bad line
  }
}

TEST(LineFramer, MaxFramePlusOneInManySmallChunks) {
  constexpr std::size_t kMax = 16;
  const std::string input = std::string(kMax + 1, 'x') + "\n";
  for (std::size_t chunk_size = 1; chunk_size <= input.size(); ++chunk_size) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk_size));
    std::vector<std::string> chunks;
    for (std::size_t i = 0; i < input.size(); i += chunk_size) chunks.push_back(input.substr(i, chunk_size));
    LineFramer f(kMax);
    Consumer c;
    EXPECT_EQ(feed_all(f, chunks, c), FeedResult::frame_too_large);
    EXPECT_TRUE(c.frames.empty());
  }
}

// Memory stays bounded: the framer does not wait for a newline that may never come.
TEST(LineFramer, TooLargeDetectedWithoutNewline) {
  constexpr std::size_t kMax = 16;
  // max_frame + 1 unfinished bytes may still be a max_frame frame and its '\r';
  // one byte more cannot be.
  {
    LineFramer f(kMax);
    Consumer c;
    EXPECT_EQ(feed(f, std::string(kMax + 1, 'x'), c), FeedResult::ok);
    EXPECT_EQ(feed(f, "x", c), FeedResult::frame_too_large);
  }
  {
    LineFramer f(kMax);
    Consumer c;
    EXPECT_EQ(feed(f, std::string(kMax + 2, 'x'), c), FeedResult::frame_too_large);
  }
  {
    LineFramer f(kMax);
    Consumer c;
    EXPECT_EQ(feed(f, "ok\n" + std::string(kMax + 2, 'x'), c), FeedResult::frame_too_large);
    EXPECT_EQ(c.frames, (std::vector<std::string>{"ok"}));
  }
  {
    // Byte by byte: every feed is ok and buffers at most max_frame + 1 bytes, until it is not.
    LineFramer f(kMax);
    Consumer c;
    std::size_t fed = 0;
    FeedResult r = FeedResult::ok;
    while (r == FeedResult::ok && fed < 10 * kMax) {
      r = feed(f, "y", c);
      ++fed;
      if (r == FeedResult::ok) {
        EXPECT_LE(f.buffered(), kMax + 1);
      }
    }
    EXPECT_EQ(r, FeedResult::frame_too_large);
    EXPECT_EQ(fed, kMax + 2);
  }
  {
    // An unfinished part already buffered, then a chunk that takes it past the bound.
    LineFramer f(kMax);
    Consumer c;
    EXPECT_EQ(feed(f, "abc", c), FeedResult::ok);
    EXPECT_EQ(feed(f, std::string(kMax, 'x'), c), FeedResult::frame_too_large);
  }
}

// ---- pause / resume ----

TEST(LineFramer, PauseKeepsTheRestUntilResume) {
  LineFramer f(kMaxFrame);
  Consumer c;
  c.pause_at = 0;
  EXPECT_EQ(feed(f, "a\nb\nc\npart", c), FeedResult::paused);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"a"}));
  EXPECT_EQ(f.buffered(), std::string_view("b\nc\npart").size());

  c.pause_at = SIZE_MAX;
  EXPECT_EQ(f.resume(c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(f.buffered(), 4u);
  EXPECT_EQ(feed(f, "\n", c), FeedResult::ok);
  EXPECT_EQ(c.frames.back(), "part");
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(LineFramer, FeedWhilePausedQueuesBehindTheRest) {
  LineFramer f(kMaxFrame);
  Consumer c;
  c.pause_at = 0;
  EXPECT_EQ(feed(f, "a\nb\nc", c), FeedResult::paused);
  // A later feed first delivers what the pause kept, then its own bytes.
  c.pause_at = 1;
  EXPECT_EQ(feed(f, "d\ne\nf", c), FeedResult::paused);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(feed(f, "g\n", c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"a", "b", "cd", "e", "fg"}));
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(LineFramer, PauseWithOnlyAnUnfinishedTailLeft) {
  LineFramer f(kMaxFrame);
  Consumer c;
  c.pause_at = 0;
  EXPECT_EQ(feed(f, "a\nxy", c), FeedResult::paused);
  c.pause_at = SIZE_MAX;
  EXPECT_EQ(f.resume(c), FeedResult::ok);  // resume feeds an empty view (data() == nullptr)
  EXPECT_EQ(c.frames, (std::vector<std::string>{"a"}));
  EXPECT_EQ(f.buffered(), 2u);
  EXPECT_EQ(feed(f, "z\n", c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"a", "xyz"}));
}

TEST(LineFramer, ResumeWithNothingBuffered) {
  LineFramer f(kMaxFrame);
  Consumer c;
  EXPECT_EQ(f.resume(c), FeedResult::ok);
  c.pause_at = 0;
  EXPECT_EQ(feed(f, "only\n", c), FeedResult::paused);
  EXPECT_EQ(f.buffered(), 0u);
  EXPECT_EQ(f.resume(c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"only"}));
}

// Whatever frame the consumer pauses on and wherever the input is cut, with a
// feed arriving while paused, resume() delivers every frame exactly once, in order.
TEST(LineFramer, PauseAnywhereKeepsOrder) {
  for (std::size_t pause_at = 0; pause_at < kStreamFrames.size(); ++pause_at) {
    for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
      SCOPED_TRACE("pause at frame " + std::to_string(pause_at) + ", cut at " + std::to_string(cut));
      LineFramer f(kMaxFrame);
      Consumer c;
      c.pause_at = pause_at;
      for (const std::string& chunk : split_at(kStream + "\n", {cut})) {
        FeedResult r = feed(f, chunk, c);
        ASSERT_NE(r, FeedResult::frame_too_large);
      }
      int rounds = 0;
      while (f.resume(c) == FeedResult::paused) ASSERT_LT(++rounds, 100);
      std::vector<std::string> expected = kStreamFrames;
      expected.push_back("last");
      EXPECT_EQ(c.frames, expected);
      EXPECT_EQ(f.buffered(), 0u);
    }
  }
}

TEST(LineFramer, PauseOnEveryFrame) {
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    LineFramer f(kMaxFrame);
    Consumer c;
    c.pause_every = true;
    for (const std::string& chunk : split_at(kStream + "\n", {cut})) {
      const std::size_t before = c.frames.size();
      ASSERT_NE(feed(f, chunk, c), FeedResult::frame_too_large);
      EXPECT_LE(c.frames.size(), before + 1);  // a pause stops delivery at once
    }
    int rounds = 0;
    for (;;) {
      const std::size_t before = c.frames.size();
      const FeedResult r = f.resume(c);
      if (r == FeedResult::ok) break;
      ASSERT_EQ(r, FeedResult::paused);
      EXPECT_EQ(c.frames.size(), before + 1);
      ASSERT_LT(++rounds, 100);
    }
    std::vector<std::string> expected = kStreamFrames;
    expected.push_back("last");
    EXPECT_EQ(c.frames, expected);
    EXPECT_EQ(f.buffered(), 0u);
  }
}

// ---- hold: the frame is handed back and delivered again on resume ----

TEST(LineFramer, HoldKeepsTheFrameItself) {
  LineFramer f(kMaxFrame);
  Consumer c;
  c.hold_at = 1;
  EXPECT_EQ(feed(f, "a\nb\r\nc\nd", c), FeedResult::paused);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"a"}));
  EXPECT_EQ(c.held, (std::vector<std::string>{"b"}));
  EXPECT_EQ(f.buffered_view(), "b\r\nc\nd");  // raw bytes, ending included
  EXPECT_EQ(f.resume(c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(f.buffered_view(), "d");
}

TEST(LineFramer, HoldTheLastFrameOfAChunk) {
  LineFramer f(kMaxFrame);
  Consumer c;
  c.hold_at = 0;
  EXPECT_EQ(feed(f, "only\n", c), FeedResult::paused);
  EXPECT_TRUE(c.frames.empty());
  EXPECT_EQ(f.buffered(), 5u);
  EXPECT_EQ(f.resume(c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"only"}));
  EXPECT_EQ(f.buffered(), 0u);
}

// Whichever frame is held and wherever the input is cut, with a feed arriving while
// held, every frame is taken exactly once, in order, and the held one was the right one.
TEST(LineFramer, HoldAnywhereKeepsOrder) {
  std::vector<std::string> expected = kStreamFrames;
  expected.push_back("last");
  for (std::size_t hold_at = 0; hold_at < expected.size(); ++hold_at) {
    for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
      SCOPED_TRACE("hold frame " + std::to_string(hold_at) + ", cut at " + std::to_string(cut));
      LineFramer f(kMaxFrame);
      Consumer c;
      c.hold_at = hold_at;
      for (const std::string& chunk : split_at(kStream + "\n", {cut})) {
        ASSERT_NE(feed(f, chunk, c), FeedResult::frame_too_large);
      }
      int rounds = 0;
      while (f.resume(c) == FeedResult::paused) ASSERT_LT(++rounds, 100);
      EXPECT_EQ(c.frames, expected);
      EXPECT_EQ(c.held, (std::vector<std::string>{expected[hold_at]}));
      EXPECT_EQ(f.buffered(), 0u);
    }
  }
}

TEST(LineFramer, HoldChunkBuffersWithoutFraming) {
  // While a connection's mode is undecided its bytes are kept, not split.
  LineFramer f(kMaxFrame);
  Consumer c;
  PaddedChunk first("{\"op\":\"ping\"}\nsec");
  f.hold(first.view());
  f.hold(std::string_view());
  EXPECT_EQ(f.buffered_view(), "{\"op\":\"ping\"}\nsec");
  EXPECT_TRUE(c.frames.empty());
  EXPECT_EQ(f.resume(c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"{\"op\":\"ping\"}"}));
  EXPECT_EQ(feed(f, "ond\n", c), FeedResult::ok);
  EXPECT_EQ(c.frames.back(), "second");
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(LineFramer, TakeBufferedAfterHold) {
  LineFramer f(kMaxFrame);
  Consumer c;
  c.hold_at = 0;
  ASSERT_EQ(feed(f, "mine\nnext\n", c), FeedResult::paused);
  EXPECT_EQ(f.take_buffered(), "mine\nnext\n");  // the held frame travels too
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(LineFramer, TooLargeLineAfterAPause) {
  constexpr std::size_t kMax = 16;
  LineFramer f(kMax);
  Consumer c;
  c.pause_at = 0;
  EXPECT_EQ(feed(f, "a\n" + std::string(kMax + 1, 'x') + "\n", c), FeedResult::paused);
  c.pause_at = SIZE_MAX;
  EXPECT_EQ(f.resume(c), FeedResult::frame_too_large);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"a"}));
}

// ---- take_buffered / buffered ----

TEST(LineFramer, TakeBufferedUnfinishedLine) {
  LineFramer f(kMaxFrame);
  Consumer c;
  EXPECT_EQ(f.take_buffered(), "");
  ASSERT_EQ(feed(f, "done\nhalf a li", c), FeedResult::ok);
  EXPECT_EQ(f.take_buffered(), "half a li");
  EXPECT_EQ(f.buffered(), 0u);
  EXPECT_EQ(f.take_buffered(), "");
  // The framer starts afresh.
  ASSERT_EQ(feed(f, "ne\n", c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"done", "ne"}));
}

TEST(LineFramer, TakeBufferedAfterPause) {
  LineFramer f(kMaxFrame);
  Consumer c;
  c.pause_at = 0;
  ASSERT_EQ(feed(f, "a\nb\r\nc", c), FeedResult::paused);
  // What another shard must replay: the raw bytes, endings included, in order.
  EXPECT_EQ(f.take_buffered(), "b\r\nc");
  EXPECT_EQ(f.buffered(), 0u);
  c.pause_at = SIZE_MAX;
  EXPECT_EQ(f.resume(c), FeedResult::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"a"}));
}

TEST(LineFramer, IdleFramerHoldsNoBuffer) {
  LineFramer f(kMaxFrame);
  Consumer c;
  EXPECT_EQ(f.buffered(), 0u);
  ASSERT_EQ(feed(f, "abc", c), FeedResult::ok);
  EXPECT_EQ(f.buffered(), 3u);
  ASSERT_EQ(feed(f, "def", c), FeedResult::ok);
  EXPECT_EQ(f.buffered(), 6u);
  ASSERT_EQ(feed(f, "\n", c), FeedResult::ok);
  EXPECT_EQ(f.buffered(), 0u);  // the completed frame released the buffer
  ASSERT_EQ(feed(f, "x\ny\n", c), FeedResult::ok);
  EXPECT_EQ(f.buffered(), 0u);  // whole lines never touch the buffer
  ASSERT_EQ(feed(f, "gh", c), FeedResult::ok);
  ASSERT_EQ(feed(f, "i\njk\n", c), FeedResult::ok);
  EXPECT_EQ(f.buffered(), 0u);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"abcdef", "x", "y", "ghi", "jk"}));
  EXPECT_EQ(f.max_frame(), kMaxFrame);
}

#ifdef CHATD_ASAN
// buffered() == 0 could still hide a kept allocation; ASAN's allocator can tell.
TEST(LineFramer, CompletedFrameFreesTheBuffer) {
  LineFramer f(kMaxFrame);
  PaddedChunk head("abc");
  PaddedChunk tail("def\n");
  int frames = 0;
  auto count = [&frames](std::string_view) {
    ++frames;
    return FrameVerdict::next;
  };
  const std::size_t idle = __sanitizer_get_current_allocated_bytes();
  f.feed(head.view(), count);
  const std::size_t split = __sanitizer_get_current_allocated_bytes();
  f.feed(tail.view(), count);
  const std::size_t done = __sanitizer_get_current_allocated_bytes();
  EXPECT_EQ(frames, 1);
  EXPECT_GT(split, idle);
  EXPECT_EQ(done, idle);
}
#endif

// Zero-copy: a frame wholly inside a chunk is a view into that chunk.
TEST(LineFramer, WholeFramesPointIntoTheChunk) {
  LineFramer f(kMaxFrame);
  PaddedChunk chunk("one\ntwo\r\n");
  std::vector<const char*> starts;
  ASSERT_EQ(f.feed(chunk.view(),
                   [&](std::string_view frame) {
                     expect_padded(frame);
                     starts.push_back(frame.data());
                     return FrameVerdict::next;
                   }),
            FeedResult::ok);
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0], chunk.view().data());
  EXPECT_EQ(starts[1], chunk.view().data() + 4);
}

}  // namespace
}  // namespace chatd::proto
