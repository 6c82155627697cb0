// LineFramer: pause/resume and hold keep frame order, take_buffered hands over what is
// left, and idle framers hold no buffer (helpers in line_framer_test_support.h).
#include "proto/line_framer_test_support.h"

namespace chatd::proto {
namespace {

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
