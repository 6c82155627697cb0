// loadgen's WebSocket wire (--ws), checked against chatd's own server-side code
// where it exists: the upgrade request goes through chatd's HTTP parser and
// ws::accept_handshake, loadgen's client frames through chatd's FrameDecoder
// (which refuses an unmasked one), and server frames are built with chatd's
// encoder. Every stream is decoded whole, split in two at every byte, and byte
// by byte, with the same events and replies each way.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "auth/verifier.h"
#include "common/clock.h"
#include "http/request_head.h"
#include "http/router.h"
#include "loadgen/wire/chatd_ws_wire.h"
#include "loadgen/wire/wire_event_log.h"
#include "loadgen/wire/ws_server_reader.h"
#include "loadgen/wire/ws_upgrade.h"
#include "proto/line_framer.h"
#include "ws/client_frame.h"
#include "ws/frame_decoder.h"
#include "ws/frame_encoder.h"
#include "ws/handshake.h"

namespace chatd::loadgen {
namespace {

// The reactor's receive buffers are followed by this much readable padding.
constexpr std::size_t kPadding = 64;

// Client frames as chatd's decoder sees them: "text {...}", "pong p", "close 1000".
std::vector<std::string> decode_client_frames(const std::string& bytes) {
  std::vector<std::string> out;
  std::string buf = bytes + std::string(proto::kFramePadding, '\0');
  ws::FrameDecoder decoder(65536);
  std::size_t at = 0;
  while (at < bytes.size()) {
    const ws::DecodeStep step = decoder.decode(buf.data() + at, bytes.size() - at);
    if (step.status != ws::DecodeStatus::event && step.status != ws::DecodeStatus::fragment) {
      out.push_back("undecodable");
      break;
    }
    at += step.consumed;
    if (step.status == ws::DecodeStatus::fragment) continue;
    const ws::WsEvent& e = step.event;
    switch (e.kind) {
      case ws::WsEventKind::text: out.push_back("text " + std::string(e.payload)); break;
      case ws::WsEventKind::ping: out.push_back("ping " + std::string(e.payload)); break;
      case ws::WsEventKind::pong: out.push_back("pong " + std::string(e.payload)); break;
      case ws::WsEventKind::close: out.push_back("close " + std::to_string(e.code)); break;
      case ws::WsEventKind::error: out.push_back("refused " + std::to_string(e.code) + " " + std::string(e.why)); break;
    }
  }
  return out;
}

// The Sec-WebSocket-Key of an upgrade request, and chatd's answer to it.
struct Upgrade {
  std::string key;
  http::Reply reply;
};

Upgrade answer_upgrade(const std::string& request) {
  http::RequestHeadParser parser;
  const http::HeadParse p = parser.parse(request);
  EXPECT_EQ(p.status, http::HeadStatus::complete) << p.error;
  EXPECT_EQ(p.consumed, request.size()) << "the request is the head alone: no frame before the 101";
  EXPECT_EQ(http::route(p.head).kind, http::RouteKind::websocket);
  return {std::string(p.head.ws_key), ws::accept_handshake(p.head)};
}

std::string server_frame(ws::Opcode op, std::string_view payload) {
  std::string out;
  ws::append_frame(op, payload, out);
  return out;
}

// A final or non-final unmasked frame with a 7-bit length.
std::string raw_frame(uint8_t first_byte, std::string_view payload) {
  std::string out{char(first_byte), char(payload.size())};
  return out + std::string(payload);
}

// ---------------------------------------------------------------- the upgrade

TEST(WsUpgrade, KeysHaveTheRfcShapeAndDiffer) {
  const std::string a = websocket_key(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
  EXPECT_TRUE(ws::is_valid_client_key(a)) << a;
  EXPECT_EQ(websocket_key(0, 0), "AAAAAAAAAAAAAAAAAAAAAA==");
  EXPECT_NE(a, websocket_key(0x0123456789abcdefULL, 0xfedcba9876543211ULL));
}

TEST(WsUpgrade, ChatdAcceptsTheRequestAndLoadgenAcceptsTheAnswer) {
  std::string request;
  append_upgrade_request(request, "127.0.0.1:7000", "dGhlIHNhbXBsZSBub25jZQ==");
  const Upgrade up = answer_upgrade(request);
  EXPECT_EQ(up.key, "dGhlIHNhbXBsZSBub25jZQ==");
  ASSERT_EQ(up.reply.status, 101) << up.reply.bytes;
  const std::string stream = up.reply.bytes + "frames";
  const UpgradeVerdict v = check_upgrade_response(stream, up.key);
  ASSERT_EQ(v.status, UpgradeVerdict::Status::accepted) << v.code;
  EXPECT_EQ(v.head_size, up.reply.bytes.size());
  for (std::size_t cut = 0; cut < up.reply.bytes.size(); ++cut)
    ASSERT_EQ(check_upgrade_response(std::string_view(stream).substr(0, cut), up.key).status,
              UpgradeVerdict::Status::need_more)
        << "cut at " << cut;
  EXPECT_EQ(check_upgrade_response(up.reply.bytes, "x3JJHMbDL1EzLkh9GBhXDw==").code, "ws_bad_accept");
}

TEST(WsUpgrade, RefusalsNameWhatWasWrong) {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  const std::string accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
  auto code = [&](const std::string& head) { return check_upgrade_response(head, key).code; };
  EXPECT_EQ(code("HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n"), "ws_upgrade_status_501");
  EXPECT_EQ(code("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n"), "ws_upgrade_status_426");
  EXPECT_EQ(code("SSH-2.0-OpenSSH\r\n\r\n"), "ws_bad_upgrade_response");
  EXPECT_EQ(code("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n" + accept + "\r\n"),
            "ws_bad_upgrade_response")
      << "no Upgrade: websocket";
  EXPECT_EQ(code("HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n" +
                 accept + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"),
            "ws_unrequested_extension");
  EXPECT_EQ(check_upgrade_response("HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
                                   "connection: keep-alive, upgrade\r\n" + accept + "\r\n",
                                   key)
                .status,
            UpgradeVerdict::Status::accepted)
      << "names and tokens are case-insensitive";
  EXPECT_EQ(code(std::string(kMaxUpgradeResponseHead + 1, 'x')), "ws_upgrade_head_too_large");
  EXPECT_EQ(code("HTTP/1.1 101 OK\r\nX: " + std::string(kMaxUpgradeResponseHead, 'x') + "\r\n\r\n"),
            "ws_upgrade_head_too_large");
}

// ---------------------------------------------------------------- server frames

struct ReadLog {
  std::string messages;
  std::string error;
};

// Feeds `pieces` (each followed by receive padding) and records every message.
ReadLog read_frames(const std::vector<std::string>& pieces) {
  ServerFrameReader reader;
  ReadLog log;
  for (const std::string& piece : pieces) {
    const std::string padded = piece + std::string(kPadding, '\0');
    const std::string_view err = reader.feed(std::string_view(padded.data(), piece.size()), [&](const ServerMessage& m) {
      static const char* names[] = {"cont", "text", "binary", "?", "?", "?", "?", "?", "close", "ping", "pong"};
      log.messages += names[int(m.opcode)];
      if (m.opcode == ws::Opcode::close) log.messages += " " + std::to_string(m.close_code);
      log.messages += " [" + std::string(m.payload) + "]\n";
      return true;
    });
    if (!err.empty()) {
      log.error = std::string(err);
      break;
    }
  }
  return log;
}

// Whole, split in two at every byte, and byte by byte: the same messages.
void expect_read_at_every_split(const std::string& stream, const ReadLog& want) {
  ReadLog got = read_frames({stream});
  EXPECT_EQ(got.messages, want.messages);
  EXPECT_EQ(got.error, want.error);
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    got = read_frames({stream.substr(0, cut), stream.substr(cut)});
    ASSERT_EQ(got.messages, want.messages) << "split at " << cut;
    ASSERT_EQ(got.error, want.error) << "split at " << cut;
  }
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  got = read_frames(bytes);
  EXPECT_EQ(got.messages, want.messages) << "byte by byte";
  EXPECT_EQ(got.error, want.error) << "byte by byte";
}

TEST(ServerFrameReader, EveryLengthFormFragmentsAndControlFramesAtEverySplit) {
  const std::string medium(300, 'm');  // 16-bit length
  const std::string stream = server_frame(ws::Opcode::text, "{\"ev\":\"a\"}") + server_frame(ws::Opcode::text, medium) +
                             server_frame(ws::Opcode::ping, "p1") + raw_frame(0x01, "frag") +  // text, not final
                             server_frame(ws::Opcode::ping, "p2") + raw_frame(0x00, "men") +   // continuation
                             raw_frame(0x80, "ted") +                                          // final continuation
                             server_frame(ws::Opcode::text, "") + server_frame(ws::Opcode::pong, "") +
                             server_frame(ws::Opcode::binary, "b") + std::string{char(0x88), 0} +
                             server_frame(ws::Opcode::text, "after close");
  expect_read_at_every_split(stream, {"text [{\"ev\":\"a\"}]\ntext [" + medium +
                                          "]\nping [p1]\nping [p2]\ntext [fragmented]\ntext []\n"
                                          "pong []\nbinary [b]\nclose 1005 []\n",
                                      ""});
}

// A 64-bit length (too long to split at every byte here): whole, cut inside its
// header and inside its payload, and in 997-byte chunks.
TEST(ServerFrameReader, A64BitLengthFrameInPieces) {
  const std::string large(70'000, 'L');
  const std::string stream = server_frame(ws::Opcode::text, large) + server_frame(ws::Opcode::text, "next");
  const std::string want = "text [" + large + "]\ntext [next]\n";
  EXPECT_EQ(read_frames({stream}).messages, want);
  for (std::size_t cut : {1, 2, 5, 9, 10, 11, 40'000, 70'009, 70'010, 70'011}) {
    EXPECT_EQ(read_frames({stream.substr(0, cut), stream.substr(cut)}).messages, want) << "split at " << cut;
  }
  std::vector<std::string> chunks;
  for (std::size_t at = 0; at < stream.size(); at += 997) chunks.push_back(stream.substr(at, 997));
  EXPECT_EQ(read_frames(chunks).messages, want);
}

TEST(ServerFrameReader, CloseCarriesItsCodeAndReason) {
  std::string close;
  ws::append_close_frame(1008, "slow consumer", close);
  expect_read_at_every_split(close, {"close 1008 [slow consumer]\n", ""});
}

TEST(ServerFrameReader, RefusesWhatAServerMustNotSend) {
  auto error_of = [](const std::string& stream) { return read_frames({stream}).error; };
  EXPECT_EQ(error_of(ws::client_frame(ws::Opcode::text, "masked")), "ws_masked_server_frame");
  EXPECT_EQ(error_of(raw_frame(0xC1, "x")), "ws_reserved_bits");
  EXPECT_EQ(error_of(raw_frame(0x83, "x")), "ws_bad_opcode");
  EXPECT_EQ(error_of(raw_frame(0x09, "x")), "ws_bad_control_frame") << "a fragmented ping";
  EXPECT_EQ(error_of(std::string{char(0x89), 126, 0, 126} + std::string(126, 'p')), "ws_bad_control_frame");
  EXPECT_EQ(error_of(raw_frame(0x80, "x")), "ws_bad_continuation");
  EXPECT_EQ(error_of(raw_frame(0x01, "a") + raw_frame(0x81, "b")), "ws_bad_fragmentation");
  EXPECT_EQ(error_of(raw_frame(0x88, "x")), "ws_bad_close");
  EXPECT_EQ(error_of(std::string{char(0x81), 127, char(0x80), 0, 0, 0, 0, 0, 0, 0}), "ws_bad_length");
  std::string huge{char(0x81), 127, 0, 0, 0, 0, 0, 0x20, 0, 0};  // 2 MiB
  EXPECT_EQ(error_of(huge), "server_frame_too_large") << "refused from the header";
  std::string fragments = raw_frame(0x01, "x");
  for (std::size_t n = 0; n <= kMaxServerFrame / 65535; ++n) {
    fragments += std::string{char(0x00), 126, char(0xFF), char(0xFF)};
    fragments += std::string(65535, 'f');
  }
  EXPECT_EQ(error_of(fragments), "server_frame_too_large") << "counted over the fragments";
  // Nothing is read after an error, even a valid frame.
  EXPECT_EQ(read_frames({raw_frame(0xC1, "x"), server_frame(ws::Opcode::text, "t")}).messages, "");
}

// ---------------------------------------------------------------- the session

struct SessionRun {
  std::string events;
  std::vector<std::string> replies;  // the client frames loadgen sent back, decoded by chatd
  std::string error;
};

SessionRun run_session(WireSession& s, const std::vector<std::string>& pieces) {
  SessionRun run;
  WireEventLog rec;
  std::string reply;
  for (const std::string& piece : pieces) {
    const std::string padded = piece + std::string(kPadding, '\0');
    const std::string_view err = s.feed(std::string_view(padded.data(), piece.size()), rec, reply);
    if (!err.empty()) {
      run.error = std::string(err);
      break;
    }
  }
  run.events = rec.log;
  run.replies = decode_client_frames(reply);
  return run;
}

TEST(ChatdWsWire, GreetsDecodesAnswersPingsAndEchoesTheCloseAtEverySplit) {
  auto wire = make_chatd_ws_wire({}, 42);
  const ClientAddress client{"lg-a-1", "lg-a-r0", "127.0.0.1:7000"};
  std::string request;
  auto probe = wire->open_session(client, request);
  const Upgrade up = answer_upgrade(request);
  ASSERT_EQ(up.reply.status, 101);
  const std::string long_text(200, 'x');  // a 16-bit length
  const std::string whisper = R"({"ev":"whisper","from":"b","text":"x","id":"1.3.0","ts":78})";
  const std::string stream =
      up.reply.bytes + server_frame(ws::Opcode::text, R"({"ev":"welcome","user":"lg-a-1","shard":0,"shards":2})") +
      server_frame(ws::Opcode::text, R"({"ev":"joined","room":"lg-a-r0","members":1,"seq":4,"epoch":9})") +
      server_frame(ws::Opcode::text, R"({"ev":"msg","room":"lg-a-r0","from":"a","text":")" + long_text +
                                         R"(","seq":5,"id":"1.0.0","ts":77})") +
      server_frame(ws::Opcode::ping, "p1") + raw_frame(0x01, whisper.substr(0, 20)) +
      server_frame(ws::Opcode::ping, "p2") + raw_frame(0x80, whisper.substr(20)) +
      server_frame(ws::Opcode::text, R"({"ev":"error","code":"rate_limited","msg":"slow","op":"msg"})") +
      server_frame(ws::Opcode::text, "not json") + server_frame(ws::Opcode::binary, "b") +
      server_frame(ws::Opcode::close, std::string{char(1000 >> 8), char(1000 & 0xFF)}) +
      server_frame(ws::Opcode::text, R"({"ev":"msg","seq":6,"id":"1.0.1","ts":1})");  // after the close: unread
  const std::string want_events =
      "info shards=2\nready last_seq=4\nroom id=1.0.0 ts=77 seq=5\ndirect id=1.3.0 ts=78\n"
      "error code=rate_limited op=msg\ngarbled code=bad_server_json\ngarbled code=ws_binary_message\n";
  const std::vector<std::string> want_replies = {R"(text {"op":"hello","user":"lg-a-1"})",
                                                 R"(text {"op":"join","room":"lg-a-r0"})", "pong p1", "pong p2",
                                                 "close 1000"};
  // Each session needs its own upgrade, answered for its own key.
  auto fresh = [&](std::string& head) {
    std::string req;
    auto s = wire->open_session(client, req);
    const Upgrade u = answer_upgrade(req);
    head = u.reply.bytes;
    return s;
  };
  auto with_head = [&](const std::string& head) { return head + stream.substr(up.reply.bytes.size()); };

  SessionRun whole = run_session(*probe, {stream});
  EXPECT_EQ(whole.events, want_events);
  EXPECT_EQ(whole.replies, want_replies);
  EXPECT_EQ(whole.error, "");
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    std::string head;
    auto s = fresh(head);
    const std::string mine = with_head(head);
    const SessionRun split = run_session(*s, {mine.substr(0, cut), mine.substr(cut)});
    ASSERT_EQ(split.events, want_events) << "split at " << cut;
    ASSERT_EQ(split.replies, want_replies) << "split at " << cut;
  }
  std::string head;
  auto s = fresh(head);
  std::vector<std::string> bytes;
  for (char c : with_head(head)) bytes.emplace_back(1, c);
  const SessionRun byte_by_byte = run_session(*s, bytes);
  EXPECT_EQ(byte_by_byte.events, want_events);
  EXPECT_EQ(byte_by_byte.replies, want_replies);
}

TEST(ChatdWsWire, NothingButTheUpgradeIsSentBeforeThe101) {
  auto wire = make_chatd_ws_wire({}, 7);
  std::string out;
  auto s = wire->open_session({"u1", "r", "10.0.0.1:7001"}, out);
  EXPECT_EQ(out.rfind("GET /ws HTTP/1.1\r\nHost: 10.0.0.1:7001\r\n", 0), 0u) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
  WireEventLog rec;
  std::string reply;
  EXPECT_EQ(s->feed("HTTP/1.1 101 Switching", rec, reply), "");
  EXPECT_TRUE(reply.empty()) << "the greeting waits for the whole 101";
}

TEST(ChatdWsWire, HelloCarriesATokenChatdsVerifierAccepts) {
  const std::string secret = "loadgen-test-key-0123456789-0123456789";
  auto wire = make_chatd_ws_wire(secret, 11);
  std::string request;
  auto s = wire->open_session({"lg-a-9", "lg-a-r1", "h:1"}, request);
  const SessionRun run = run_session(*s, {answer_upgrade(request).reply.bytes});
  ASSERT_EQ(run.replies.size(), 2u);
  EXPECT_EQ(run.replies[1], R"(text {"op":"join","room":"lg-a-r1"})");
  const std::string prefix = R"(text {"op":"hello","user":"lg-a-9","token":")";
  ASSERT_EQ(run.replies[0].rfind(prefix, 0), 0u) << run.replies[0];
  const std::string token = run.replies[0].substr(prefix.size(), run.replies[0].size() - prefix.size() - 2);
  auto verifier = auth::Verifier::create(secret);
  ASSERT_TRUE(verifier.ok());
  const int64_t now = wall_clock_micros() / 1'000'000;
  EXPECT_TRUE(verifier->verify(token, "lg-a-9", now).ok()) << token;
  EXPECT_EQ(verifier->verify(token, "lg-a-1", now).error, auth::TokenError::wrong_user);
}

