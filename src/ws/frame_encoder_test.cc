// Server frames: exact header bytes at each length boundary, a header prepended in the
// headroom before a payload (the broadcast path: one contiguous frame), and close frames
// whose reason is cut to 125 bytes between UTF-8 characters. Frames are read back with a
// small independent reader written from RFC 6455 §5.2, not with the server's decoder.
#include "ws/frame_encoder.h"

#include <gtest/gtest.h>

#include <simdjson.h>

#include <cstdint>
#include <string>

namespace chatd::ws {
namespace {

struct ServerFrame {
  bool fin;
  bool masked;
  uint8_t rsv;
  uint8_t opcode;
  uint64_t length;
  std::string payload;
  std::size_t size;  // header + payload
};

ServerFrame read_server_frame(std::string_view bytes) {
  ServerFrame f{};
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  f.fin = b[0] >> 7;
  f.rsv = (b[0] >> 4) & 7;
  f.opcode = b[0] & 0xF;
  f.masked = b[1] >> 7;
  std::size_t n = 2;
  f.length = b[1] & 0x7F;
  if (f.length == 126) {
    f.length = (uint64_t(b[2]) << 8) | b[3];
    n = 4;
  } else if (f.length == 127) {
    f.length = 0;
    for (int i = 0; i < 8; ++i) f.length = (f.length << 8) | b[2 + i];
    n = 10;
  }
  f.payload = std::string(bytes.substr(n, f.length));
  f.size = n + f.length;
  return f;
}

TEST(FrameEncoder, HeaderSizesAtEachBoundary) {
  EXPECT_EQ(frame_header_size(0), 2u);
  EXPECT_EQ(frame_header_size(125), 2u);
  EXPECT_EQ(frame_header_size(126), 4u);
  EXPECT_EQ(frame_header_size(65535), 4u);
  EXPECT_EQ(frame_header_size(65536), 10u);
}

TEST(FrameEncoder, ExactHeaderBytes) {
  char h[kMaxServerHeader];
  ASSERT_EQ(write_frame_header(Opcode::text, 5, h), 2u);
  EXPECT_EQ(std::string(h, 2), "\x81\x05");
  ASSERT_EQ(write_frame_header(Opcode::text, 126, h), 4u);
  EXPECT_EQ(std::string(h, 4), std::string("\x81\x7E\x00\x7E", 4));
  ASSERT_EQ(write_frame_header(Opcode::text, 65535, h), 4u);
  EXPECT_EQ(std::string(h, 4), std::string("\x81\x7E\xFF\xFF", 4));
  ASSERT_EQ(write_frame_header(Opcode::pong, 65536, h), 10u);
  EXPECT_EQ(std::string(h, 10), std::string("\x8A\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10));
}

TEST(FrameEncoder, FramesReadBackWithEveryLength) {
  for (std::size_t len : {0, 1, 125, 126, 127, 1000, 65535, 65536, 100000}) {
    SCOPED_TRACE(len);
    std::string payload(len, 'a');
    for (std::size_t i = 0; i < len; ++i) payload[i] = char('a' + i % 26);
    std::string out = "prefix";
    append_frame(Opcode::text, payload, out);
    ASSERT_EQ(out.substr(0, 6), "prefix");
    const ServerFrame f = read_server_frame(std::string_view(out).substr(6));
    EXPECT_TRUE(f.fin);
    EXPECT_FALSE(f.masked);  // server frames are never masked: identical for every receiver
    EXPECT_EQ(f.rsv, 0);
    EXPECT_EQ(f.opcode, 0x1);
    EXPECT_EQ(f.length, len);
    EXPECT_EQ(f.payload, payload);
    EXPECT_EQ(f.size, out.size() - 6);
  }
}

TEST(FrameEncoder, AHeaderPrependedInTheHeadroomMakesOneContiguousFrame) {
  // The broadcast path: an event's JSON line sits after kMaxServerHeader spare bytes;
  // the frame is the header written just before it plus the line minus its newline.
  const std::string line = "{\"ev\":\"msg\",\"room\":\"lobby\",\"from\":\"a\",\"text\":\"hi\",\"seq\":1}\n";
  std::string storage(kMaxServerHeader, '?');
  storage += line;
  char* payload = storage.data() + kMaxServerHeader;
  const std::size_t payload_len = line.size() - 1;
  char* start = prepend_frame_header(Opcode::text, payload, payload_len);
  EXPECT_EQ(start, payload - 2);
  const std::string_view framed(start, payload + payload_len - start);
  const ServerFrame f = read_server_frame(framed);
  EXPECT_EQ(f.size, framed.size());
  EXPECT_EQ(f.payload, line.substr(0, line.size() - 1));
  // Same bytes as framing it by appending.
  std::string appended;
  append_frame(Opcode::text, line.substr(0, line.size() - 1), appended);
  EXPECT_EQ(framed, appended);

  const std::string big(70000, 'b');
  std::string storage2(kMaxServerHeader, '?');
  storage2 += big;
  char* start2 = prepend_frame_header(Opcode::text, storage2.data() + kMaxServerHeader, big.size());
  EXPECT_EQ(start2, storage2.data());  // the widest header uses all the headroom
  EXPECT_EQ(read_server_frame(storage2).payload, big);
}

TEST(FrameEncoder, CloseFrames) {
  std::string out;
  append_close_frame(close_code::going_away, "server_shutdown", out);
  ServerFrame f = read_server_frame(out);
  EXPECT_EQ(f.opcode, 0x8);
  EXPECT_EQ(f.payload, std::string("\x03\xE9", 2) + "server_shutdown");

  out.clear();
  append_close_frame(close_code::no_status, "ignored", out);
  EXPECT_EQ(out, std::string("\x88\x00", 2));  // echo of a close that had no code

  out.clear();
  append_close_frame(close_code::normal, {}, out);
  EXPECT_EQ(out, std::string("\x88\x02\x03\xE8", 4));
}

TEST(FrameEncoder, ALongCloseReasonIsCutBetweenCharacters) {
  // 'é' is 2 bytes: 61 of them are 122 bytes, and the 62nd would end at 124 > 123.
  std::string reason;
  for (int i = 0; i < 70; ++i) reason += "\xC3\xA9";
  std::string out;
  append_close_frame(close_code::policy_violation, reason, out);
  const ServerFrame f = read_server_frame(out);
  ASSERT_LE(f.payload.size(), kMaxControlPayload);
  EXPECT_EQ(f.payload.size(), 2u + 122u);
  const std::string kept = f.payload.substr(2);
  EXPECT_TRUE(simdjson::validate_utf8(kept.data(), kept.size()));
  EXPECT_EQ(kept, reason.substr(0, 122));

  out.clear();
  append_close_frame(close_code::policy_violation, std::string(300, 'r'), out);
  EXPECT_EQ(read_server_frame(out).payload.size(), kMaxControlPayload);
}

}  // namespace
}  // namespace chatd::ws
