// LoginDeadlines: due entries come out soonest first, late arrivals with earlier
// deadlines (adopted connections) are ordered in, and compaction keeps the bound.
#include "shard/login_deadlines.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace chatd::shard {
namespace {

std::vector<reactor::ConnKey> expire(LoginDeadlines& d, Nanos now) {
  std::vector<reactor::ConnKey> out;
  d.expire(now, [&](reactor::ConnKey k) { out.push_back(k); });
  return out;
}

TEST(LoginDeadlines, DueEntriesComeOutInDeadlineOrder) {
  LoginDeadlines d;
  d.add(1, 100);
  d.add(2, 200);
  d.add(3, 300);
  EXPECT_EQ(expire(d, 99), std::vector<reactor::ConnKey>{});
  EXPECT_EQ(d.next(), 100);
  EXPECT_EQ(expire(d, 200), (std::vector<reactor::ConnKey>{1, 2}));
  EXPECT_EQ(d.size(), 1u);
  EXPECT_EQ(expire(d, 1000), std::vector<reactor::ConnKey>{3});
  EXPECT_TRUE(d.empty());
}

TEST(LoginDeadlines, AnEarlierDeadlineAddedLateIsOrderedIn) {
  LoginDeadlines d;
  d.add(1, 100);
  d.add(2, 300);
  d.add(3, 400);
  d.add(4, 200);  // adopted: its accept was before 2's and 3's
  d.add(5, 300);  // equal deadlines keep the order they came in
  d.add(6, 50);
  EXPECT_EQ(expire(d, 300), (std::vector<reactor::ConnKey>{6, 1, 4, 2, 5}));
  EXPECT_EQ(expire(d, 400), std::vector<reactor::ConnKey>{3});
}

TEST(LoginDeadlines, CompactionDropsOnlyStaleEntries) {
  LoginDeadlines d;
  for (reactor::ConnKey k = 0; k < 1000; ++k) d.add(k, Nanos(k));
  // 10 connections still wait; the rest logged in or closed.
  std::set<reactor::ConnKey> waiting = {3, 99, 100, 500, 501, 502, 700, 998, 999, 0};
  EXPECT_FALSE(d.needs_compaction(1000));
  EXPECT_TRUE(d.needs_compaction(waiting.size()));
  d.drop_if([&](reactor::ConnKey k) { return !waiting.contains(k); });
  EXPECT_EQ(d.size(), waiting.size());
  EXPECT_FALSE(d.needs_compaction(waiting.size()));
  std::vector<reactor::ConnKey> due = expire(d, 10'000);
  EXPECT_EQ(due, std::vector<reactor::ConnKey>(waiting.begin(), waiting.end()));
}

}  // namespace
}  // namespace chatd::shard
