#include <gtest/gtest.h>
#include <simdjson.h>

#include "loadgen/wire/event_parser.h"
#include "loadgen/wire/requests.h"

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

TEST(Requests, LinesAreTheProtocolsJson) {
  std::string out;
  append_hello(out, "lg-a-1");
  append_join(out, "lg-a-r0");
  EXPECT_EQ(out, "{\"op\":\"hello\",\"user\":\"lg-a-1\"}\n{\"op\":\"join\",\"room\":\"lg-a-r0\"}\n");
  out.clear();
  append_tagged(out, msg_head("r", "say \"hi\""), {1, 2, 3}, 123456789);
  EXPECT_EQ(out, "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"say \\\"hi\\\"\",\"id\":\"1.2.3\",\"ts\":123456789}\n");
  out.clear();
  append_tagged(out, whisper_head("bob", "psst"), {1, 0, 0}, 5);
  EXPECT_EQ(out, "{\"op\":\"whisper\",\"to\":\"bob\",\"text\":\"psst\",\"id\":\"1.0.0\",\"ts\":5}\n");
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
