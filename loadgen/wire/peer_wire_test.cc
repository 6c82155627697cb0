// The peers' wire protocols, bytes in and bytes out: RESP3 (Redis) and the NATS
// text protocol. Every decoder test feeds its stream split at every byte, and
// one byte at a time, and must see the same events.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loadgen/wire/frame_buffer.h"
#include "loadgen/wire/nats_wire.h"
#include "loadgen/wire/peer_payload.h"
#include "loadgen/wire/resp_wire.h"
#include "loadgen/wire/wire_event_log.h"
#include "loadgen/wire/wire_protocol.h"

namespace chatd::loadgen {
namespace {

using Recorder = WireEventLog;

struct Decoded {
  std::string events;
  std::string reply;
  std::string error;
};

Decoded decode(WireSession& s, const std::vector<std::string>& pieces) {
  Decoded d;
  Recorder rec;
  for (const std::string& p : pieces) {
    std::string padded = p + std::string(64, '\0');  // the reactor's receive padding
    std::string_view err = s.feed(std::string_view(padded.data(), p.size()), rec, d.reply);
    if (!err.empty()) {
      d.error = std::string(err);
      break;
    }
  }
  d.events = rec.log;
  return d;
}

// Decodes `stream` whole, split in two at every byte, and byte by byte: all the same.
void expect_same_at_every_split(WireProtocol& wire, const std::string& stream, const Decoded& want) {
  auto whole = open_test_session(wire, {"lg-a-1", "lg-a-r0"});
  Decoded got = decode(*whole, {stream});
  EXPECT_EQ(got.events, want.events);
  EXPECT_EQ(got.reply, want.reply);
  EXPECT_EQ(got.error, want.error);
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    auto s = open_test_session(wire, {"lg-a-1", "lg-a-r0"});
    got = decode(*s, {stream.substr(0, cut), stream.substr(cut)});
    ASSERT_EQ(got.events, want.events) << "split at " << cut;
    ASSERT_EQ(got.reply, want.reply) << "split at " << cut;
  }
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  auto s = open_test_session(wire, {"lg-a-1", "lg-a-r0"});
  got = decode(*s, bytes);
  EXPECT_EQ(got.events, want.events) << "byte by byte";
  EXPECT_EQ(got.reply, want.reply) << "byte by byte";
}

std::string payload(MessageId id, Nanos ts, std::string_view text) {
  char head[kPeerPayloadHeadMax];
  return std::string(head, write_peer_payload_head(head, id, ts)) + peer_payload_suffix(text);
}

std::string bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }

TEST(PeerPayload, CarriesIdAndTsFirstAndRoundTrips) {
  const std::string body = payload({3, 1234, 99}, 1'234'567'890'123, "say \"hi\"");
  EXPECT_EQ(body, R"({"id":"3.1234.99","ts":1234567890123,"text":"say \"hi\""})");
  std::string_view id;
  int64_t ts = 0;
  ASSERT_TRUE(parse_peer_payload(body, id, ts));
  EXPECT_EQ(id, "3.1234.99");
  EXPECT_EQ(ts, 1'234'567'890'123);
  EXPECT_FALSE(parse_peer_payload(R"({"ts":1,"id":"1.2.3"})", id, ts));
  EXPECT_FALSE(parse_peer_payload(R"({"id":"1.2.3","ts":x})", id, ts));
  EXPECT_FALSE(parse_peer_payload("hello", id, ts));
  char head[kPeerPayloadHeadMax];
  EXPECT_LE(write_peer_payload_head(head, {UINT32_MAX, UINT32_MAX, UINT32_MAX}, INT64_MIN), kPeerPayloadHeadMax);
}

// ---------------------------------------------------------------- RESP

