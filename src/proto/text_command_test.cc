// Text mode (a person at nc): the name line, the slash commands, and plain lines
// that become messages to the current room.
#include "proto/text_command.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace chatd::proto {
namespace {

class TextCommandTest : public ::testing::Test {
 protected:
  TextLine logged_in(std::string_view line, std::string_view room = "lobby") {
    return parse_text_line(line, true, room, req_);
  }
  Request req_;
};

// ---- before login ----

TEST_F(TextCommandTest, FirstLineIsTheName) {
  ASSERT_EQ(parse_text_line("alice", false, "", req_), TextLine::request);
  EXPECT_EQ(req_.op, Op::hello);
  EXPECT_EQ(req_.user_state, FieldState::present);
  EXPECT_EQ(req_.user, "alice");
}

TEST_F(TextCommandTest, NameIsTrimmed) {
  ASSERT_EQ(parse_text_line("  bob \t", false, "", req_), TextLine::request);
  EXPECT_EQ(req_.user, "bob");
}

TEST_F(TextCommandTest, NameLineIsTakenAsItIs) {
  // Whatever the line holds is the name; the session checks it (bad_name).
  for (std::string_view line : {"/join lobby", "two words", "", "   ", "/help"}) {
    SCOPED_TRACE(line);
    ASSERT_EQ(parse_text_line(line, false, "lobby", req_), TextLine::request);
    EXPECT_EQ(req_.op, Op::hello);
    EXPECT_EQ(req_.user_state, FieldState::present);
  }
  parse_text_line("   ", false, "", req_);
  EXPECT_EQ(req_.user, "");
  parse_text_line("two words", false, "", req_);
  EXPECT_EQ(req_.user, "two words");
}

TEST_F(TextCommandTest, WithAuthTheFirstLineIsNameAndToken) {
  ASSERT_EQ(parse_text_line("alice eyJh.eyJz.c2ln", false, "", req_, TextLogin::name_and_token),
            TextLine::request);
  EXPECT_EQ(req_.op, Op::hello);
  EXPECT_EQ(req_.user, "alice");
  EXPECT_EQ(req_.token_state, FieldState::present);
  EXPECT_EQ(req_.token, "eyJh.eyJz.c2ln");
  // Blanks around and between are trimmed; what follows the name is the token whole
  // (a token has no spaces: one with a space fails verification, it is not cut).
  parse_text_line(" \t bob \t a.b.c d \t", false, "", req_, TextLogin::name_and_token);
  EXPECT_EQ(req_.user, "bob");
  EXPECT_EQ(req_.token, "a.b.c d");
  // A name alone: no token (the shard says unauthorized).
  parse_text_line("carol  ", false, "", req_, TextLogin::name_and_token);
  EXPECT_EQ(req_.user, "carol");
  EXPECT_EQ(req_.token_state, FieldState::absent);
  parse_text_line("", false, "", req_, TextLogin::name_and_token);
  EXPECT_EQ(req_.user, "");
  EXPECT_EQ(req_.token_state, FieldState::absent);
  // Without auth the line stays one name, and after login the mode is irrelevant.
  parse_text_line("dave tok", false, "", req_);
  EXPECT_EQ(req_.user, "dave tok");
  EXPECT_EQ(req_.token_state, FieldState::absent);
  ASSERT_EQ(parse_text_line("hello there", true, "lobby", req_, TextLogin::name_and_token),
            TextLine::request);
  EXPECT_EQ(req_.op, Op::msg);
  EXPECT_EQ(req_.text, "hello there");
}

// ---- commands ----

TEST_F(TextCommandTest, Join) {
  ASSERT_EQ(logged_in("/join dev"), TextLine::request);
  EXPECT_EQ(req_.op, Op::join);
  EXPECT_EQ(req_.room_state, FieldState::present);
  EXPECT_EQ(req_.room, "dev");
}

TEST_F(TextCommandTest, Leave) {
  ASSERT_EQ(logged_in("/leave lobby"), TextLine::request);
  EXPECT_EQ(req_.op, Op::leave);
  EXPECT_EQ(req_.room, "lobby");
}

TEST_F(TextCommandTest, JoinAndLeaveWorkOutsideAnyRoom) {
  ASSERT_EQ(logged_in("/join dev", ""), TextLine::request);
  EXPECT_EQ(req_.room, "dev");
  ASSERT_EQ(logged_in("/leave dev", ""), TextLine::request);
  EXPECT_EQ(req_.room, "dev");
}

TEST_F(TextCommandTest, Whisper) {
  ASSERT_EQ(logged_in("/w bob hello there"), TextLine::request);
  EXPECT_EQ(req_.op, Op::whisper);
  EXPECT_EQ(req_.to_state, FieldState::present);
  EXPECT_EQ(req_.to, "bob");
  EXPECT_EQ(req_.text_state, FieldState::present);
  EXPECT_EQ(req_.text, "hello there");
  EXPECT_EQ(req_.room_state, FieldState::absent);
}

TEST_F(TextCommandTest, WhisperKeepsInnerSpacing) {
  ASSERT_EQ(logged_in("/w bob a  b\tc"), TextLine::request);
  EXPECT_EQ(req_.text, "a  b\tc");
}

TEST_F(TextCommandTest, WhisperAliases) {
  for (std::string_view line : {"/whisper bob psst", "/msg bob psst"}) {
    SCOPED_TRACE(line);
    ASSERT_EQ(logged_in(line), TextLine::request);
    EXPECT_EQ(req_.op, Op::whisper);
    EXPECT_EQ(req_.to, "bob");
    EXPECT_EQ(req_.text, "psst");
  }
}

TEST_F(TextCommandTest, Users) {
  ASSERT_EQ(logged_in("/users"), TextLine::request);
  EXPECT_EQ(req_.op, Op::users);
  EXPECT_EQ(req_.room_state, FieldState::absent);  // everyone online, not the current room
}

TEST_F(TextCommandTest, Rooms) {
  ASSERT_EQ(logged_in("/rooms"), TextLine::request);
  EXPECT_EQ(req_.op, Op::rooms);
}

TEST_F(TextCommandTest, Help) {
  EXPECT_EQ(logged_in("/help"), TextLine::help);
  EXPECT_EQ(logged_in("/help me please"), TextLine::help);
}

TEST_F(TextCommandTest, Exit) {
  ASSERT_EQ(logged_in("/exit"), TextLine::request);
  EXPECT_EQ(req_.op, Op::bye);
  ASSERT_EQ(logged_in("/quit"), TextLine::request);
  EXPECT_EQ(req_.op, Op::bye);
}

TEST_F(TextCommandTest, UnknownCommand) {
  for (std::string_view line : {"/nope", "/", "/JOIN lobby", "/joinlobby", "/wbob hi", "//x", "/help/"}) {
    SCOPED_TRACE(line);
    EXPECT_EQ(logged_in(line), TextLine::unknown_command);
  }
}

TEST_F(TextCommandTest, MissingArguments) {
  for (std::string_view line : {"/join", "/join ", "/join   \t", "/leave", "/w", "/w bob", "/w bob   ", "/whisper",
                                "/msg bob"}) {
    SCOPED_TRACE(line);
    EXPECT_EQ(logged_in(line), TextLine::missing_argument);
  }
}

// ---- plain lines ----

TEST_F(TextCommandTest, PlainTextGoesToTheCurrentRoom) {
  ASSERT_EQ(logged_in("hello everyone", "dev"), TextLine::request);
  EXPECT_EQ(req_.op, Op::msg);
  EXPECT_EQ(req_.room_state, FieldState::present);
  EXPECT_EQ(req_.room, "dev");
  EXPECT_EQ(req_.text_state, FieldState::present);
  EXPECT_EQ(req_.text, "hello everyone");
}

TEST_F(TextCommandTest, PlainTextIsKeptVerbatim) {
  // Only a line that starts with '/' is a command; a message keeps its spaces.
  for (std::string_view line : {"  indented", "trailing  ", " /join dev", "a/b", "caf\xc3\xa9", "{\"op\":\"x\"}"}) {
    SCOPED_TRACE(line);
    ASSERT_EQ(logged_in(line), TextLine::request);
    EXPECT_EQ(req_.op, Op::msg);
    EXPECT_EQ(req_.text, line);
  }
}

TEST_F(TextCommandTest, PlainTextInNoRoom) {
  // No current room: nothing to send; the session answers not_in_room.
  EXPECT_EQ(logged_in("anyone?", ""), TextLine::no_room);
}

TEST_F(TextCommandTest, EmptyLines) {
  for (std::string_view line : {"", " ", "   ", "\t", " \t "}) {
    SCOPED_TRACE(testing::PrintToString(std::string(line)));
    EXPECT_EQ(logged_in(line), TextLine::empty);
  }
}

// ---- extra spaces ----

TEST_F(TextCommandTest, ExtraSpacesAroundArguments) {
  ASSERT_EQ(logged_in("/join    dev   "), TextLine::request);
  EXPECT_EQ(req_.room, "dev");
  ASSERT_EQ(logged_in("/join\tdev"), TextLine::request);
  EXPECT_EQ(req_.room, "dev");
  ASSERT_EQ(logged_in("/leave  lobby "), TextLine::request);
  EXPECT_EQ(req_.room, "lobby");
  ASSERT_EQ(logged_in("/w   bob    hi there   "), TextLine::request);
  EXPECT_EQ(req_.to, "bob");
  EXPECT_EQ(req_.text, "hi there");
  ASSERT_EQ(logged_in("/users   "), TextLine::request);
  EXPECT_EQ(req_.op, Op::users);
  ASSERT_EQ(logged_in("/rooms \t"), TextLine::request);
  EXPECT_EQ(req_.op, Op::rooms);
  EXPECT_EQ(logged_in("/help  "), TextLine::help);
  ASSERT_EQ(logged_in("/exit "), TextLine::request);
  EXPECT_EQ(req_.op, Op::bye);
}

TEST_F(TextCommandTest, JoinTakesTheFirstWordOnly) {
  // The room name check (bad_room) is the session's; the parser takes one word.
  ASSERT_EQ(logged_in("/join dev extra words"), TextLine::request);
  EXPECT_EQ(req_.room, "dev");
}

TEST_F(TextCommandTest, JoinWithSinceAndEpochAsksForRecovery) {
  ASSERT_EQ(logged_in("/join dev 17 1718000000123456"), TextLine::request);
  EXPECT_EQ(req_.room, "dev");
  EXPECT_TRUE(req_.has_since);
  EXPECT_EQ(req_.since, 17);
  EXPECT_TRUE(req_.has_epoch);
  EXPECT_EQ(req_.epoch, 1718000000123456);
  // Anything but two numbers is ignored, as other words after the room are.
  for (std::string_view line : {"/join dev 17", "/join dev x 5", "/join dev 17 -5", "/join dev 1 2e3", "/leave dev 1 2"}) {
    SCOPED_TRACE(line);
    ASSERT_EQ(logged_in(line), TextLine::request);
    EXPECT_EQ(req_.room, "dev");
    EXPECT_FALSE(req_.has_since);
  }
}

TEST_F(TextCommandTest, RequestIsResetBetweenLines) {
  ASSERT_EQ(logged_in("/w bob hi"), TextLine::request);
  ASSERT_EQ(logged_in("/rooms"), TextLine::request);
  EXPECT_EQ(req_.to_state, FieldState::absent);
  EXPECT_EQ(req_.text_state, FieldState::absent);
  EXPECT_TRUE(req_.rid.empty());
  EXPECT_EQ(logged_in(""), TextLine::empty);
  EXPECT_EQ(req_.room_state, FieldState::absent);
}

TEST_F(TextCommandTest, ViewsPointIntoTheLine) {
  // No copies: the request's strings are views of the caller's line.
  const std::string line = "/w bob hi";
  ASSERT_EQ(logged_in(line), TextLine::request);
  EXPECT_EQ(req_.to.data(), line.data() + 3);
  EXPECT_EQ(req_.text.data(), line.data() + 7);
}

}  // namespace
}  // namespace chatd::proto
