// JsonRequestParser: every op, field types and states, the bad_json / unknown_op
// order of the contract, and in-place parsing of frames that sit inside a larger
// buffer. Every input lives in an allocation of exactly its size + kFramePadding, and
// the padding holds bytes that would complete a truncated object ('}'), so reading
// past a frame shows up as a wrong answer, and past the padding as an ASAN report.
#include "proto/json_request_parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proto/line_framer.h"

namespace chatd::proto {
namespace {

using namespace std::literals;

class JsonRequestParserTest : public ::testing::Test {
 protected:
  ParseOutcome parse(std::string_view json) {
    input_.reset(new char[json.size() + kFramePadding]);
    if (!json.empty()) std::memcpy(input_.get(), json.data(), json.size());
    std::memset(input_.get() + json.size(), '}', kFramePadding);
    return parser_.parse(std::string_view(input_.get(), json.size()), req_);
  }
  ParseError error_of(std::string_view json) { return parse(json).error; }

  JsonRequestParser parser_;
  Request req_;
  std::unique_ptr<char[]> input_;
};

// ---- the text without a copy ----

// A text without escapes is a view into the frame itself (it is copied once, into
// the shared event buffer, later); one with escapes is unescaped.
TEST_F(JsonRequestParserTest, TextWithoutEscapesPointsIntoTheFrame) {
  ASSERT_TRUE(parse(R"({"op":"msg","room":"r","text":"plain text, ok" ,"id":"x"})").ok());
  EXPECT_EQ(req_.text, "plain text, ok");
  EXPECT_GE(req_.text.data(), input_.get());
  EXPECT_LT(req_.text.data(), input_.get() + 64);
  ASSERT_TRUE(parse(R"({"op":"msg","room":"r","text":"a \"quote\" and \\ \n"})").ok());
  EXPECT_EQ(req_.text, "a \"quote\" and \\ \n");
  ASSERT_TRUE(parse(R"({"op":"msg","room":"r","text":""})").ok());
  EXPECT_EQ(req_.text, "");
  EXPECT_EQ(req_.text_state, FieldState::present);
  ASSERT_TRUE(parse(R"({"op":"msg","room":"r","text":"\u00e9t\u00e9 \t"})").ok());
  EXPECT_EQ(req_.text, "\xc3\xa9t\xc3\xa9 \t"sv);
}

TEST_F(JsonRequestParserTest, TextOfTheWrongTypeOrBrokenIsStillRefused) {
  ASSERT_TRUE(parse(R"({"op":"msg","room":"r","text":5})").ok());
  EXPECT_EQ(req_.text_state, FieldState::wrong_type);
  EXPECT_EQ(error_of(R"({"op":"msg","text":"bad \x escape"})"), ParseError::bad_json);
  EXPECT_EQ(error_of("{\"op\":\"msg\",\"text\":\"bad \xff utf8\"}"), ParseError::bad_json);
  EXPECT_EQ(error_of("{\"op\":\"msg\",\"text\":\"raw \x01 control\"}"), ParseError::bad_json);
}

// ---- ops ----

TEST_F(JsonRequestParserTest, EveryOpParses) {
  const Op ops[] = {Op::hello, Op::join,    Op::leave,  Op::msg,  Op::whisper, Op::users,
                    Op::rooms, Op::history, Op::typing, Op::ping, Op::bye};
  static_assert(sizeof ops / sizeof ops[0] == kOpCount);
  for (Op op : ops) {
    const std::string name(op_name(op));
    SCOPED_TRACE(name);
    ASSERT_TRUE(parse(R"({"op":")" + name + R"("})").ok());
    EXPECT_EQ(req_.op, op);
    Op back;
    ASSERT_TRUE(parse_op(name, &back));
    EXPECT_EQ(back, op);
  }
}

TEST_F(JsonRequestParserTest, Hello) {
  ASSERT_TRUE(parse(R"({"op":"hello","user":"alice","token":"secret"})").ok());
  EXPECT_EQ(req_.op, Op::hello);
  EXPECT_EQ(req_.user_state, FieldState::present);
  EXPECT_EQ(req_.user, "alice");
  EXPECT_EQ(req_.room_state, FieldState::absent);
  EXPECT_TRUE(req_.rid.empty());
}

// The token is read as a string for the shard to verify (docs/auth.md); whether it
// is required is the shard's call (auth on or off), not the parser's.
TEST_F(JsonRequestParserTest, HelloToken) {
  ASSERT_TRUE(parse(R"({"op":"hello","user":"alice","token":"aGk.eW8.c2ln"})").ok());
  EXPECT_EQ(req_.token_state, FieldState::present);
  EXPECT_EQ(req_.token, "aGk.eW8.c2ln");
  ASSERT_TRUE(parse(R"({"op":"hello","user":"alice"})").ok());
  EXPECT_EQ(req_.token_state, FieldState::absent);
  EXPECT_EQ(req_.token, "");
  ASSERT_TRUE(parse(R"({"op":"hello","user":"alice","token":42})").ok());
  EXPECT_EQ(req_.token_state, FieldState::wrong_type);
  ASSERT_TRUE(parse(R"({"op":"hello","user":"alice","token":null})").ok());
  EXPECT_EQ(req_.token_state, FieldState::wrong_type);
  // Escapes are undone (a JWT needs none, but "\/" style JSON writers exist), and
  // a key spelled with escapes is still the token.
  ASSERT_TRUE(parse(R"({"op":"hello","user":"alice","\u0074oken":"a\u002eb.c"})").ok());
  EXPECT_EQ(req_.token_state, FieldState::present);
  EXPECT_EQ(req_.token, "a.b.c");
  // Another key that starts like it is not it.
  ASSERT_TRUE(parse(R"({"op":"hello","user":"alice","tokens":"x","toke":"y"})").ok());
  EXPECT_EQ(req_.token_state, FieldState::absent);
  EXPECT_EQ(error_of(R"({"op":"hello","token":"bad \x escape"})"), ParseError::bad_json);
}

TEST_F(JsonRequestParserTest, Msg) {
  ASSERT_TRUE(parse(R"({"op":"msg","room":"lobby","text":"hi there","id":"c1","ts":123})").ok());
  EXPECT_EQ(req_.op, Op::msg);
  EXPECT_EQ(req_.room_state, FieldState::present);
  EXPECT_EQ(req_.room, "lobby");
  EXPECT_EQ(req_.text_state, FieldState::present);
  EXPECT_EQ(req_.text, "hi there");
  EXPECT_TRUE(req_.has_id);
  EXPECT_EQ(req_.id, "c1");
  EXPECT_TRUE(req_.has_ts);
  EXPECT_EQ(req_.ts, 123);
}

TEST_F(JsonRequestParserTest, MsgWithoutOptionalFields) {
  ASSERT_TRUE(parse(R"({"op":"msg","room":"lobby","text":"hi"})").ok());
  EXPECT_FALSE(req_.has_id);
  EXPECT_FALSE(req_.has_ts);
}

TEST_F(JsonRequestParserTest, Whisper) {
  ASSERT_TRUE(parse(R"({"op":"whisper","to":"bob","text":"psst","id":"w9"})").ok());
  EXPECT_EQ(req_.op, Op::whisper);
  EXPECT_EQ(req_.to_state, FieldState::present);
  EXPECT_EQ(req_.to, "bob");
  EXPECT_EQ(req_.text, "psst");
  EXPECT_EQ(req_.id, "w9");
}

TEST_F(JsonRequestParserTest, HistoryAndDefaults) {
  ASSERT_TRUE(parse(R"({"op":"history","room":"lobby"})").ok());
  EXPECT_EQ(req_.since, 0);
  EXPECT_EQ(req_.limit, 100);
  ASSERT_TRUE(parse(R"({"op":"history","room":"lobby","since":42,"limit":5000})").ok());
  EXPECT_EQ(req_.since, 42);
  EXPECT_EQ(req_.limit, 5000);  // the cut to 1000 is the op's business
  ASSERT_TRUE(parse(R"({"op":"history","room":"lobby","since":-1,"limit":0})").ok());
  EXPECT_EQ(req_.since, -1);
  EXPECT_EQ(req_.limit, 0);
}

TEST_F(JsonRequestParserTest, JoinWithSinceAndEpochAsksForRecovery) {
  ASSERT_TRUE(parse(R"({"op":"join","room":"lobby"})").ok());
  EXPECT_FALSE(req_.has_since);
  EXPECT_FALSE(req_.has_epoch);
  ASSERT_TRUE(parse(R"({"op":"join","room":"lobby","since":17,"epoch":1718000000123456})").ok());
  EXPECT_EQ(req_.op, Op::join);
  EXPECT_TRUE(req_.has_since);
  EXPECT_EQ(req_.since, 17);
  EXPECT_TRUE(req_.has_epoch);
  EXPECT_EQ(req_.epoch, 1718000000123456);
  // Either alone is still recorded (the recovery then fails, it is not a parse error).
  ASSERT_TRUE(parse(R"({"epoch":9,"op":"join","room":"lobby"})").ok());
  EXPECT_FALSE(req_.has_since);
  EXPECT_TRUE(req_.has_epoch);
  // Spelled with an escape, it is the same key.
  ASSERT_TRUE(parse(R"({"op":"join","room":"lobby","\u0065poch":3})").ok());
  EXPECT_EQ(req_.epoch, 3);
}

TEST_F(JsonRequestParserTest, TypingOn) {
  ASSERT_TRUE(parse(R"({"op":"typing","room":"lobby"})").ok());
  EXPECT_TRUE(req_.on);
  ASSERT_TRUE(parse(R"({"op":"typing","room":"lobby","on":false})").ok());
  EXPECT_FALSE(req_.on);
  ASSERT_TRUE(parse(R"({"op":"typing","room":"lobby","on":true})").ok());
  EXPECT_TRUE(req_.on);
}

TEST_F(JsonRequestParserTest, PingAndUsers) {
  ASSERT_TRUE(parse(R"({"op":"ping","ts":-5})").ok());
  EXPECT_EQ(req_.op, Op::ping);
  EXPECT_EQ(req_.ts, -5);
  ASSERT_TRUE(parse(R"({"op":"users","room":"lobby"})").ok());
  EXPECT_EQ(req_.op, Op::users);
  EXPECT_EQ(req_.room, "lobby");
  ASSERT_TRUE(parse(R"({"op":"users"})").ok());
  EXPECT_EQ(req_.room_state, FieldState::absent);
}

TEST_F(JsonRequestParserTest, KeyOrderDoesNotMatter) {
  ASSERT_TRUE(parse(R"({"text":"hi","ts":1,"room":"lobby","op":"msg"})").ok());
  EXPECT_EQ(req_.op, Op::msg);
  EXPECT_EQ(req_.room, "lobby");
  EXPECT_EQ(req_.text, "hi");
}

TEST_F(JsonRequestParserTest, WhitespaceAnywhere) {
  ASSERT_TRUE(parse(" \t{ \"op\" :\n\"msg\" , \"room\" : \"lobby\" ,\"text\":\"x\" }\t \r").ok());
  EXPECT_EQ(req_.op, Op::msg);
  EXPECT_EQ(req_.room, "lobby");
}

TEST_F(JsonRequestParserTest, EscapedStringsAreDecoded) {
  ASSERT_TRUE(parse(R"({"op":"m\u0073g","room":"lo\u0062by","text":"a\"b\\c\nd\u00e9\ud83d\ude00\/"})").ok());
  EXPECT_EQ(req_.op, Op::msg);
  EXPECT_EQ(req_.room, "lobby");
  EXPECT_EQ(req_.text, "a\"b\\c\nd\xc3\xa9\xf0\x9f\x98\x80/");
}

TEST_F(JsonRequestParserTest, Utf8TextIsKept) {
  const std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
  ASSERT_TRUE(parse(R"({"op":"msg","room":"r","text":")" + text + R"("})").ok());
  EXPECT_EQ(req_.text, text);
}

// ---- unknown keys ----

TEST_F(JsonRequestParserTest, UnknownKeysAreIgnored) {
  ASSERT_TRUE(parse(R"({"v":2,"op":"msg","extra":{"a":[1,2.5e3,{"b":null}],"c":"\u0041"},)"
                    R"("room":"lobby","flag":true,"off":false,"nothing":null,"list":[],"obj":{},)"
                    R"("text":"hi","neg":-0.5,"str":"x\"y"})")
                  .ok());
  EXPECT_EQ(req_.op, Op::msg);
  EXPECT_EQ(req_.room, "lobby");
  EXPECT_EQ(req_.text, "hi");
}

TEST_F(JsonRequestParserTest, UnknownKeysMustStillBeValidJson) {
  for (const char* json : {R"({"op":"ping","x":tru})", R"({"op":"ping","x":[1,tru]})",
                           R"({"op":"ping","x":{"a":}})", R"({"op":"ping","x":"\q"})", R"({"op":"ping","x":01})",
                           R"({"op":"ping","x":1.})", R"({"op":"ping","x":-})", R"({"op":"ping","x":nul})",
                           R"({"op":"ping","x":[}})", R"({"op":"ping","x":]})", R"({"op":"ping","x":{"a" 1}})",
                           R"({"op":"ping","x":[1 2]})", R"({"op":"ping","x":{1:2}})"}) {
    SCOPED_TRACE(json);
    EXPECT_EQ(error_of(json), ParseError::bad_json);
  }
}

TEST_F(JsonRequestParserTest, DeepNestingInAnUnknownKey) {
  const std::string nested = R"({"op":"ping","x":)" + std::string(1000, '[') + std::string(1000, ']') + "}";
  EXPECT_TRUE(parse(nested).ok());
  const std::string objects = R"({"op":"ping","x":)" + [] {
    std::string s;
    for (int i = 0; i < 500; ++i) s += R"({"k":[)";
    for (int i = 0; i < 500; ++i) s += "]}";
    return s;
  }() + "}";
  EXPECT_TRUE(parse(objects).ok());
  // A whole --max-frame of '[': past the nesting bound, refused rather than recursed into.
  const std::string deep = R"({"op":"ping","x":)" + std::string(32000, '[') + std::string(32000, ']') + "}";
  EXPECT_EQ(error_of(deep), ParseError::bad_json);
}

// ---- rid ----

TEST_F(JsonRequestParserTest, RidStringIsReencoded) {
  ASSERT_TRUE(parse(R"({"op":"ping","rid":"abc"})").ok());
  EXPECT_EQ(req_.rid, R"("abc")");
  ASSERT_TRUE(parse(R"({"op":"ping","rid":"a\"b\\c\n\u0001"})").ok());
  EXPECT_EQ(req_.rid, R"("a\"b\\c\n\u0001")");
  ASSERT_TRUE(parse(R"({"op":"ping","rid":"\u00e9\/"})").ok());
  EXPECT_EQ(req_.rid, "\"\xc3\xa9/\"");
  ASSERT_TRUE(parse(R"({"op":"ping","rid":""})").ok());
  EXPECT_EQ(req_.rid, R"("")");
}

TEST_F(JsonRequestParserTest, RidInteger) {
  ASSERT_TRUE(parse(R"({"op":"ping","rid":42})").ok());
  EXPECT_EQ(req_.rid, "42");
  ASSERT_TRUE(parse(R"({"op":"ping","rid":-7})").ok());
  EXPECT_EQ(req_.rid, "-7");
  ASSERT_TRUE(parse(R"({"op":"ping","rid":0})").ok());
  EXPECT_EQ(req_.rid, "0");
  ASSERT_TRUE(parse(R"({"op":"ping","rid":-9223372036854775808})").ok());
  EXPECT_EQ(req_.rid, "-9223372036854775808");
}

TEST_F(JsonRequestParserTest, RidOfAnotherTypeIsBadJson) {
  for (const char* json :
       {R"({"op":"ping","rid":1.5})", R"({"op":"ping","rid":1e3})", R"({"op":"ping","rid":true})",
        R"({"op":"ping","rid":null})", R"({"op":"ping","rid":[1]})", R"({"op":"ping","rid":{"a":1}})",
        R"({"op":"ping","rid":18446744073709551616})", R"({"op":"ping","rid":9223372036854775808})"}) {
    SCOPED_TRACE(json);
    EXPECT_EQ(error_of(json), ParseError::bad_json);
  }
}

TEST_F(JsonRequestParserTest, RidIsResetBetweenParses) {
  ASSERT_TRUE(parse(R"({"op":"ping","rid":"one"})").ok());
  ASSERT_TRUE(parse(R"({"op":"ping"})").ok());
  EXPECT_TRUE(req_.rid.empty());
}

// Found by fuzz/line_json: both rids were appended, and replies echoed `"rid":"a""b"`.
TEST_F(JsonRequestParserTest, RepeatedRidTheLastWins) {
  ASSERT_TRUE(parse(R"({"op":"ping","rid":"a","rid":"b"})").ok());
  EXPECT_EQ(req_.rid, R"("b")");
  ASSERT_TRUE(parse(R"({"op":"ping","rid":"a","rid":7})").ok());
  EXPECT_EQ(req_.rid, "7");
  EXPECT_EQ(error_of(R"({"rid":1,"op":"nope","rid":"x"})"), ParseError::unknown_op);
  EXPECT_EQ(req_.rid, R"("x")");
}

TEST_F(JsonRequestParserTest, RidIsKeptWhenTheOpIsUnknown) {
  // The error reply echoes the rid, so it is read even when the op is bad.
  EXPECT_EQ(error_of(R"({"rid":"r1","op":"nope"})"), ParseError::unknown_op);
  EXPECT_EQ(req_.rid, R"("r1")");
  EXPECT_EQ(error_of(R"({"op":"nope","rid":7})"), ParseError::unknown_op);
  EXPECT_EQ(req_.rid, "7");
}

// ---- bad_json ----

TEST_F(JsonRequestParserTest, InvalidJsonIsBadJson) {
  for (std::string_view json :
       {""sv, " "sv, "{"sv, "}"sv, "{\"op\":\"ping\""sv, "{\"op\":\"ping\",}"sv, "{\"op\" \"ping\"}"sv,
        "{\"op\":}"sv, "{op:\"ping\"}"sv, "{'op':'ping'}"sv, "{\"op\":\"ping\" \"x\":1}"sv, "{\"op\":\"pi"sv,
        "{\"op\":\"ping\",\"on\":tr"sv, "{\"op\":\"ping\",\"ts\":12"sv, "{\"op\":\"ping\",\"x\"}"sv,
        "{\"op\":\"ping\",\"x\":\"\x01\"}"sv /* raw control char */, "{\"op\":\"ping\"}\0"sv, "nonsense"sv}) {
    SCOPED_TRACE(testing::PrintToString(std::string(json)));
    EXPECT_EQ(error_of(json), ParseError::bad_json);
  }
}

TEST_F(JsonRequestParserTest, NonObjectIsBadJson) {
  for (const char* json : {"[]", R"(["op","ping"])", R"([{"op":"ping"}])", R"("op")", "42", "-1.5", "true",
                           "false", "null"}) {
    SCOPED_TRACE(json);
    const ParseOutcome o = parse(json);
    EXPECT_EQ(o.error, ParseError::bad_json);
    EXPECT_STREQ(o.message, "a request must be a JSON object");
  }
}

TEST_F(JsonRequestParserTest, InvalidUtf8IsBadJson) {
  for (const std::string& json : {
           "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"\xff\"}"s,            // never valid
           "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"a\xc3\"}"s,           // truncated 2-byte sequence
           "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"\xc0\xaf\"}"s,        // overlong '/'
           "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"\xed\xa0\x80\"}"s,    // UTF-16 surrogate as UTF-8
           "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"\xf4\x90\x80\x80\"}"s,  // above U+10FFFF
           "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"\x80\"}"s,            // lone continuation byte
           "{\"op\":\"ping\",\"\xff\":1}"s,                                 // in a key
           "{\"op\":\"ping\",\"x\":\"\xfe\"}"s,                             // in an ignored value
           "{\"op\":\"nope\",\"x\":\"\xff\"}"s,                             // with an unknown op too
       }) {
    SCOPED_TRACE(testing::PrintToString(json));
    EXPECT_EQ(error_of(json), ParseError::bad_json);
  }
}

TEST_F(JsonRequestParserTest, TrailingContentIsBadJson) {
  for (const char* json : {R"({"op":"ping"} x)", R"({"op":"ping"}{})", R"({"op":"ping"}{"op":"ping"})",
                           R"({"op":"ping"}})", R"({"op":"ping"},)", R"({"op":"ping"}])", R"({"op":"ping"} 1)",
                           R"({"op":"ping"}"")", R"({"op":"nope"} x)"}) {
    SCOPED_TRACE(json);
    EXPECT_EQ(error_of(json), ParseError::bad_json);
  }
  // Trailing whitespace is fine.
  EXPECT_TRUE(parse("{\"op\":\"ping\"}  \t \r").ok());
}

// ---- unknown_op ----

TEST_F(JsonRequestParserTest, MissingOrBadOpIsUnknownOp) {
  for (const char* json : {"{}", R"({"room":"lobby"})", R"({"Op":"ping"})", R"({"op":1})", R"({"op":null})",
                           R"({"op":true})", R"({"op":["msg"]})", R"({"op":{"msg":1}})", R"({"op":"nope"})",
                           R"({"op":"MSG"})", R"({"op":""})", R"({"op":"msg "})", R"({"op":"ms"})",
                           R"({"op":"msgs"})", R"({"op":"msg\u0000"})"}) {
    SCOPED_TRACE(json);
    EXPECT_EQ(error_of(json), ParseError::unknown_op);
  }
  EXPECT_STREQ(parse("{}").message, "missing op");
  EXPECT_STREQ(parse(R"({"op":"nope"})").message, "unknown op");
  EXPECT_STREQ(parse(R"({"op":2})").message, "op must be a string");
}

TEST_F(JsonRequestParserTest, OpTextIsTheOpAsSent) {
  // unknown_op errors echo the op the client sent.
  EXPECT_EQ(error_of(R"({"op":"nope"})"), ParseError::unknown_op);
  EXPECT_EQ(req_.op_text, "nope");
  EXPECT_EQ(error_of(R"({"op":"n\u006fpe!"})"), ParseError::unknown_op);
  EXPECT_EQ(req_.op_text, "nope!");
  ASSERT_TRUE(parse(R"({"op":"msg","room":"r","text":"t"})").ok());
  EXPECT_EQ(req_.op_text, "msg");
  EXPECT_EQ(error_of(R"({"room":"r"})"), ParseError::unknown_op);
  EXPECT_TRUE(req_.op_text.empty());
  EXPECT_EQ(error_of(R"({"op":5})"), ParseError::unknown_op);
  EXPECT_TRUE(req_.op_text.empty());
}

TEST_F(JsonRequestParserTest, InvalidJsonAnywhereBeatsUnknownOp) {
  for (std::string_view json : {R"({"op":"nope","x":tru})"sv, R"({"x":1,"y":})"sv, R"({"x":1,)"sv,
                                R"({"op":1,"x":[})"sv, R"({"op":[1,tru]})"sv, R"({"op":nope})"sv,
                                R"({"op":{"a" 1}})"sv, R"({"room":"r"}x)"sv, R"({"op":"nope","ts":"1"})"sv,
                                R"({"op":"nope","rid":null})"sv}) {
    SCOPED_TRACE(json);
    EXPECT_EQ(error_of(json), ParseError::bad_json);
  }
}

// ---- field states and types ----

TEST_F(JsonRequestParserTest, RoomStates) {
  ASSERT_TRUE(parse(R"({"op":"join"})").ok());
  EXPECT_EQ(req_.room_state, FieldState::absent);
  for (const char* value : {"1", "-2.5", "null", "true", "false", "[]", R"(["lobby"])", "{}", R"({"room":"x"})"}) {
    SCOPED_TRACE(value);
    ASSERT_TRUE(parse(R"({"op":"join","room":)" + std::string(value) + "}").ok());
    EXPECT_EQ(req_.room_state, FieldState::wrong_type);
    EXPECT_EQ(req_.op, Op::join);
  }
  ASSERT_TRUE(parse(R"({"op":"join","room":""})").ok());
  EXPECT_EQ(req_.room_state, FieldState::present);  // present, and malformed: bad_room later
  EXPECT_EQ(req_.room, "");
  ASSERT_TRUE(parse(R"({"op":"join","room":"no/such name"})").ok());
  EXPECT_EQ(req_.room_state, FieldState::present);
  EXPECT_EQ(req_.room, "no/such name");
}

TEST_F(JsonRequestParserTest, WrongTypedValueMustStillBeValidJson) {
  for (const char* json : {R"({"op":"join","room":tru})", R"({"op":"join","room":[1,}]})",
                           R"({"op":"join","room":01})", R"({"op":"hello","user":{"a":}})",
                           R"({"op":"msg","room":"r","text":[nul]})", R"({"op":"whisper","to":-})"}) {
    SCOPED_TRACE(json);
    EXPECT_EQ(error_of(json), ParseError::bad_json);
  }
}

TEST_F(JsonRequestParserTest, UserToTextStates) {
  ASSERT_TRUE(parse(R"({"op":"whisper","to":5,"text":null,"user":[]})").ok());
  EXPECT_EQ(req_.to_state, FieldState::wrong_type);
  EXPECT_EQ(req_.text_state, FieldState::wrong_type);
  EXPECT_EQ(req_.user_state, FieldState::wrong_type);
  ASSERT_TRUE(parse(R"({"op":"whisper"})").ok());
  EXPECT_EQ(req_.to_state, FieldState::absent);
  EXPECT_EQ(req_.text_state, FieldState::absent);
  EXPECT_EQ(req_.user_state, FieldState::absent);
  ASSERT_TRUE(parse(R"({"op":"whisper","to":"","text":""})").ok());
  EXPECT_EQ(req_.to_state, FieldState::present);
  EXPECT_EQ(req_.text_state, FieldState::present);
  EXPECT_EQ(req_.text, "");
}

TEST_F(JsonRequestParserTest, IdType) {
  ASSERT_TRUE(parse(R"({"op":"msg","id":""})").ok());
  EXPECT_TRUE(req_.has_id);
  EXPECT_EQ(req_.id, "");
  for (const char* value : {"1", "null", "true", "[]", "{}"}) {
    SCOPED_TRACE(value);
    EXPECT_EQ(error_of(R"({"op":"msg","id":)" + std::string(value) + "}"), ParseError::bad_json);
  }
}

TEST_F(JsonRequestParserTest, TsType) {
  ASSERT_TRUE(parse(R"({"op":"ping","ts":9223372036854775807})").ok());
  EXPECT_EQ(req_.ts, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(parse(R"({"op":"ping","ts":-9223372036854775808})").ok());
  EXPECT_EQ(req_.ts, std::numeric_limits<int64_t>::min());
  ASSERT_TRUE(parse(R"({"op":"ping","ts":0})").ok());
  EXPECT_TRUE(req_.has_ts);
  for (const char* value : {R"("123")", "1.5", "1e3", "9223372036854775808", "null", "true", "[1]"}) {
    SCOPED_TRACE(value);
    EXPECT_EQ(error_of(R"({"op":"ping","ts":)" + std::string(value) + "}"), ParseError::bad_json);
  }
}

TEST_F(JsonRequestParserTest, SinceLimitTypes) {
  for (const char* key : {"since", "limit", "epoch"}) {
    for (const char* value : {R"("1")", "1.5", "null", "false", "{}"}) {
      SCOPED_TRACE(std::string(key) + "=" + value);
      EXPECT_EQ(error_of(R"({"op":"history","room":"r",")" + std::string(key) + "\":" + value + "}"),
                ParseError::bad_json);
    }
  }
}

TEST_F(JsonRequestParserTest, OnType) {
  for (const char* value : {R"("true")", "1", "0", "null", "[]"}) {
    SCOPED_TRACE(value);
    EXPECT_EQ(error_of(R"({"op":"typing","room":"r","on":)" + std::string(value) + "}"), ParseError::bad_json);
  }
}

// ---- sizes ----

TEST_F(JsonRequestParserTest, LargeFrames) {
  // A frame of the default --max-frame, and one past the parser's first allocation.
  for (std::size_t frame_size : {std::size_t(65536), std::size_t(300000)}) {
    SCOPED_TRACE(frame_size);
    const std::string head = R"({"op":"msg","room":"lobby","text":")";
    const std::string text(frame_size - head.size() - 2, 't');
    const std::string json = head + text + "\"}";
    ASSERT_EQ(json.size(), frame_size);
    ASSERT_TRUE(parse(json).ok());
    EXPECT_EQ(req_.text.size(), text.size());
    EXPECT_EQ(req_.text, text);
  }
  // And small frames still parse afterwards.
  ASSERT_TRUE(parse(R"({"op":"bye"})").ok());
  EXPECT_EQ(req_.op, Op::bye);
}