TEST(RespWire, EncodesHelloSubscribeAndPublish) {
  const std::string hello_subscribe =
      "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*3\r\n$9\r\nSUBSCRIBE\r\n$7\r\nlg-a-r0\r\n$6\r\nlg-a-1\r\n";
  auto quiet = make_wire_protocol(Target::redis, {});
  std::string out;
  quiet->open_session({"lg-a-1", "lg-a-r0"}, out);
  EXPECT_EQ(out, hello_subscribe + "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n");
  EXPECT_FALSE(quiet->answers_in_order(MessageKind::room));
  EXPECT_FALSE(quiet->answers_in_order(MessageKind::whisper));

  auto wire = make_wire_protocol(Target::redis, {.whisper_acks = true});
  out.clear();
  wire->open_session({"lg-a-1", "lg-a-r0"}, out);
  EXPECT_EQ(out, hello_subscribe) << "replies on: each PUBLISH is answered";
  out.clear();
  wire->append_message(out, wire->message_head(MessageKind::room, "lg-a-r0", "hi"), {}, {1, 2, 3}, 99);
  EXPECT_EQ(out, "*3\r\n$7\r\nPUBLISH\r\n$7\r\nlg-a-r0\r\n" + bulk(payload({1, 2, 3}, 99, "hi")));
  out.clear();
  const MessageHead whisper = wire->message_head(MessageKind::whisper, "lg-a-r0", "psst");
  wire->append_message(out, whisper, "lg-a-7", {1, 2, 0}, 5);
  wire->append_message(out, whisper, "lg-a-10", {1, 2, 1}, 6);
  EXPECT_EQ(out, "*3\r\n$7\r\nPUBLISH\r\n$6\r\nlg-a-7\r\n" + bulk(payload({1, 2, 0}, 5, "psst")) +
                     "*3\r\n$7\r\nPUBLISH\r\n$7\r\nlg-a-10\r\n" + bulk(payload({1, 2, 1}, 6, "psst")));
  EXPECT_TRUE(wire->answers_in_order(MessageKind::room));
  EXPECT_TRUE(wire->answers_in_order(MessageKind::whisper));
}

TEST(RespWire, ScansEveryRespType) {
  RespValue v;
  auto scan = [&](std::string_view s) { return scan_resp(s, v); };
  EXPECT_EQ(scan("+OK\r\n").size, 5u);
  EXPECT_EQ(v.text, "OK");
  EXPECT_EQ(scan(":-42\r\n").size, 6u);
  EXPECT_EQ(v.integer, -42);
  EXPECT_EQ(scan("$-1\r\n").size, 5u);
  EXPECT_TRUE(v.null);
  EXPECT_EQ(scan("_\r\n").size, 3u);
  EXPECT_TRUE(v.null);
  EXPECT_EQ(scan("$0\r\n\r\n").size, 6u);
  EXPECT_EQ(scan("=8\r\ntxt:some\r\n").size, 14u);
  EXPECT_EQ(v.text, "some");
  EXPECT_EQ(scan("!9\r\nERR oops!\r\n").size, 15u);
  EXPECT_EQ(v.type, '!');
  EXPECT_EQ(scan(",3.14\r\n#t\r\n").size, 7u) << "one value at a time";
  EXPECT_EQ(scan("(123456789012345678901234567890\r\n").status, FrameScan::Status::frame);
  EXPECT_EQ(scan("*2\r\n*1\r\n:1\r\n%1\r\n+k\r\n~0\r\n").size, 24u);
  EXPECT_EQ(v.count, 2u);
  EXPECT_EQ(scan("|1\r\n+ttl\r\n:3\r\n:7\r\n").size, 18u) << "an attribute and the reply it annotates";
  EXPECT_EQ(v.type, ':');
  EXPECT_EQ(v.integer, 7);
  EXPECT_EQ(scan("*-1\r\n").size, 5u);

  EXPECT_EQ(scan("").status, FrameScan::Status::incomplete);
  EXPECT_EQ(scan("$5\r\nabc").status, FrameScan::Status::incomplete);
  EXPECT_EQ(scan("*2\r\n:1\r\n").status, FrameScan::Status::incomplete);
  EXPECT_EQ(scan(":12\r").status, FrameScan::Status::incomplete);
  EXPECT_EQ(scan("?what\r\n").status, FrameScan::Status::bad);
  EXPECT_EQ(scan(":12\n").status, FrameScan::Status::bad);
  EXPECT_EQ(scan(":x\r\n").status, FrameScan::Status::bad);
  EXPECT_EQ(scan("$-2\r\n").status, FrameScan::Status::bad);
  EXPECT_EQ(scan("$3\r\nabcd\r\n").status, FrameScan::Status::bad);
  EXPECT_EQ(scan("*99999999999\r\n").status, FrameScan::Status::bad);
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  EXPECT_EQ(scan(deep).status, FrameScan::Status::bad) << "nesting is bounded";
}

TEST(RespWire, SessionDecodesRepliesAndPushesWhereverTheyAreSplit) {
  auto wire = make_wire_protocol(Target::redis, {});
  const std::string hello =
      "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"
      "$2\r\nid\r\n:5\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n";
  const std::string stream =
      hello + ">3\r\n$9\r\nsubscribe\r\n$7\r\nlg-a-r0\r\n:1\r\n" + ">3\r\n$9\r\nsubscribe\r\n$6\r\nlg-a-1\r\n:2\r\n" +
      ">3\r\n$7\r\nmessage\r\n$7\r\nlg-a-r0\r\n" + bulk(payload({1, 4, 0}, 1000, "hi")) + ":3\r\n" +
      ">3\r\n$7\r\nmessage\r\n$6\r\nlg-a-1\r\n" + bulk(payload({1, 9, 2}, 2000, std::string(700, 'x'))) +
      ">3\r\n$7\r\nmessage\r\n$7\r\nlg-a-r0\r\n$5\r\nhello\r\n" + ":0\r\n" +
      "-ERR wrong number of arguments for 'publish' command\r\n" + "|1\r\n+ttl\r\n:3\r\n:1\r\n";
  Decoded want;
  want.events =
      "info version=7.0.15\nready\nroom id=1.4.0 ts=1000\naccepted receivers=3\ndirect id=1.9.2 ts=2000\nroom\n"
      "accepted receivers=0\nerror code=redis_err detail=ERR wrong number of arguments for 'publish' command\n"
      "accepted receivers=1\n";
  expect_same_at_every_split(*wire, stream, want);
}

