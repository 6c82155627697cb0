#include <gtest/gtest.h>
#include <simdjson.h>

#include "auth/verifier.h"
#include "loadgen/wire/chatd_wire.h"
#include "loadgen/wire/event_parser.h"
#include "loadgen/wire/requests.h"
#include "loadgen/wire/wire_event_log.h"
#include "loadgen/wire/wire_protocol.h"

namespace chatd::loadgen {
namespace {

// The parser needs padding after each line, as the framer provides.
bool parse(EventParser& p, const std::string& line, ServerEvent& e) {
  std::string padded = line + std::string(simdjson::SIMDJSON_PADDING, ' ');
  static std::string keep;  // the event's views point into it
  keep = padded;
  return p.parse(std::string_view(keep.data(), line.size()), e);
}

TEST(MessageId, RoundTrips) {
  std::string s;
  append_message_id(s, {3, 1234, 99});
  EXPECT_EQ(s, "3.1234.99");
  EXPECT_EQ(parse_message_id(s), (MessageId{3, 1234, 99}));
  EXPECT_FALSE(parse_message_id("3.1234"));
  EXPECT_FALSE(parse_message_id("3.1234.99.1"));
  EXPECT_FALSE(parse_message_id("c1"));
  EXPECT_FALSE(parse_message_id(""));
  EXPECT_FALSE(parse_message_id("1.2.x"));
}

TEST(ChatdWire, LinesAreTheProtocolsJson) {
  auto wire = make_wire_protocol(Target::chatd, {});
  std::string out;
  wire->open_session({"lg-a-1", "lg-a-r0"}, out);
  EXPECT_EQ(out, "{\"op\":\"hello\",\"user\":\"lg-a-1\"}\n{\"op\":\"join\",\"room\":\"lg-a-r0\"}\n");
  out.clear();
  wire->append_message(out, wire->message_head(MessageKind::room, "r", "say \"hi\""), {}, {1, 2, 3}, 123456789);
  EXPECT_EQ(out, "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"say \\\"hi\\\"\",\"id\":\"1.2.3\",\"ts\":123456789}\n");
  out.clear();
  const MessageHead whisper = wire->message_head(MessageKind::whisper, "r", "psst");
  wire->append_message(out, whisper, "bob", {1, 0, 0}, 5);
  wire->append_message(out, whisper, "carol", {1, 0, 1}, 6);
  EXPECT_EQ(out,
            "{\"op\":\"whisper\",\"text\":\"psst\",\"to\":\"bob\",\"id\":\"1.0.0\",\"ts\":5}\n"
            "{\"op\":\"whisper\",\"text\":\"psst\",\"to\":\"carol\",\"id\":\"1.0.1\",\"ts\":6}\n");
  EXPECT_FALSE(wire->answers_in_order(MessageKind::room));
  EXPECT_FALSE(wire->answers_in_order(MessageKind::whisper));
}

// --auth-secret-file: chatd's own verifier (src/auth) accepts the token of every
// hello, for that user only, and for an hour.
TEST(ChatdWire, HelloCarriesATokenChatdsVerifierAccepts) {
  const std::string secret = "loadgen-test-key-0123456789-0123456789";
  auto wire = make_wire_protocol(Target::chatd, {.auth_secret = secret});
  std::string out;
  const int64_t before = wall_clock_micros() / 1'000'000;
  wire->open_session({"lg-a-1", "lg-a-r0"}, out);
  const int64_t after = wall_clock_micros() / 1'000'000;
  const std::string hello = out.substr(0, out.find('\n'));
  EXPECT_EQ(out.substr(hello.size() + 1), "{\"op\":\"join\",\"room\":\"lg-a-r0\"}\n");
  simdjson::dom::parser json;
  simdjson::dom::element doc;
  ASSERT_EQ(json.parse(hello).get(doc), simdjson::SUCCESS) << hello;
  EXPECT_EQ(std::string_view(doc["op"]), "hello");
  EXPECT_EQ(std::string_view(doc["user"]), "lg-a-1");
  const std::string token{std::string_view(doc["token"])};
  auto verifier = auth::Verifier::create(secret);
  ASSERT_TRUE(verifier.ok()) << verifier.error().message;
  EXPECT_TRUE(verifier->verify(token, "lg-a-1", after).ok()) << verifier->verify(token, "lg-a-1", after).message;
  EXPECT_EQ(verifier->verify(token, "lg-a-2", after).error, auth::TokenError::wrong_user);
  // exp is an hour after the greeting (the verifier allows kLeewaySeconds past it).
  EXPECT_TRUE(verifier->verify(token, "lg-a-1", before + kTokenLifetimeSeconds - 1).ok());
  EXPECT_EQ(verifier->verify(token, "lg-a-1", after + kTokenLifetimeSeconds + auth::kLeewaySeconds).error,
            auth::TokenError::expired);
  auto other_key = auth::Verifier::create("another-key-0123456789-0123456789-012345");
  EXPECT_EQ(other_key->verify(token, "lg-a-1", after).error, auth::TokenError::bad_signature);

  out.clear();
  make_wire_protocol(Target::chatd, {})->open_session({"lg-a-1", "lg-a-r0"}, out);
  EXPECT_EQ(out.find("token"), std::string::npos) << "no key, no token";
}

using Recorder = WireEventLog;

TEST(ChatdWire, SessionTurnsLinesIntoEventsWhereverTheyAreSplit) {
  auto wire = make_wire_protocol(Target::chatd, {});
  const std::string stream =
      "{\"ev\":\"welcome\",\"user\":\"a\",\"shard\":0,\"shards\":2}\n"
      "{\"ev\":\"joined\",\"room\":\"r\",\"members\":1,\"seq\":4,\"epoch\":9}\n"
      "{\"ev\":\"user_joined\",\"room\":\"r\",\"user\":\"b\"}\n"
      "{\"ev\":\"msg\",\"room\":\"r\",\"from\":\"a\",\"text\":\"hi\",\"seq\":5,\"id\":\"1.0.0\",\"ts\":77}\n"
      "{\"ev\":\"whisper\",\"from\":\"b\",\"text\":\"x\",\"id\":\"1.3.0\",\"ts\":78}\n"
      "{\"ev\":\"whisper_sent\",\"to\":\"b\",\"id\":\"1.0.1\"}\n"
      "{\"ev\":\"error\",\"code\":\"rate_limited\",\"msg\":\"slow\",\"op\":\"msg\"}\n"
      "not json\n";
  const std::string want =
      "info shards=2\nready last_seq=4\nroom id=1.0.0 ts=77 seq=5\ndirect id=1.3.0 ts=78\naccepted id=1.0.1\n"
      "error code=rate_limited op=msg\ngarbled code=bad_server_json\n";
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    auto session = open_test_session(*wire, {"a", "r"});
    Recorder rec;
    std::string reply;
    // Each piece is followed by padding, as the reactor's receive buffers are.
    for (std::string piece : {stream.substr(0, cut), stream.substr(cut)}) {
      const std::size_t n = piece.size();
      piece.append(simdjson::SIMDJSON_PADDING, ' ');
      EXPECT_EQ(session->feed(std::string_view(piece.data(), n), rec, reply), "");
    }
    EXPECT_EQ(rec.log, want) << "split at " << cut;
    EXPECT_TRUE(reply.empty());
  }
}

TEST(Requests, FillerHasTheAskedSizeAndIsPrintable) {
  std::string f = filler_text(64, 1);
  EXPECT_EQ(f.size(), 64u);
  for (char c : f) EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)));
  EXPECT_EQ(f, filler_text(64, 1));
}

