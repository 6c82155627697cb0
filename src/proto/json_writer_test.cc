// JsonWriter and append_json_string: exact output for the cases a reader checks by eye,
// and a round trip through simdjson's DOM parser for everything else — the decoded
// string must equal the original, byte for byte.
#include "proto/json_writer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace chatd::proto {
namespace {

using namespace std::string_literals;

std::string encoded(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// Encodes `s`, parses the result as a JSON document and returns the decoded string.
std::string round_trip(std::string_view s) {
  simdjson::dom::parser parser;
  std::string_view decoded;
  const std::string json = encoded(s);
  auto err = parser.parse(json).get_string().get(decoded);
  EXPECT_EQ(err, simdjson::SUCCESS) << json;
  return std::string(decoded);
}

// ---- append_json_string ----

TEST(AppendJsonString, ExactOutput) {
  EXPECT_EQ(encoded(""), R"("")");
  EXPECT_EQ(encoded("hello"), R"("hello")");
  EXPECT_EQ(encoded("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
  EXPECT_EQ(encoded("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(encoded("\0"s), R"("\u0000")");
  EXPECT_EQ(encoded("\x1f"), R"("\u001f")");
  EXPECT_EQ(encoded("\x0b"), R"("\u000b")");
  EXPECT_EQ(encoded("\x7f"), "\"\x7f\"");  // DEL needs no escape
  EXPECT_EQ(encoded("/"), R"("/")");       // nor does the solidus
  EXPECT_EQ(encoded("caf\xc3\xa9"), "\"caf\xc3\xa9\"");   // UTF-8 is copied as it is
  EXPECT_EQ(encoded("\"\""), R"("\"\"")");
  EXPECT_EQ(encoded("\\\\"), R"("\\\\")");
  EXPECT_EQ(encoded("x\n"), R"("x\n")");   // escape at the end
  EXPECT_EQ(encoded("\nx"), R"("\nx")");   // and at the start
}

TEST(AppendJsonString, AppendsWithoutClearing) {
  std::string out = "prefix:";
  append_json_string(out, "a\tb");
  append_json_string(out, "");
  EXPECT_EQ(out, R"(prefix:"a\tb""")");
}

TEST(AppendJsonString, EveryControlCharacterRoundTrips) {
  std::string all;
  for (int c = 0; c < 0x20; ++c) {
    const std::string one(1, char(c));
    SCOPED_TRACE("control " + std::to_string(c));
    EXPECT_EQ(round_trip(one), one);
    EXPECT_EQ(round_trip("a" + one + "b"), "a" + one + "b");
    // Every control character comes out escaped: no raw byte below 0x20 in the JSON.
    for (char e : encoded(one)) EXPECT_GE(static_cast<unsigned char>(e), 0x20);
    all += one;
  }
  EXPECT_EQ(round_trip(all), all);
}

TEST(AppendJsonString, SpecialCharactersRoundTrip) {
  for (const std::string& s :
       {""s, "\""s, "\\"s, "\\\""s, "\"\\"s, "\\u0041"s /* not an escape once encoded */, "\x7f"s,
        "\xc3\xa9"s /* é: 2 bytes */, "\xe2\x82\xac"s /* €: 3 bytes */, "\xf0\x9f\x98\x80"s /* 😀: 4 bytes */,
        "mixed \"\xc3\xa9\\\xe2\x82\xac\n\xf0\x9f\x98\x80\x01\x7f end"s, "\xef\xbf\xbf"s /* U+FFFF */,
        "\xf4\x8f\xbf\xbf"s /* U+10FFFF */, "{\"op\":\"msg\"}"s, "</script>"s}) {
    SCOPED_TRACE(testing::PrintToString(s));
    EXPECT_EQ(round_trip(s), s);
  }
}

TEST(AppendJsonString, EveryAsciiByteRoundTrips) {
  std::string ascii;
  for (int c = 0; c < 0x80; ++c) ascii += char(c);
  EXPECT_EQ(round_trip(ascii), ascii);
}

TEST(AppendJsonString, LongStringsRoundTrip) {
  std::string plain(100000, 'p');
  EXPECT_EQ(round_trip(plain), plain);
  std::string mixed;
  const std::string pieces[] = {"abc", "\"", "\\", "\n", "\x01", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x7f"};
  for (int i = 0; mixed.size() < 200000; ++i) mixed += pieces[(i * 7) % 9];
  EXPECT_EQ(round_trip(mixed), mixed);
  std::string escapes_only(50000, '\n');
  EXPECT_EQ(encoded(escapes_only).size(), 2 + 2 * escapes_only.size());
  EXPECT_EQ(round_trip(escapes_only), escapes_only);
}

// ---- append_int ----

TEST(AppendInt, Values) {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  struct Case {
    int64_t v;
    const char* text;
  };
  for (const Case& c : {Case{0, "0"}, Case{1, "1"}, Case{-1, "-1"}, Case{42, "42"}, Case{-1000000, "-1000000"},
                        Case{kMax, "9223372036854775807"}, Case{kMin, "-9223372036854775808"}}) {
    std::string out = "x";
    append_int(out, c.v);
    EXPECT_EQ(out, std::string("x") + c.text);
    // And it parses back to the same integer.
    simdjson::dom::parser parser;
    int64_t back = 0;
    ASSERT_EQ(parser.parse(out.substr(1)).get_int64().get(back), simdjson::SUCCESS);
    EXPECT_EQ(back, c.v);
  }
}

// ---- JsonWriter ----

void expect_valid_json(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
}

TEST(JsonWriter, EmptyObject) {
  std::string out;
  JsonWriter(out).begin_object().end_object().newline();
  EXPECT_EQ(out, "{}\n");
}

TEST(JsonWriter, ScalarFields) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .field("s", "te\"xt")
      .field("cs", std::string_view("view"))
      .field("i", 7)
      .field("neg", int64_t(-3))
      .field("u", 5u)
      .field("u64", uint64_t(1) << 53)
      .field("t", true)
      .field("f", false)
      .raw_field("rid", R"("r-1")")
      .end_object();
  EXPECT_EQ(out, R"({"s":"te\"xt","cs":"view","i":7,"neg":-3,"u":5,"u64":9007199254740992,)"
                 R"("t":true,"f":false,"rid":"r-1"})");
  expect_valid_json(out);
}

TEST(JsonWriter, Int64Extremes) {
  std::string out;
  JsonWriter(out)
      .begin_object()
      .field("min", std::numeric_limits<int64_t>::min())
      .field("max", std::numeric_limits<int64_t>::max())
      .end_object();
  EXPECT_EQ(out, R"({"min":-9223372036854775808,"max":9223372036854775807})");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(out).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(doc["min"]), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(int64_t(doc["max"]), std::numeric_limits<int64_t>::max());
}

TEST(JsonWriter, Arrays) {
  std::string out;
  JsonWriter(out)
      .begin_object()
      .field("ev", "users")
      .begin_array("empty")
      .end_array()
      .begin_array("users")
      .element("alice")
      .element("b\"ob")
      .element("")
      .end_array()
      .begin_array("raw")
      .raw_element("1")
      .raw_element(R"({"a":2})")
      .end_array()
      .field("count", 3)
      .end_object();
  EXPECT_EQ(out, R"({"ev":"users","empty":[],"users":["alice","b\"ob",""],"raw":[1,{"a":2}],"count":3})");
  expect_valid_json(out);
}

TEST(JsonWriter, ArrayFirst) {
  std::string out;
  JsonWriter(out).begin_object().begin_array("a").element("x").end_array().end_object();
  EXPECT_EQ(out, R"({"a":["x"]})");
}

TEST(JsonWriter, ObjectsInsideArrays) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("ev", "rooms").begin_array("rooms");
  w.begin_object_element().field("room", "a").field("members", 1).end_object();
  w.begin_object_element().field("room", "b").field("members", 2).end_object();
  // begin_object() inside an array also separates elements.
  w.begin_object().field("room", "c").field("members", 3).end_object();
  w.begin_object_element().end_object();
  w.end_array().field("after", true).end_object().newline();
  EXPECT_EQ(out, R"({"ev":"rooms","rooms":[{"room":"a","members":1},{"room":"b","members":2},)"
                 R"({"room":"c","members":3},{}],"after":true})"
                 "\n");
  expect_valid_json(out);
}

TEST(JsonWriter, ArraysInsideObjectsInsideArrays) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().begin_array("outer");
  w.begin_object_element().begin_array("inner").element("x").element("y").end_array().field("n", 1).end_object();
  w.begin_object_element().begin_array("inner").end_array().end_object();
  w.begin_object_element()
      .begin_array("deep")
      .begin_object_element()
      .begin_array("deeper")
      .element("z")
      .end_array()
      .end_object()
      .raw_element("null")
      .end_array()
      .end_object();
  w.end_array().end_object();
  EXPECT_EQ(out, R"({"outer":[{"inner":["x","y"],"n":1},{"inner":[]},{"deep":[{"deeper":["z"]},null]}]})");
  expect_valid_json(out);
}

TEST(JsonWriter, WritesAfterExistingContent) {
  // Encoders append event after event to one output buffer.
  std::string out = "{\"ev\":\"first\"}\n";
  JsonWriter(out).begin_object().field("ev", "second").end_object().newline();
  JsonWriter(out).begin_object().field("ev", "third").end_object().newline();
  EXPECT_EQ(out, "{\"ev\":\"first\"}\n{\"ev\":\"second\"}\n{\"ev\":\"third\"}\n");
}

TEST(JsonWriter, EscapedValuesRoundTrip) {
  const std::string text = "line1\nline2\t\"quoted\" \\ \x01 \xf0\x9f\x98\x80";
  std::string out;
  JsonWriter(out).begin_object().field("text", text).begin_array("list").element(text).end_array().end_object();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(out).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["text"]), text);
  EXPECT_EQ(std::string_view(doc["list"].at(0)), text);
}

}  // namespace
}  // namespace chatd::proto