TEST(RespWire, AnErrorBeforeHelloIsAnsweredIsReported) {
  auto wire = make_wire_protocol(Target::redis, {});
  auto s = open_test_session(*wire, {"u", "r"});
  Decoded d = decode(*s, {"-NOPROTO unsupported protocol version\r\n"});
  EXPECT_EQ(d.events, "error code=redis_noproto detail=NOPROTO unsupported protocol version\n");
}

TEST(RespWire, GarbageAndOversizedFramesBreakTheStream) {
  auto wire = make_wire_protocol(Target::redis, {});
  auto s = open_test_session(*wire, {"u", "r"});
  EXPECT_EQ(decode(*s, {"+OK\r\n", "hello\r\n"}).error, "bad_server_frame");
  auto big = open_test_session(*wire, {"u", "r"});
  std::string huge = "$" + std::to_string(kMaxServerFrame + 10) + "\r\n";
  std::vector<std::string> pieces{huge};
  for (std::size_t sent = 0; sent < kMaxServerFrame + 10; sent += 65536) pieces.emplace_back(65536, 'x');
  EXPECT_EQ(decode(*big, pieces).error, "server_frame_too_large");
}

// ---------------------------------------------------------------- NATS

TEST(NatsWire, EncodesConnectSubPingAndPub) {
  auto quiet = make_wire_protocol(Target::nats, {});
  std::string out;
  quiet->open_session({"lg-a-1", "lg-a-r0"}, out);
  EXPECT_EQ(out,
            "CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":true,\"name\":\"loadgen\",\"lang\":\"c++\"}\r\n"
            "SUB lg-a-r0 1\r\nSUB lg-a-1 2\r\nPING\r\n");
  EXPECT_FALSE(quiet->answers_in_order(MessageKind::room));
  EXPECT_FALSE(quiet->answers_in_order(MessageKind::whisper));
  out.clear();
  quiet->append_message(out, quiet->message_head(MessageKind::room, "lg-a-r0", "hi"), {}, {1, 2, 3}, 99);
  const std::string body = payload({1, 2, 3}, 99, "hi");
  EXPECT_EQ(out, "PUB lg-a-r0 " + std::to_string(body.size()) + "\r\n" + body + "\r\n");
  out.clear();
  quiet->append_message(out, quiet->message_head(MessageKind::whisper, "lg-a-r0", "hi"), "lg-a-7", {1, 2, 3}, 99);
  EXPECT_EQ(out, "PUB lg-a-7 " + std::to_string(body.size()) + "\r\n" + body + "\r\n");

  auto verbose = make_wire_protocol(Target::nats, {.whisper_acks = true});
  out.clear();
  verbose->open_session({"lg-a-1", "lg-a-r0"}, out);
  EXPECT_EQ(out.rfind("CONNECT {\"verbose\":true,", 0), 0u);
  EXPECT_TRUE(verbose->answers_in_order(MessageKind::whisper));
}