// ---- one parser, many frames ----

TEST_F(JsonRequestParserTest, ManyFramesBackToBack) {
  for (int i = 0; i < 2000; ++i) {
    SCOPED_TRACE(i);
    const std::string n = std::to_string(i);
    switch (i % 5) {
      case 0: {
        ASSERT_TRUE(parse(R"({"op":"msg","room":"room)" + n + R"(","text":"text )" + n + R"(","ts":)" + n + "}").ok());
        EXPECT_EQ(req_.op, Op::msg);
        EXPECT_EQ(req_.room, "room" + n);
        EXPECT_EQ(req_.text, "text " + n);
        EXPECT_EQ(req_.ts, i);
        break;
      }
      case 1:
        EXPECT_EQ(error_of(R"({"op":"msg","text":"x)" + n), ParseError::bad_json);
        break;
      case 2:
        ASSERT_TRUE(parse(R"({"rid":)" + n + R"(,"op":"join","room":"r)" + n + "\"}").ok());
        EXPECT_EQ(req_.op, Op::join);
        EXPECT_EQ(req_.rid, n);
        EXPECT_EQ(req_.room, "r" + n);
        EXPECT_FALSE(req_.has_ts);
        break;
      case 3:
        EXPECT_EQ(error_of(R"({"op":"op)" + n + "\"}"), ParseError::unknown_op);
        break;
      case 4:
        ASSERT_TRUE(parse(R"({"op":"whisper","to":"u)" + n + R"(","text":"\u00e9)" + n + "\"}").ok());
        EXPECT_EQ(req_.to, "u" + n);
        EXPECT_EQ(req_.text, "\xc3\xa9" + n);
        EXPECT_EQ(req_.room_state, FieldState::absent);
        break;
    }
  }
}

