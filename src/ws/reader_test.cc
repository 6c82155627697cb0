// WsReader: a stream of frames fed split at every byte offset (and a byte at a time)
// yields the same events; partial frames across receive buffers; pause and hold with
// resume, holds surviving the chunk they came from; the kFramePadding promise; a
// randomized round trip from client frames (random sizes, fragmentation, control frames
// between fragments, masks, chunk cuts) back to the same messages.
#include "ws/reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "proto/line_framer.h"
#include "ws/client_frame.h"

namespace chatd::ws {
namespace {

using proto::FrameVerdict;
using proto::kFramePadding;

// A received chunk as the reactor hands it over: writable bytes, then kFramePadding of slack.
class Chunk {
 public:
  explicit Chunk(std::string_view bytes) : data_(new char[bytes.size() + kFramePadding]), size_(bytes.size()) {
    if (!bytes.empty()) std::memcpy(data_.get(), bytes.data(), bytes.size());
    std::memset(data_.get() + size_, 0x5A, kFramePadding);
  }
  std::span<char> span() { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_;
};

struct Seen {
  WsEventKind kind;
  uint16_t code;
  std::string payload;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{kind " << int(s.kind) << " code " << s.code << " payload '" << s.payload << "'}";
}

// Records events; every text must be followed by kFramePadding readable bytes.
struct Recorder {
  std::vector<Seen> seen;
  FrameVerdict operator()(const WsEvent& e) {
    if (e.kind == WsEventKind::text) {
      volatile char sink = 0;
      for (std::size_t i = 0; i < kFramePadding; ++i) sink = sink ^ e.payload.data()[e.payload.size() + i];
    }
    seen.push_back({e.kind, e.code, std::string(e.payload)});
    return FrameVerdict::next;
  }
};

// Feeds `bytes` cut at the given offsets (each piece its own chunk).
std::vector<Seen> feed_cut(const std::string& bytes, const std::vector<std::size_t>& cuts, ReadResult* last,
                           std::size_t max_message = 65536) {
  WsReader reader(max_message);
  Recorder rec;
  std::size_t from = 0;
  *last = ReadResult::ok;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(bytes.size());
  for (std::size_t to : ends) {
    Chunk chunk(std::string_view(bytes).substr(from, to - from));
    *last = reader.feed(chunk.span(), rec);
    from = to;
    if (*last == ReadResult::stopped) break;
  }
  return rec.seen;
}

std::string close_payload(uint16_t code) { return {char(code >> 8), char(code & 0xFF)}; }

const std::string& sample_stream() {
  static const std::string s = client_frame(Opcode::text, R"({"op":"hello","user":"alice"})") +
                               client_frame(Opcode::ping, "are you there") +
                               [] {
                                 std::string out;
                                 append_client_frame({.payload = "{\"op\":\"msg\",", .fin = false}, out);
                                 append_client_frame({.opcode = Opcode::ping, .payload = ""}, out);
                                 append_client_frame({.opcode = Opcode::continuation, .payload = "\"room\":\"l\"}"}, out);
                                 return out;
                               }() +
                               client_frame(Opcode::text, std::string(300, 'w')) +
                               client_frame(Opcode::close, close_payload(1000) + "done");
  return s;
}

std::vector<Seen> sample_events() {
  return {{WsEventKind::text, 0, R"({"op":"hello","user":"alice"})"},
          {WsEventKind::ping, 0, "are you there"},
          {WsEventKind::ping, 0, ""},
          {WsEventKind::text, 0, R"({"op":"msg","room":"l"})"},
          {WsEventKind::text, 0, std::string(300, 'w')},
          {WsEventKind::close, 1000, "done"}};
}

TEST(WsReader, SplitAtEveryByteOffset) {
  const std::string& bytes = sample_stream();
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    ReadResult last;
    EXPECT_EQ(feed_cut(bytes, {cut}, &last), sample_events());
    EXPECT_EQ(last, ReadResult::stopped);
  }
}

TEST(WsReader, SplitAtEveryPairOfOffsets) {
  const std::string bytes = client_frame(Opcode::text, std::string(130, 'm')) + client_frame(Opcode::ping, "x");
  for (std::size_t a = 0; a <= bytes.size(); ++a) {
    for (std::size_t b = a; b <= bytes.size(); ++b) {
      ReadResult last;
      const std::vector<Seen> seen = feed_cut(bytes, {a, b}, &last);
      ASSERT_EQ(seen.size(), 2u) << a << "," << b;
      ASSERT_EQ(seen[0].payload, std::string(130, 'm')) << a << "," << b;
      ASSERT_EQ(seen[1].kind, WsEventKind::ping);
    }
  }
}

TEST(WsReader, OneByteAtATime) {
  const std::string& bytes = sample_stream();
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < bytes.size(); ++i) cuts.push_back(i);
  ReadResult last;
  EXPECT_EQ(feed_cut(bytes, cuts, &last), sample_events());
  EXPECT_EQ(last, ReadResult::stopped);
}

TEST(WsReader, AnUnfinishedFrameWaitsAndSaysHowMuchItNeeds) {
  const std::string bytes = client_frame(Opcode::text, std::string(1000, 'q'));  // 8-byte header
  WsReader reader(65536);
  Recorder rec;
  Chunk first(std::string_view(bytes).substr(0, 100));
  EXPECT_EQ(reader.feed(first.span(), rec), ReadResult::ok);
  EXPECT_TRUE(rec.seen.empty());
  EXPECT_EQ(reader.buffered(), 100u);
  EXPECT_EQ(reader.needed(), bytes.size() - 100);
  Chunk rest(std::string_view(bytes).substr(100));
  EXPECT_EQ(reader.feed(rest.span(), rec), ReadResult::ok);
  ASSERT_EQ(rec.seen.size(), 1u);
  EXPECT_EQ(rec.seen[0].payload, std::string(1000, 'q'));
  EXPECT_EQ(reader.buffered(), 0u);  // idle: no buffer kept
  EXPECT_EQ(reader.needed(), 2u);  // the next frame's first two bytes
}

TEST(WsReader, ErrorsStopTheStreamWithTheirCode) {
  struct Case {
    std::string bytes;
    uint16_t code;
  };
  std::string unmasked, rsv;
  append_client_frame({.payload = "x", .masked = false}, unmasked);
  append_client_frame({.payload = "x", .rsv = 4}, rsv);
  const std::vector<Case> cases = {
      {unmasked, 1002},
      {rsv, 1002},
      {client_frame(Opcode::binary, "b"), 1003},
      {client_frame(Opcode::text, "\xFF"), 1007},
      {client_frame(Opcode::text, std::string(101, 't')), 1009},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    const std::string bytes = client_frame(Opcode::text, "first") + c.bytes + client_frame(Opcode::text, "never");
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      ReadResult last;
      const std::vector<Seen> seen = feed_cut(bytes, {cut}, &last, 100);
      ASSERT_EQ(seen.size(), 2u) << "cut " << cut;
      EXPECT_EQ(seen[0].payload, "first");
      EXPECT_EQ(seen[1].kind, WsEventKind::error);
      EXPECT_EQ(seen[1].code, c.code);
      EXPECT_EQ(last, ReadResult::stopped);
    }
  }
}

