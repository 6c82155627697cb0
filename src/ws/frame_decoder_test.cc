// FrameDecoder: one test per refusal and close code path (1002 in each of its forms,
// 1003, 1007, 1009), the 7/16/64-bit length forms, reassembly with control frames between
// fragments, the close frame's code and reason, how many bytes "need more" asks for, and
// the masking helper against a byte-by-byte reference at every alignment.
#include "ws/frame_decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "proto/line_framer.h"
#include "ws/client_frame.h"
#include "ws/mask.h"

namespace chatd::ws {
namespace {

struct Seen {
  WsEventKind kind;
  uint16_t code;
  std::string payload;
};

struct Outcome {
  std::vector<Seen> events;
  DecodeStatus last = DecodeStatus::need_more;
  std::size_t needed = 0;
  std::size_t consumed = 0;  // bytes taken in total
};

// Decodes `bytes` (copied into a buffer with kFramePadding slack) until the decoder needs
// more or stops; records every event.
Outcome decode_all(const std::string& bytes, std::size_t max_message = 65536) {
  auto buf = std::make_unique<char[]>(bytes.size() + proto::kFramePadding);
  if (!bytes.empty()) std::memcpy(buf.get(), bytes.data(), bytes.size());
  FrameDecoder decoder(max_message);
  Outcome out;
  std::size_t pos = 0;
  for (;;) {
    const DecodeStep step = decoder.decode(buf.get() + pos, bytes.size() - pos);
    out.last = step.status;
    if (step.status == DecodeStatus::need_more) {
      out.needed = step.needed;
      break;
    }
    if (step.status == DecodeStatus::stopped) break;
    pos += step.consumed;
    if (step.status == DecodeStatus::event) {
      out.events.push_back({step.event.kind, step.event.code, std::string(step.event.payload)});
      if (step.event.kind == WsEventKind::error) {
        EXPECT_FALSE(step.event.why.empty());
      }
    }
  }
  out.consumed = pos;
  return out;
}

std::string frame(Opcode op, std::string_view payload) { return client_frame(op, payload); }

std::string frame_with(ClientFrame f) {
  std::string out;
  append_client_frame(f, out);
  return out;
}

// The bytes end in exactly one error event with `code`.
void expect_refused(const std::string& bytes, uint16_t code, std::size_t max_message = 65536) {
  const Outcome o = decode_all(bytes, max_message);
  ASSERT_FALSE(o.events.empty());
  EXPECT_EQ(o.events.back().kind, WsEventKind::error);
  EXPECT_EQ(o.events.back().code, code);
  EXPECT_EQ(o.last, DecodeStatus::stopped);  // nothing is decoded after an error
}

TEST(FrameDecoder, OneTextFrame) {
  const std::string bytes = frame(Opcode::text, R"({"op":"ping"})");
  const Outcome o = decode_all(bytes);
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_EQ(o.events[0].kind, WsEventKind::text);
  EXPECT_EQ(o.events[0].payload, R"({"op":"ping"})");
  EXPECT_EQ(o.consumed, bytes.size());
  EXPECT_EQ(o.last, DecodeStatus::need_more);
  EXPECT_EQ(o.needed, 2u);  // the next frame's first two bytes
}

TEST(FrameDecoder, TheTextIsAViewOfTheBufferUnmaskedInPlace) {
  std::string bytes = frame(Opcode::text, "hello");
  FrameDecoder decoder(100);
  const DecodeStep step = decoder.decode(bytes.data(), bytes.size());
  ASSERT_EQ(step.status, DecodeStatus::event);
  EXPECT_EQ(step.event.payload.data(), bytes.data() + 6);  // 2 header + 4 key
  EXPECT_EQ(bytes.substr(6), "hello");
}

TEST(FrameDecoder, EveryLengthForm) {
  for (std::size_t len : {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
    SCOPED_TRACE(len);
    const std::string payload(len, 'x');
    Outcome o = decode_all(frame(Opcode::text, payload), 100000);
    ASSERT_EQ(o.events.size(), 1u);
    EXPECT_EQ(o.events[0].payload, payload);
    // Wider forms than needed are accepted (the RFC asks senders for the minimal one).
    for (LengthForm form : {LengthForm::wide16, LengthForm::wide64}) {
      if (form == LengthForm::wide16 && len > 0xFFFF) continue;
      o = decode_all(frame_with({.payload = payload, .length_form = form}), 100000);
      ASSERT_EQ(o.events.size(), 1u);
      EXPECT_EQ(o.events[0].payload, payload);
    }
  }
}

TEST(FrameDecoder, A64BitLengthIsJudgedFromItsHeader) {
  // Header only, no key or payload yet: a length of 2^32 is refused at once (1009)...
  std::string huge = "\x81\xFF";
  for (int i = 0; i < 8; ++i) huge += char(i == 3 ? 1 : 0);  // 2^32
  expect_refused(huge, close_code::too_big);
  // ...and one with the top bit set is malformed (1002).
  std::string top = "\x81\xFF\x80";
  top += std::string(7, '\0');
  expect_refused(top, close_code::protocol_error);
}

TEST(FrameDecoder, UnmaskedClientFrameIs1002) {
  expect_refused(frame_with({.payload = "hi", .masked = false}), close_code::protocol_error);
}

TEST(FrameDecoder, ReservedBitsAre1002) {
  for (uint8_t rsv = 1; rsv <= 7; ++rsv) {
    SCOPED_TRACE(int(rsv));
    expect_refused(frame_with({.payload = "hi", .rsv = rsv}), close_code::protocol_error);
  }
}

TEST(FrameDecoder, ReservedOpcodesAre1002) {
  for (uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    SCOPED_TRACE(int(op));
    expect_refused(frame_with({.opcode = static_cast<Opcode>(op), .payload = "x"}), close_code::protocol_error);
  }
}

TEST(FrameDecoder, ControlFramesAreShortAndWhole) {
  expect_refused(frame_with({.opcode = Opcode::ping, .payload = "p", .fin = false}), close_code::protocol_error);
  expect_refused(frame_with({.opcode = Opcode::close, .payload = "", .fin = false}), close_code::protocol_error);
  expect_refused(frame(Opcode::ping, std::string(126, 'p')), close_code::protocol_error);
  // 125 is the limit, and the 16-bit form of a short length is still over it.
  const Outcome ok = decode_all(frame(Opcode::ping, std::string(125, 'p')));
  ASSERT_EQ(ok.events.size(), 1u);
  EXPECT_EQ(ok.events[0].kind, WsEventKind::ping);
  expect_refused(frame_with({.opcode = Opcode::ping, .payload = "p", .length_form = LengthForm::wide16}),
                 close_code::protocol_error);
}

TEST(FrameDecoder, FragmentationOrderIsChecked) {
  expect_refused(frame(Opcode::continuation, "orphan"), close_code::protocol_error);
  const std::string open = frame_with({.payload = "part", .fin = false});
  expect_refused(open + frame(Opcode::text, "new"), close_code::protocol_error);
  expect_refused(open + frame(Opcode::binary, "new"), close_code::protocol_error);
}

TEST(FrameDecoder, BinaryIs1003FromItsHeader) {
  expect_refused(frame(Opcode::binary, "\x01\x02"), close_code::unsupported_data);
  expect_refused(std::string("\x82\x85"), close_code::unsupported_data);  // before key and payload
  expect_refused(frame_with({.opcode = Opcode::binary, .payload = "a", .fin = false}), close_code::unsupported_data);
}

TEST(FrameDecoder, FragmentsAreReassembledAroundControlFrames) {
  const std::string bytes = frame_with({.payload = "Hel", .fin = false}) + frame(Opcode::ping, "p1") +
                            frame_with({.opcode = Opcode::continuation, .payload = "", .fin = false}) +
                            frame_with({.opcode = Opcode::continuation, .payload = "lo", .fin = false}) +
                            frame(Opcode::pong, "p2") + frame(Opcode::continuation, " world") +
                            frame(Opcode::text, "next");
  const Outcome o = decode_all(bytes);
  ASSERT_EQ(o.events.size(), 4u);
  EXPECT_EQ(o.events[0].kind, WsEventKind::ping);
  EXPECT_EQ(o.events[0].payload, "p1");
  EXPECT_EQ(o.events[1].kind, WsEventKind::pong);
  EXPECT_EQ(o.events[1].payload, "p2");
  EXPECT_EQ(o.events[2].kind, WsEventKind::text);
  EXPECT_EQ(o.events[2].payload, "Hello world");
  EXPECT_EQ(o.events[3].payload, "next");
  EXPECT_EQ(o.consumed, bytes.size());
}

TEST(FrameDecoder, MessageSizeIsBoundedOverItsFragments) {
  expect_refused(frame(Opcode::text, std::string(11, 'x')), close_code::too_big, 10);
  const Outcome exact = decode_all(frame(Opcode::text, std::string(10, 'x')), 10);
  ASSERT_EQ(exact.events.size(), 1u);
  EXPECT_EQ(exact.events[0].kind, WsEventKind::text);
  const std::string six = frame_with({.payload = "123456", .fin = false});
  expect_refused(six + frame(Opcode::continuation, "12345"), close_code::too_big, 10);
  const Outcome fits = decode_all(six + frame(Opcode::continuation, "1234"), 10);
  ASSERT_EQ(fits.events.size(), 1u);
  EXPECT_EQ(fits.events[0].payload, "1234561234");
  // Refused from the header alone: the 11 bytes never have to arrive.
  expect_refused(std::string("\x81\x8B"), close_code::too_big, 10);
}

TEST(FrameDecoder, TextMustBeUtf8) {
  expect_refused(frame(Opcode::text, "bad \xC3\x28"), close_code::invalid_payload);
  expect_refused(frame(Opcode::text, "\xED\xA0\x80"), close_code::invalid_payload);  // a surrogate
  // A character split between fragments is fine once the message is whole...
  const std::string split = frame_with({.payload = "caf\xC3", .fin = false}) + frame(Opcode::continuation, "\xA9");
  const Outcome o = decode_all(split);
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_EQ(o.events[0].payload, "caf\xC3\xA9");
  // ...and a message that is not is refused when it completes.
  expect_refused(frame_with({.payload = "caf\xC3", .fin = false}) + frame(Opcode::continuation, "x"),
                 close_code::invalid_payload);
}

std::string close_payload(uint16_t code, std::string_view reason = {}) {
  std::string p;
  p += char(code >> 8);
  p += char(code & 0xFF);
  p += reason;
  return p;
}

TEST(FrameDecoder, CloseCarriesItsCodeAndReason) {
  Outcome o = decode_all(frame(Opcode::close, close_payload(1000, "bye")) + frame(Opcode::text, "after"));
  ASSERT_EQ(o.events.size(), 1u);  // nothing after the close is decoded
  EXPECT_EQ(o.events[0].kind, WsEventKind::close);
  EXPECT_EQ(o.events[0].code, 1000);
  EXPECT_EQ(o.events[0].payload, "bye");
  EXPECT_EQ(o.last, DecodeStatus::stopped);

  o = decode_all(frame(Opcode::close, ""));
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_EQ(o.events[0].code, close_code::no_status);
}

TEST(FrameDecoder, CloseCodesPeersMayAndMayNotSend) {
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
    SCOPED_TRACE(code);
    const Outcome o = decode_all(frame(Opcode::close, close_payload(code)));
    ASSERT_EQ(o.events.size(), 1u);
    EXPECT_EQ(o.events[0].kind, WsEventKind::close);
    EXPECT_EQ(o.events[0].code, code);
  }
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    SCOPED_TRACE(code);
    expect_refused(frame(Opcode::close, close_payload(code)), close_code::protocol_error);
  }
  expect_refused(frame(Opcode::close, "\x03"), close_code::protocol_error);  // one byte
  expect_refused(frame(Opcode::close, close_payload(1000, "\xFF")), close_code::invalid_payload);
}

TEST(FrameDecoder, NeedMoreSaysHowMany) {
  const std::string payload(300, 'y');
  const std::string bytes = frame(Opcode::text, payload);  // 2 + 2 + 4 header bytes
  auto needed_at = [&](std::size_t have) {
    const Outcome o = decode_all(bytes.substr(0, have));
    EXPECT_TRUE(o.events.empty());
    EXPECT_EQ(o.last, DecodeStatus::need_more);
    return o.needed;
  };
  EXPECT_EQ(needed_at(0), 2u);
  EXPECT_EQ(needed_at(1), 1u);
  EXPECT_EQ(needed_at(2), 2u);  // the 16-bit length
  EXPECT_EQ(needed_at(4), 4u);  // the key
  EXPECT_EQ(needed_at(8), 300u);
  EXPECT_EQ(needed_at(bytes.size() - 1), 1u);
  const std::string wide = frame(Opcode::text, std::string(70000, 'z'));
  EXPECT_EQ(decode_all(wide.substr(0, 2), 100000).needed, 8u);
  EXPECT_EQ(decode_all(wide.substr(0, 10), 100000).needed, 4u);
}

TEST(FrameDecoder, NothingIsDecodedAfterAnError) {
  std::string bytes = frame_with({.payload = "x", .masked = false});
  FrameDecoder decoder(100);
  EXPECT_EQ(decoder.decode(bytes.data(), bytes.size()).event.kind, WsEventKind::error);
  std::string good = frame(Opcode::text, "ok");
  EXPECT_EQ(decoder.decode(good.data(), good.size()).status, DecodeStatus::stopped);
  EXPECT_TRUE(decoder.stopped());
}

// ---- masking ----

TEST(Mask, MatchesTheByteByByteDefinitionAtEveryAlignmentAndLength) {
  const uint32_t key = load_mask_key("\x12\x34\xAB\xCD");
  const unsigned char key_bytes[4] = {0x12, 0x34, 0xAB, 0xCD};
  std::string base(200, '\0');
  for (std::size_t i = 0; i < base.size(); ++i) base[i] = char(i * 7 + 3);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t len = 0; len + offset <= base.size(); ++len) {
      std::string data = base;
      apply_mask(data.data() + offset, len, key);
      for (std::size_t i = 0; i < base.size(); ++i) {
        const char want = (i >= offset && i < offset + len) ? char(base[i] ^ key_bytes[(i - offset) % 4]) : base[i];
        ASSERT_EQ(data[i], want) << "offset " << offset << " len " << len << " byte " << i;
      }
      apply_mask(data.data() + offset, len, key);  // masking twice is the identity
      ASSERT_EQ(data, base);
    }
  }
}

}  // namespace
}  // namespace chatd::ws
