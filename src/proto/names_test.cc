// Name rules: users ^[A-Za-z0-9_.-]{1,32}$, rooms ^[A-Za-z0-9_.-]{1,64}$, byte for byte.
#include "proto/names.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace chatd::proto {
namespace {

static_assert(valid_user_name("alice"));
static_assert(!valid_user_name(""));
static_assert(valid_room_name("lobby"));

bool allowed_by_the_contract(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

TEST(Names, UserNameLengths) {
  EXPECT_FALSE(valid_user_name(""));
  EXPECT_TRUE(valid_user_name("a"));
  EXPECT_TRUE(valid_user_name(std::string(31, 'u')));
  EXPECT_TRUE(valid_user_name(std::string(32, 'u')));
  EXPECT_FALSE(valid_user_name(std::string(33, 'u')));
  EXPECT_FALSE(valid_user_name(std::string(64, 'u')));
  EXPECT_EQ(kMaxUserName, 32u);
}

TEST(Names, RoomNameLengths) {
  EXPECT_FALSE(valid_room_name(""));
  EXPECT_TRUE(valid_room_name("r"));
  EXPECT_TRUE(valid_room_name(std::string(33, 'r')));  // longer than any user name
  EXPECT_TRUE(valid_room_name(std::string(64, 'r')));
  EXPECT_FALSE(valid_room_name(std::string(65, 'r')));
  EXPECT_EQ(kMaxRoomName, 64u);
}

TEST(Names, EveryAllowedCharacterClass) {
  for (std::string_view name : {"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789", "_",
                                ".", "-", "a.b-c_d", "..", "--", "_-.", "0", "Alice_99", "x.y"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(valid_user_name(name));
    EXPECT_TRUE(valid_room_name(name));
  }
}

// Every one of the 256 byte values, alone and inside an otherwise good name.
TEST(Names, EveryByteValue) {
  for (int b = 0; b < 256; ++b) {
    const char c = char(b);
    SCOPED_TRACE("byte " + std::to_string(b));
    const bool allowed = allowed_by_the_contract(static_cast<unsigned char>(b));
    EXPECT_EQ(is_name_char(c), allowed);
    EXPECT_EQ(valid_user_name(std::string_view(&c, 1)), allowed);
    EXPECT_EQ(valid_room_name(std::string_view(&c, 1)), allowed);
    const std::string inside = std::string("ab") + c + "cd";
    EXPECT_EQ(valid_user_name(inside), allowed);
    EXPECT_EQ(valid_room_name(inside), allowed);
  }
}

TEST(Names, DisallowedCharacters) {
  using namespace std::string_literals;
  for (const std::string& name : {"al ice"s, " alice"s, "alice "s, "a/b"s, "/join"s, "al\xc3\xa9"s /* é */,
                                  "\xe2\x82\xac"s /* € */, "\xf0\x9f\x98\x80"s /* emoji */, "a@b"s, "@"s,
                                  "a\0b"s, "\0"s, "alice\0"s, "a\tb"s, "a\nb"s, "a+b"s, "a:b"s, "a\"b"s,
                                  "a\\b"s, "a,b"s, "a*b"s, "\x7f"s}) {
    SCOPED_TRACE(testing::PrintToString(name));
    EXPECT_FALSE(valid_user_name(name));
    EXPECT_FALSE(valid_room_name(name));
  }
}

TEST(Names, CaseIsKept) {
  // Case-sensitive names: both spellings are valid (and distinct for the caller).
  EXPECT_TRUE(valid_user_name("Alice"));
  EXPECT_TRUE(valid_user_name("alice"));
  EXPECT_TRUE(valid_room_name("LOBBY"));
}

TEST(Names, BadByteAtEitherEndOfAMaximalName) {
  std::string user(kMaxUserName - 1, 'u');
  EXPECT_FALSE(valid_user_name(user + "/"));
  EXPECT_FALSE(valid_user_name("/" + user));
  std::string room(kMaxRoomName - 1, 'r');
  EXPECT_FALSE(valid_room_name(room + " "));
  EXPECT_FALSE(valid_room_name(" " + room));
  EXPECT_TRUE(valid_room_name(room + "."));
}

}  // namespace
}  // namespace chatd::proto
