#include "net/outbound_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace chatd::net {
namespace {

std::string gathered(const OutboundQueue& q) {
  iovec iov[16];
  int n = q.gather(iov, 16);
  std::string s;
  for (int i = 0; i < n; ++i) s.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return s;
}

TEST(OutboundQueue, GathersConsumesAndReleases) {
  OutboundQueue q;
  EventBuffer* a = EventBuffer::create("hello\n");
  EventBuffer* b = EventBuffer::create("world\n");
  a->retain();  // the test keeps one reference to watch it
  q.push(a, a->json(), false);
  q.push(b, b->json(), true);
  EXPECT_EQ(q.bytes(), 12u);
  EXPECT_EQ(gathered(q), "hello\nworld\n");
  q.consume(3);
  EXPECT_EQ(gathered(q), "lo\nworld\n");
  EXPECT_EQ(q.bytes(), 9u);
  q.consume(3);  // a is fully sent and released by the queue
  EXPECT_EQ(gathered(q), "world\n");
  q.consume(6);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  a->release();
}

TEST(OutboundQueue, GrowsAndWrapsInOrder) {
  OutboundQueue q;
  std::string expect;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 7; ++i) {
      std::string s = std::to_string(round) + ":" + std::to_string(i) + ";";
      EventBuffer* e = EventBuffer::create(s);
      q.push(e, e->json(), false);
      expect += s;
    }
    std::string got = gathered(q);
    ASSERT_EQ(got, expect.substr(0, got.size()));
    q.consume(5);
    expect.erase(0, 5);
  }
  q.clear();
  EXPECT_TRUE(q.empty());
}

TEST(OutboundQueue, DropDroppableKeepsRepliesAndAPartlySentHead) {
  OutboundQueue q;
  for (auto [text, droppable] : {std::pair{"b1\n", true}, {"r1\n", false}, {"b2\n", true}, {"r2\n", false}}) {
    EventBuffer* e = EventBuffer::create(text);
    q.push(e, e->json(), droppable);
  }
  q.consume(1);  // head b1 partly sent: must survive
  EXPECT_EQ(q.drop_droppable(0), 1u);
  EXPECT_EQ(gathered(q), "1\nr1\nr2\n");
  EXPECT_EQ(q.bytes(), 8u);
}

TEST(OutboundQueue, DropDroppableSparesEntriesOfASendInFlight) {
  OutboundQueue q;
  for (const char* text : {"b1\n", "b2\n", "b3\n"}) {
    EventBuffer* e = EventBuffer::create(text);
    q.push(e, e->json(), true);
  }
  EXPECT_EQ(q.drop_droppable(2), 1u);  // the kernel may still be reading b1 and b2
  EXPECT_EQ(gathered(q), "b1\nb2\n");
}

TEST(OutboundQueue, TextAndJsonPartsOfOneBuffer) {
  EventBuffer* e = EventBuffer::create("{\"ev\":\"msg\"}\n", "[lobby] a: hi\n", {"lobby", 7, 0}, 2);
  EXPECT_EQ(e->room(), "lobby");
  EXPECT_EQ(e->exclude_session(), 7u);
  OutboundQueue json_q, text_q;
  json_q.push(e, e->json(), true);
  text_q.push(e, e->text(), true);
  EXPECT_EQ(gathered(json_q), "{\"ev\":\"msg\"}\n");
  EXPECT_EQ(gathered(text_q), "[lobby] a: hi\n");
}

}  // namespace
}  // namespace chatd::net