TEST(EventParser, ReadsTheFieldsLoadgenUses) {
  EventParser p;
  ServerEvent e;
  ASSERT_TRUE(parse(p, R"({"ev":"msg","room":"r1","from":"a","text":"hi","seq":7,"id":"1.2.3","ts":99})", e));
  EXPECT_EQ(e.kind, EventKind::msg);
  EXPECT_EQ(e.room, "r1");
  EXPECT_EQ(e.from, "a");
  EXPECT_EQ(e.seq, 7);
  EXPECT_EQ(e.id, "1.2.3");
  EXPECT_TRUE(e.has_ts);
  EXPECT_EQ(e.ts, 99);

  ASSERT_TRUE(parse(p, R"({"ev":"welcome","user":"a","shard":1,"shards":2})", e));
  EXPECT_EQ(e.kind, EventKind::welcome);
  EXPECT_EQ(e.shards, 2);
  ASSERT_TRUE(parse(p, R"({"ev":"joined","room":"r","members":3,"seq":12,"epoch":5})", e));
  EXPECT_EQ(e.kind, EventKind::joined);
  EXPECT_EQ(e.members, 3);
  EXPECT_EQ(e.seq, 12);
  ASSERT_TRUE(parse(p, R"({"ev":"error","code":"rate_limited","msg":"slow down","op":"msg"})", e));
  EXPECT_EQ(e.kind, EventKind::error);
  EXPECT_EQ(e.code, "rate_limited");
  EXPECT_EQ(e.op, "msg");
  ASSERT_TRUE(parse(p, R"({"ev":"users","users":["a","b"],"count":2})", e));
  EXPECT_EQ(e.kind, EventKind::other);
  ASSERT_TRUE(parse(p, R"({"ev":"msg","seq":"x","ts":1.5})", e));
  EXPECT_EQ(e.seq, 0) << "a wrong type is not trusted";
  EXPECT_FALSE(e.has_ts);
  EXPECT_FALSE(parse(p, "not json", e));
  EXPECT_FALSE(parse(p, "[1,2]", e));
}

}  // namespace
}  // namespace chatd::loadgen
