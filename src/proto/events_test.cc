// The msg event written in place must be byte for byte what the string encoders
// produce: the wire does not change with the way it is built.
#include "proto/events.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "proto/json_writer.h"

namespace chatd::proto {
namespace {

std::string in_place_json(const Message& m) {
  std::string out(json_size(m), '\0');
  char* end = write_json(out.data(), m);
  EXPECT_EQ(end, out.data() + out.size());
  return out;
}

std::string in_place_text(const Message& m) {
  std::string out(text_size(m), '\0');
  char* end = write_text(out.data(), m);
  EXPECT_EQ(end, out.data() + out.size());
  return out;
}

std::string encoded_json(const Message& m) {
  std::string out;
  encode_json(out, m, {});
  return out;
}

std::string encoded_text(const Message& m) {
  std::string out;
  encode_text(out, m);
  return out;
}

TEST(MessageInPlace, MatchesTheEncoders) {
  std::string every_byte;
  for (int c = 1; c < 256; ++c) every_byte += char(c);  // controls, quote, backslash, UTF-8 bytes
  const std::vector<Message> cases = {
      {"lobby", "alice", "hi all", 42, "c1", 1718000000123},
      {"lobby", "alice", "hi all", 1, std::nullopt, std::nullopt},
      {"dev", "bob", "", 18446744073709551615ull, std::string_view(""), INT64_MIN},
      {"r", "u", "quote \" backslash \\ newline \n tab \t nul-ish \x01 bell \x07", 7, "id\"1", -1},
      {"r", "u", every_byte, 9, std::nullopt, 0},
  };
  for (const Message& m : cases) {
    EXPECT_EQ(in_place_json(m), encoded_json(m));
    EXPECT_EQ(in_place_text(m), encoded_text(m));
  }
}

TEST(JsonStringInPlace, SizeAndBytesMatchAppend) {
  for (int c = 0; c < 256; ++c) {
    const std::string s = std::string("a") + char(c) + "z";
    std::string appended;
    append_json_string(appended, s);
    ASSERT_EQ(json_string_size(s), appended.size()) << c;
    std::string written(appended.size(), '\0');
    EXPECT_EQ(write_json_string(written.data(), s), written.data() + written.size());
    EXPECT_EQ(written, appended) << c;
  }
}

TEST(IntInPlace, SizeAndBytesMatchAppend) {
  for (int64_t v : {int64_t(0), int64_t(-1), int64_t(9), int64_t(10), INT64_MAX, INT64_MIN}) {
    std::string appended;
    append_int(appended, v);
    char buf[24];
    EXPECT_EQ(int_size(v), appended.size());
    EXPECT_EQ(std::string(buf, write_int(buf, v)), appended);
  }
}

TEST(JoinedEvent, CarriesRecoveryOnlyWhenAskedFor) {
  std::string out;
  encode_json(out, Joined{"lobby", 3, 42, 7}, {});
  EXPECT_EQ(out, R"({"ev":"joined","room":"lobby","members":3,"seq":42,"epoch":7})" "\n");
  out.clear();
  encode_json(out, Joined{"lobby", 3, 42, 7, true, 2}, "5");
  EXPECT_EQ(out, R"({"ev":"joined","room":"lobby","members":3,"seq":42,"epoch":7,"recovered":true,"missed":2,"rid":5})" "\n");
  out.clear();
  encode_json(out, Joined{"lobby", 3, 42, 7, false, 0}, {});
  EXPECT_EQ(out, R"({"ev":"joined","room":"lobby","members":3,"seq":42,"epoch":7,"recovered":false})" "\n");
  out.clear();
  encode_text(out, Joined{"lobby", 3, 42, 7, true, 2});
  EXPECT_EQ(out, "* you joined lobby (3 members; 2 missed messages follow)\n");
  out.clear();
  encode_text(out, Joined{"lobby", 1, 42, 7, false, 0});
  EXPECT_EQ(out, "* you joined lobby (1 member; missed messages could not be recovered)\n");
}

TEST(MsgJsonToText, RendersAStoredMsgAsItsHumanLine) {
  const Message m{"lobby", "alice", "tab\there \"quoted\" \u00e9", 9, "c1", 5};
  std::string text;
  ASSERT_TRUE(msg_json_to_text(encoded_json(m), text));
  EXPECT_EQ(text, encoded_text(m));
  text.clear();
  EXPECT_FALSE(msg_json_to_text(R"({"ev":"user_joined","room":"r","user":"u"})", text));
  EXPECT_FALSE(msg_json_to_text("not json", text));
  EXPECT_TRUE(text.empty());
}

}  // namespace
}  // namespace chatd::proto