TEST(WsReader, PauseKeepsTheRestInOrder) {
  const std::string bytes = client_frame(Opcode::text, "1") + client_frame(Opcode::text, "2") +
                            client_frame(Opcode::text, "3");
  WsReader reader(100);
  std::vector<std::string> got;
  auto pause_after_each = [&](const WsEvent& e) {
    got.emplace_back(e.payload);
    return FrameVerdict::pause;
  };
  Chunk chunk(bytes);
  EXPECT_EQ(reader.feed(chunk.span(), pause_after_each), ReadResult::paused);
  EXPECT_EQ(got, std::vector<std::string>{"1"});
  Chunk more(client_frame(Opcode::text, "4"));  // arrives while paused: queued behind 2, 3
  EXPECT_EQ(reader.feed(more.span(), pause_after_each), ReadResult::paused);
  EXPECT_EQ(got, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(reader.resume(pause_after_each), ReadResult::paused);
  EXPECT_EQ(reader.resume(pause_after_each), ReadResult::paused);
  EXPECT_EQ(got, (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(reader.resume(pause_after_each), ReadResult::ok);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(WsReader, AHeldEventIsOfferedAgainAfterItsChunkIsGone) {
  std::string bytes = client_frame(Opcode::text, "held text") + client_frame(Opcode::text, "then this");
  WsReader reader(100);
  int offers = 0;
  std::vector<std::string> taken;
  auto hold_first_twice = [&](const WsEvent& e) {
    if (e.payload == "held text" && ++offers <= 2) return FrameVerdict::hold;
    taken.emplace_back(e.payload);
    // The held copy keeps the padding promise too.
    volatile char sink = e.payload.data()[e.payload.size() + kFramePadding - 1];
    (void)sink;
    return FrameVerdict::next;
  };
  {
    Chunk chunk(bytes);
    EXPECT_EQ(reader.feed(chunk.span(), hold_first_twice), ReadResult::paused);
  }  // the chunk is freed here, as a provided buffer is returned to the kernel
  EXPECT_TRUE(taken.empty());
  EXPECT_EQ(reader.resume(hold_first_twice), ReadResult::paused);
  EXPECT_EQ(reader.resume(hold_first_twice), ReadResult::ok);
  EXPECT_EQ(taken, (std::vector<std::string>{"held text", "then this"}));
  EXPECT_EQ(offers, 3);
}

TEST(WsReader, AHeldCloseStopsOnceTaken) {
  WsReader reader(100);
  bool hold = true;
  std::vector<Seen> seen;
  auto maybe_hold = [&](const WsEvent& e) {
    if (hold) return FrameVerdict::hold;
    seen.push_back({e.kind, e.code, std::string(e.payload)});
    return FrameVerdict::next;
  };
  Chunk chunk(client_frame(Opcode::close, close_payload(1001)) + client_frame(Opcode::text, "late"));
  EXPECT_EQ(reader.feed(chunk.span(), maybe_hold), ReadResult::paused);
  EXPECT_FALSE(reader.stopped());
  hold = false;
  EXPECT_EQ(reader.resume(maybe_hold), ReadResult::stopped);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, WsEventKind::close);
  EXPECT_EQ(seen[0].code, 1001);
  EXPECT_TRUE(reader.stopped());
}

// A connection moved to another shard after hello: what one reader has not delivered, a
// fresh reader fed take_buffered() delivers — open fragments, a held event, raw bytes.
TEST(WsReader, TakeBufferedCarriesEverythingUndeliveredToAFreshReader) {
  std::string bytes;
  append_client_frame({.payload = "{\"op\":", .fin = false}, bytes);  // an open message...
  append_client_frame({.opcode = Opcode::ping, .payload = "held ping"}, bytes);  // ...a held ping
  append_client_frame({.opcode = Opcode::continuation, .payload = "\"ping\"}"}, bytes);
  bytes += client_frame(Opcode::close, close_payload(1000) + "bye");
  const std::size_t cut = bytes.size() - 3;  // the close frame is unfinished
  WsReader first(100);
  Chunk chunk(std::string_view(bytes).substr(0, cut));
  EXPECT_EQ(first.feed(chunk.span(), [](const WsEvent&) { return FrameVerdict::hold; }), ReadResult::paused);
  const std::string moved = first.take_buffered();
  EXPECT_EQ(first.buffered(), 0u);

  ReadResult last;
  const std::vector<Seen> seen = feed_cut(moved + bytes.substr(cut), {moved.size()}, &last, 100);
  const std::vector<Seen> want = {{WsEventKind::ping, 0, "held ping"},
                                  {WsEventKind::text, 0, R"({"op":"ping"})"},
                                  {WsEventKind::close, 1000, "bye"}};
  EXPECT_EQ(seen, want);
  EXPECT_EQ(last, ReadResult::stopped);
}

TEST(WsReader, TakeBufferedCarriesAHeldCloseWithItsCode) {
  WsReader first(100);
  Chunk chunk(client_frame(Opcode::close, close_payload(4001) + "why"));
  EXPECT_EQ(first.feed(chunk.span(), [](const WsEvent&) { return FrameVerdict::hold; }), ReadResult::paused);
  ReadResult last;
  const std::vector<Seen> seen = feed_cut(first.take_buffered(), {}, &last, 100);
  EXPECT_EQ(seen, (std::vector<Seen>{{WsEventKind::close, 4001, "why"}}));
}

TEST(WsReader, AnEmptyMessageMadeOfEmptyFragmentsIsStillPadded) {
  std::string bytes;
  append_client_frame({.payload = "", .fin = false}, bytes);
  append_client_frame({.opcode = Opcode::continuation, .payload = ""}, bytes);
  ReadResult last;
  const std::vector<Seen> seen = feed_cut(bytes, {}, &last);  // the Recorder reads the padding
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, WsEventKind::text);
  EXPECT_EQ(seen[0].payload, "");
}

// Random messages, each sent whole or in random fragments with pings between them, random
// masks and length forms, the byte stream cut at random places: the reader must give back
// exactly the messages, in order.
TEST(WsReader, RandomizedRoundTrip) {
  std::mt19937_64 rng(20240611);
  auto uniform = [&](std::size_t lo, std::size_t hi) { return std::uniform_int_distribution<std::size_t>(lo, hi)(rng); };
  constexpr std::size_t kMax = 4096;
  for (int round = 0; round < 200; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::string stream;
    std::vector<Seen> want;
    const std::size_t messages = uniform(1, 20);
    for (std::size_t m = 0; m < messages; ++m) {
      std::string text(uniform(0, uniform(0, 1) ? 200 : kMax), '\0');
      for (char& c : text) c = char(uniform(0x20, 0x7E));  // printable ASCII: valid UTF-8
      const std::size_t pieces = uniform(1, 4);
      std::size_t from = 0;
      for (std::size_t p = 0; p < pieces; ++p) {
        const bool last = p + 1 == pieces;
        const std::size_t to = last ? text.size() : uniform(from, text.size());
        const LengthForm form = static_cast<LengthForm>(uniform(0, 2));
        append_client_frame({.opcode = p == 0 ? Opcode::text : Opcode::continuation,
                             .payload = std::string_view(text).substr(from, to - from),
                             .mask_key = uint32_t(rng()),
                             .fin = last,
                             .length_form = (form == LengthForm::wide16 && to - from > 0xFFFF) ? LengthForm::wide64 : form},
                            stream);
        from = to;
        if (!last && uniform(0, 2) == 0) {
          const std::string ping(uniform(0, 125), 'p');
          append_client_frame({.opcode = Opcode::ping, .payload = ping, .mask_key = uint32_t(rng())}, stream);
          want.push_back({WsEventKind::ping, 0, ping});
        }
      }
      want.push_back({WsEventKind::text, 0, text});
    }
    std::vector<std::size_t> cuts;
    std::size_t at = 0;
    while (true) {
      at += uniform(1, 3000);
      if (at >= stream.size()) break;
      cuts.push_back(at);
    }
    ReadResult last;
    const std::vector<Seen> seen = feed_cut(stream, cuts, &last, kMax);
    ASSERT_EQ(seen, want);
    EXPECT_EQ(last, ReadResult::ok);
  }
}

}  // namespace
}  // namespace chatd::ws