TEST(ChatdWsWire, MessagesAreMaskedTextFramesChatdDecodesToTheJsonLine) {
  auto wire = make_chatd_ws_wire({}, 3);
  std::string out;
  wire->append_message(out, wire->message_head(MessageKind::room, "r", "say \"hi\""), {}, {1, 2, 3}, 123456789);
  const MessageHead whisper = wire->message_head(MessageKind::whisper, "r", "psst");
  wire->append_message(out, whisper, "bob", {1, 0, 0}, 5);
  wire->append_message(out, whisper, "carol", {1, 0, 1}, 6);
  EXPECT_EQ(decode_client_frames(out),
            (std::vector<std::string>{
                R"(text {"op":"msg","room":"r","text":"say \"hi\"","id":"1.2.3","ts":123456789})",
                R"(text {"op":"whisper","text":"psst","to":"bob","id":"1.0.0","ts":5})",
                R"(text {"op":"whisper","text":"psst","to":"carol","id":"1.0.1","ts":6})"}));
  // A fresh masking key per frame: the same JSON twice is not the same bytes twice.
  std::string a, b;
  wire->append_message(a, whisper, "bob", {1, 0, 0}, 5);
  wire->append_message(b, whisper, "bob", {1, 0, 0}, 5);
  EXPECT_NE(a, b);
  EXPECT_EQ(decode_client_frames(a), decode_client_frames(b));
  EXPECT_FALSE(wire->answers_in_order(MessageKind::room));
  EXPECT_FALSE(wire->answers_in_order(MessageKind::whisper));
}