TEST_F(JsonRequestParserTest, ViewsStayValidUntilTheNextParse) {
  ASSERT_TRUE(parse(R"({"op":"whisper","to":"bob","text":"first\n","id":"i1"})").ok());
  const Request first = req_;
  // The views do not point into the input: they survive its release...
  input_.reset();
  EXPECT_EQ(first.to, "bob");
  EXPECT_EQ(first.text, "first\n");
  EXPECT_EQ(first.id, "i1");
  // ...and the next parse gets its own.
  ASSERT_TRUE(parse(R"({"op":"msg","room":"second","text":"x"})").ok());
  EXPECT_EQ(req_.room, "second");
  EXPECT_EQ(req_.text, "x");
  EXPECT_EQ(req_.to_state, FieldState::absent);
  EXPECT_FALSE(req_.has_id);
}

TEST_F(JsonRequestParserTest, GoodFrameAfterBadOnes) {
  EXPECT_EQ(error_of("{\"op\":\"msg\",\"text\":\"\xff\"}"), ParseError::bad_json);
  EXPECT_EQ(error_of(R"({"op":)"), ParseError::bad_json);
  EXPECT_EQ(error_of(R"([1,2,3])"), ParseError::bad_json);
  ASSERT_TRUE(parse(R"({"op":"leave","room":"lobby"})").ok());
  EXPECT_EQ(req_.op, Op::leave);
  EXPECT_EQ(req_.room, "lobby");
}

