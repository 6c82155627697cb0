#include "chat/request_checks.h"

#include <gtest/gtest.h>

#include <string>

namespace chatd::chat {
namespace {

using proto::ErrorCode;
using proto::FieldState;
using proto::Op;

constexpr RequestLimits kLimits{/*max_text=*/10, /*max_rooms=*/2, /*rate_limit=*/1};

proto::Request msg(std::string_view room, std::string_view text) {
  proto::Request r;
  r.op = Op::msg;
  r.room_state = FieldState::present;
  r.room = room;
  r.text_state = FieldState::present;
  r.text = text;
  return r;
}

struct Checker {
  TokenBucket bucket;
  Sender sender{true, "alice", true, 1, &bucket, kSeconds};
  std::optional<ErrorCode> operator()(const proto::Request& r, RequestLimits limits = kLimits) {
    auto refusal = check_request(r, sender, limits);
    if (!refusal) return std::nullopt;
    EXPECT_FALSE(refusal->message.empty());
    return refusal->code;
  }
};

TEST(RequestChecks, AcceptedMsgSpendsAToken) {
  Checker check;
  EXPECT_EQ(check(msg("dev", "hi")), std::nullopt);
  EXPECT_EQ(check(msg("dev", "hi")), std::nullopt);  // burst of 2
  EXPECT_EQ(check(msg("dev", "hi")), ErrorCode::rate_limited);
}

TEST(RequestChecks, TheContractsOrderBadRoomNotInRoomTooLongRateLimited) {
  Checker check;
  check.sender.in_room = false;
  proto::Request r = msg("bad room!", "far too long a text");
  r.has_id = true;
  std::string long_id(65, 'x');
  r.id = long_id;
  EXPECT_EQ(check(r), ErrorCode::bad_room);
  r.room = "dev";
  EXPECT_EQ(check(r), ErrorCode::not_in_room);
  check.sender.in_room = true;
  EXPECT_EQ(check(r), ErrorCode::too_long);  // the text
  r.text = "short";
  EXPECT_EQ(check(r), ErrorCode::too_long);  // the id
  r.id = std::string_view(long_id).substr(0, 64);
  // None of the refusals above spent a token: the burst of two is whole.
  EXPECT_EQ(check(r), std::nullopt);
  EXPECT_EQ(check(r), std::nullopt);
  EXPECT_EQ(check(r), ErrorCode::rate_limited);
}

TEST(RequestChecks, MissingTextIsBadJsonAfterMembership) {
  Checker check;
  proto::Request r = msg("dev", "");
  r.text_state = FieldState::wrong_type;
  EXPECT_EQ(check(r), ErrorCode::bad_json);
  check.sender.in_room = false;
  EXPECT_EQ(check(r), ErrorCode::not_in_room);
}

TEST(RequestChecks, NotLoggedInComesBeforeTheOpsOwnChecks) {
  Checker check;
  check.sender.logged_in = false;
  EXPECT_EQ(check(msg("bad room!", "x")), ErrorCode::not_logged_in);
  proto::Request ping;
  ping.op = Op::ping;
  EXPECT_EQ(check(ping), std::nullopt);
  proto::Request hello;
  hello.op = Op::hello;
  EXPECT_EQ(check(hello), ErrorCode::bad_name);
  hello.user_state = FieldState::present;
  hello.user = "bob";
  EXPECT_EQ(check(hello), std::nullopt);
  check.sender.logged_in = true;
  EXPECT_EQ(check(hello), ErrorCode::already_logged_in);
}

TEST(RequestChecks, JoinRoomLimitSparesRoomsAlreadyJoined) {
  Checker check;
  proto::Request join = msg("dev", {});
  join.op = Op::join;
  check.sender.rooms = 2;
  check.sender.in_room = false;
  EXPECT_EQ(check(join), ErrorCode::too_many_rooms);
  check.sender.in_room = true;
  EXPECT_EQ(check(join), std::nullopt);
  join.room = "";
  EXPECT_EQ(check(join), ErrorCode::bad_room);
}

TEST(RequestChecks, Whisper) {
  Checker check;
  proto::Request w;
  w.op = Op::whisper;
  EXPECT_EQ(check(w), ErrorCode::no_such_user);
  w.to_state = FieldState::present;
  w.to = "alice";
  EXPECT_EQ(check(w), ErrorCode::self_whisper);
  w.to = "bob";
  EXPECT_EQ(check(w), ErrorCode::bad_json);
  w.text_state = FieldState::present;
  w.text = "0123456789!";
  EXPECT_EQ(check(w), ErrorCode::too_long);
  w.text = "psst";
  EXPECT_EQ(check(w), std::nullopt);
}

TEST(RequestChecks, TypingAndUsersAndHistory) {
  Checker check;
  proto::Request r = msg("dev", {});
  r.op = Op::typing;
  r.text_state = FieldState::absent;
  EXPECT_EQ(check(r, {10, 2, 0}), std::nullopt);  // no text needed; rate limit off
  r.op = Op::users;
  check.sender.in_room = false;
  EXPECT_EQ(check(r), std::nullopt);  // users of a room needs no membership
  r.room_state = FieldState::wrong_type;
  EXPECT_EQ(check(r), ErrorCode::bad_room);
  r.room_state = FieldState::absent;
  EXPECT_EQ(check(r), std::nullopt);
  r.op = Op::history;
  r.room_state = FieldState::present;
  EXPECT_EQ(check(r), ErrorCode::not_in_room);
}

TEST(HistoryWindow, ClampsSinceAndLimit) {
  proto::Request r;
  r.since = -5;
  r.limit = 5000;
  HistoryWindow w = history_window(r);
  EXPECT_EQ(w.since, 0u);
  EXPECT_EQ(w.limit, kMaxHistoryLimit);
  r.limit = -1;
  EXPECT_EQ(history_window(r).limit, 0u);
}

}  // namespace
}  // namespace chatd::chat