TEST(ChatdWsWire, ARefusedUpgradeBreaksTheStreamAtEverySplit) {
  auto wire = make_chatd_ws_wire({}, 5);
  const std::string answer = "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  for (std::size_t cut = 1; cut < answer.size(); ++cut) {
    std::string out;
    auto s = wire->open_session({"u", "r", "h:1"}, out);
    const SessionRun run = run_session(*s, {answer.substr(0, cut), answer.substr(cut)});
    ASSERT_EQ(run.error, "ws_upgrade_status_501") << "split at " << cut;
    ASSERT_TRUE(run.replies.empty()) << "no greeting after a refusal";
  }
}

TEST(ChatdWsWire, AnAbnormalCloseIsReportedAndEchoed) {
  auto wire = make_chatd_ws_wire({}, 9);
  std::string request;
  auto s = wire->open_session({"u", "r", "h:1"}, request);
  std::string close;
  ws::append_close_frame(1008, "slow_consumer", close);
  const SessionRun run = run_session(*s, {answer_upgrade(request).reply.bytes + close});
  EXPECT_EQ(run.events, "error code=ws_close_1008\n");
  ASSERT_EQ(run.replies.size(), 3u);
  EXPECT_EQ(run.replies[2], "close 1008");
}

}  // namespace
}  // namespace chatd::loadgen