// ---- in place, inside a larger buffer ----

// Frames are views into a receive buffer: what follows a frame is the rest of the
// stream (the next frame), and only the buffer's end has kFramePadding of slack.
TEST(JsonRequestParserInPlace, FramesFromTheMiddleOfABuffer) {
  const std::vector<std::string> frames = {
      R"({"op":"ping","on":tr)",            // truncated: "ue}" follows in memory
      R"(ue})",
      R"({"op":"ping","ts":12})",           // "34" follows: ts must stay 12
      R"(34)",
      R"({"op":"msg","room":"lobby","text":"ab)",  // unclosed string: the next frame closes it
      R"(c"})",
      R"({"op":"join","room":"lobby"})",
      R"({"op":"hello","user":"alice"})",
  };
  std::string stream;
  for (const std::string& f : frames) stream += f + "\n";
  auto buffer = std::make_unique<char[]>(stream.size() + kFramePadding);
  std::memcpy(buffer.get(), stream.data(), stream.size());
  std::memset(buffer.get() + stream.size(), ' ', kFramePadding);

  JsonRequestParser parser;
  std::vector<ParseError> errors;
  std::vector<Request> requests;
  std::size_t pos = 0;
  for (const std::string& f : frames) {
    Request r;
    errors.push_back(parser.parse(std::string_view(buffer.get() + pos, f.size()), r).error);
    if (f == frames[2]) {
      EXPECT_EQ(r.ts, 12);
    }
    if (f == frames[6]) {
      EXPECT_EQ(r.room, "lobby");
    }
    pos += f.size() + 1;
  }
  EXPECT_EQ(errors, (std::vector<ParseError>{ParseError::bad_json, ParseError::bad_json, ParseError::none,
                                             ParseError::bad_json, ParseError::bad_json, ParseError::bad_json,
                                             ParseError::none, ParseError::none}));
  // The buffer is untouched: in place means read-only.
  EXPECT_EQ(std::string_view(buffer.get(), stream.size()), stream);
}