TEST(NatsWire, ScansEveryServerFrame) {
  NatsFrame f;
  auto scan = [&](std::string_view s) { return scan_nats(s, f); };
  EXPECT_EQ(scan("PING\r\n").size, 6u);
  EXPECT_EQ(f.verb, NatsFrame::Verb::ping);
  EXPECT_EQ(scan("pong\r\n").size, 6u) << "verbs are case-insensitive";
  EXPECT_EQ(f.verb, NatsFrame::Verb::pong);
  EXPECT_EQ(scan("MSG a.b 1 5\r\nhello\r\n").size, 20u);
  EXPECT_EQ(f.subject, "a.b");
  EXPECT_EQ(f.sid, "1");
  EXPECT_EQ(f.payload, "hello");
  EXPECT_EQ(scan("MSG a 2 _INBOX.x 0\r\n\r\n").size, 22u);
  EXPECT_EQ(f.payload, "");
  EXPECT_EQ(scan("HMSG a 2 12 17\r\nNATS/1.0\r\n\r\nhello\r\n").size, 35u);
  EXPECT_EQ(f.payload, "hello");
  EXPECT_EQ(scan("-ERR 'Unknown Protocol Operation'\r\n").status, FrameScan::Status::frame);
  EXPECT_EQ(f.text, "Unknown Protocol Operation");
  EXPECT_EQ(scan("INFO {\"version\":\"2.9.10\"}\r\n").status, FrameScan::Status::frame);
  EXPECT_EQ(f.verb, NatsFrame::Verb::info);

  EXPECT_EQ(scan("MSG a 1 5\r\nhel").status, FrameScan::Status::incomplete);
  EXPECT_EQ(scan("MSG a 1 5\r\nhello\r").status, FrameScan::Status::incomplete);
  EXPECT_EQ(scan("PIN").status, FrameScan::Status::incomplete);
  EXPECT_EQ(scan("MSG a 1 x\r\n").status, FrameScan::Status::bad);
  EXPECT_EQ(scan("MSG a 1\r\n").status, FrameScan::Status::bad);
  EXPECT_EQ(scan("MSG a 1 5\r\nhelloXX").status, FrameScan::Status::bad);
  EXPECT_EQ(scan("HMSG a 1 9 5\r\n").status, FrameScan::Status::bad) << "headers longer than the message";
}

TEST(NatsWire, SessionDecodesWhereverTheStreamIsSplit) {
  auto wire = make_wire_protocol(Target::nats, {});
  const std::string room = payload({2, 5, 7}, 3000, "hi");
  const std::string direct = payload({2, 6, 1}, 4000, std::string(900, 'y'));
  const std::string stream =
      "INFO {\"server_id\":\"X\",\"version\":\"2.9.10\",\"proto\":1,\"max_payload\":1048576}\r\n"
      "PONG\r\n"
      "MSG lg-a-r0 1 " + std::to_string(room.size()) + "\r\n" + room + "\r\n"
      "PING\r\n"
      "MSG lg-a-1 2 reply.to " + std::to_string(direct.size()) + "\r\n" + direct + "\r\n"
      "+OK\r\n"
      "PONG\r\n"
      "MSG lg-a-r0 1 3\r\nabc\r\n"
      "-ERR 'Maximum Payload Violation'\r\n"
      "PING\r\n";
  Decoded want;
  want.events =
      "info version=2.9.10\nready\nroom id=2.5.7 ts=3000\ndirect id=2.6.1 ts=4000\nroom\n"
      "error code=nats_err detail=Maximum Payload Violation\n";
  want.reply = "PONG\r\nPONG\r\n";
  expect_same_at_every_split(*wire, stream, want);
}

TEST(NatsWire, VerboseSessionTakesOkAfterThePongForAnAnswer) {
  auto wire = make_wire_protocol(Target::nats, {.whisper_acks = true});
  Decoded want;
  want.events = "ready\naccepted\naccepted\n";
  expect_same_at_every_split(*wire, "INFO {}\r\n+OK\r\n+OK\r\n+OK\r\nPONG\r\n+OK\r\n+OK\r\n", want);
}

// ---------------------------------------------------------------- FrameBuffer

TEST(FrameBuffer, CopiesOnlyWhatFinishesASplitFrame) {
  // Frames: a decimal length, ':', that many bytes.
  auto scan = [](std::string_view s) -> FrameScan {
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos) return {FrameScan::Status::incomplete, 0};
    const std::size_t n = std::stoul(std::string(s.substr(0, colon)));
    if (s.size() < colon + 1 + n) return {FrameScan::Status::incomplete, 0};
    return {FrameScan::Status::frame, colon + 1 + n};
  };
  std::string stream;
  std::vector<std::string> frames;
  for (std::size_t n : {3u, 5000u, 0u, 70000u, 1u}) {
    frames.push_back(std::to_string(n) + ":" + std::string(n, char('a' + n % 26)));
    stream += frames.back();
  }
  for (std::size_t cut : {1ul, 2ul, 100ul, 3000ul, 5010ul, 40000ul, stream.size() - 1}) {
    FrameBuffer b;
    std::vector<std::string> got;
    auto on = [&](std::string_view f) {
      got.emplace_back(f);
      return true;
    };
    ASSERT_EQ(b.feed(std::string_view(stream).substr(0, cut), scan, on), FeedStatus::ok);
    ASSERT_EQ(b.feed(std::string_view(stream).substr(cut), scan, on), FeedStatus::ok);
    EXPECT_EQ(got, frames) << "split at " << cut;
    EXPECT_EQ(b.buffered(), 0u);
  }
  FrameBuffer b;
  int seen = 0;
  EXPECT_EQ(b.feed(stream, scan, [&](std::string_view) { return ++seen < 2; }), FeedStatus::stopped);
  EXPECT_EQ(seen, 2);
}

}  // namespace
}  // namespace chatd::loadgen
