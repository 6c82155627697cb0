// JsonRequestParser: every op, field types and states, the bad_json / unknown_op
// order of the contract, and in-place parsing of frames that sit inside a larger
// buffer. Every input lives in an allocation of exactly its size + kFramePadding, and
// the padding holds bytes that would complete a truncated object ('}'), so reading
// past a frame shows up as a wrong answer, and past the padding as an ASAN report.
#include "proto/json_request_parser_test_support.h"

namespace chatd::proto {
namespace {

using namespace std::literals;


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

}  // namespace
}  // namespace chatd::proto