// The real pipeline: chunks → LineFramer → parser, frames split across chunks and whole.
TEST(JsonRequestParserInPlace, FramesFromTheLineFramer) {
  std::string stream;
  for (int i = 0; i < 50; ++i) {
    stream += R"({"op":"msg","room":"lobby","text":"message )" + std::to_string(i) + R"(","ts":)" +
              std::to_string(i) + (i % 3 ? "}\n" : "}\r\n");
  }
  for (std::size_t chunk_size : {std::size_t(7), std::size_t(100), std::size_t(1000), stream.size()}) {
    SCOPED_TRACE(chunk_size);
    LineFramer framer(65536);
    JsonRequestParser parser;
    int seen = 0;
    for (std::size_t at = 0; at < stream.size(); at += chunk_size) {
      const std::size_t n = std::min(chunk_size, stream.size() - at);
      auto chunk = std::make_unique<char[]>(n + kFramePadding);
      std::memcpy(chunk.get(), stream.data() + at, n);
      std::memset(chunk.get() + n, '}', kFramePadding);
      FeedResult r = framer.feed(std::string_view(chunk.get(), n), [&](std::string_view frame) {
        Request req;
        EXPECT_TRUE(parser.parse(frame, req).ok()) << frame;
        EXPECT_EQ(req.text, "message " + std::to_string(seen));
        EXPECT_EQ(req.ts, seen);
        ++seen;
        return FrameVerdict::next;
      });
      ASSERT_EQ(r, FeedResult::ok);
    }
    EXPECT_EQ(seen, 50);
  }
}

}  // namespace
}  // namespace chatd::proto
