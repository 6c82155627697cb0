// LineFramer: frames split anywhere across chunks, "\r\n" endings, the max_frame bound,
// pause/resume order, and the kFramePadding promise simdjson relies on. Every chunk is
// fed from an allocation of exactly its size + kFramePadding, so under ASAN a read past
// the promised padding is reported; frames are also checked with the ASAN API directly.
#include "proto/line_framer_test_support.h"

namespace chatd::proto {
namespace {

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

}  // namespace
}  // namespace chatd::proto
