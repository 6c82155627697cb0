// JsonRequestParser: the bad_json / unknown_op order of the contract, field states and
// types, sizes, one parser reused for many frames, and in-place parsing of frames inside
// a larger buffer (the fixture is in json_request_parser_test_support.h).
#include "proto/json_request_parser_test_support.h"

namespace chatd::proto {
namespace {

using namespace std::literals;

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
