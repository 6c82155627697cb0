// A msg's way through a real shard makes no heap allocation in steady state, for
// JSON-lines and WebSocket members alike:
// parse → checks → the room's owner (the same shard: a direct call; another: a
// Publish block from the sender's pool) → encoded once into a pooled EventBuffer →
// queued for every member → sent → the buffer back to its pool, from whichever
// shard dropped it last.
//
// The test counts every malloc in the process: it replaces malloc and friends
// (operator new goes through malloc) with counting versions that call glibc's. So it
// is not built under a sanitizer, which owns malloc itself.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "shard/test_support.h"

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}

namespace {
std::atomic<uint64_t> g_allocations{0};
void counted() { g_allocations.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

extern "C" {
void* malloc(std::size_t n) {
  counted();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  counted();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  counted();
  return __libc_realloc(p, n);
}
void* memalign(std::size_t align, std::size_t n) {
  counted();
  return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) { return memalign(align, n); }
int posix_memalign(void** out, std::size_t align, std::size_t n) {
  void* p = memalign(align, n);
  if (!p) return 12;  // ENOMEM
  *out = p;
  return 0;
}
void free(void* p) { __libc_free(p); }
}

namespace chatd::shard::testing {
namespace {

constexpr int kWarmUp = 1200;  // past the history ring (1000): from then on every msg evicts one
constexpr int kMeasured = 1000;

struct Member {
  explicit Member(uint16_t port, const std::string& user) : client(port) {
    client.send(request("{\"op\":\"hello\",\"user\":\"" + user + "\"}"));
    client.read_until("\"welcome\"");
  }
  static std::string request(std::string_view json) { return std::string(json) + "\n"; }
  LineClient client;
};

// The same over WebSocket: requests in masked text frames, events in text frames
// whose bytes every WebSocket member's queue shares.
struct WsMember {
  explicit WsMember(uint16_t port, const std::string& user) : client(port) {
    client.send(request("{\"op\":\"hello\",\"user\":\"" + user + "\"}"));
    client.read_until("\"welcome\"");
  }
  static std::string request(std::string_view json) { return WsFrameClient::frame(json); }
  WsFrameClient client;
};

// Sends `n` msgs from `from`, one at a time; every member reads each echo before
// the next is sent. The frame is built once, so the client allocates nothing.
template <class From, class Other>
void exchange(From& from, Other& other, const std::string& frame, int n) {
  for (int i = 0; i < n; ++i) {
    from.client.send(frame);
    from.client.read_until("\"ev\":\"msg\"");
    other.client.read_until("\"ev\":\"msg\"");
  }
}

// One room, two members on different shards, `from` sending. Returns the
// allocations made while kMeasured msgs went through.
template <class From, class Other>
uint64_t allocations_per_run(From& from, Other& other, const std::string& room) {
  from.client.send(From::request("{\"op\":\"join\",\"room\":\"" + room + "\"}"));
  from.client.read_until("\"joined\"");
  other.client.send(Other::request("{\"op\":\"join\",\"room\":\"" + room + "\"}"));
  other.client.read_until("\"joined\"");
  from.client.read_until("\"user_joined\"");
  const std::string frame = From::request("{\"op\":\"msg\",\"room\":\"" + room +
                                          "\",\"text\":\"hello everyone, a message of some ordinary length\",\"id\":\"c1\","
                                          "\"ts\":1718000000123}");
  exchange(from, other, frame, kWarmUp);
  const uint64_t before = g_allocations.load();
  exchange(from, other, frame, kMeasured);
  return g_allocations.load() - before;
}

TEST(MessagePath, NoAllocationPerMsgWhenTheOwnerIsTheSendersShard) {
  InProcessServer server(2);
  Member alice(server.port(), name_on_shard("alice", 0, 2));
  Member bob(server.port(), name_on_shard("bob", 1, 2));
  // Owned by alice's home: parse, sequence and encode on one shard, with a
  // broadcast to bob's shard and the buffers coming back from it.
  EXPECT_EQ(allocations_per_run(alice, bob, name_on_shard("here", 0, 2)), 0u);
  EXPECT_EQ(server.stats(1).messages_delivered.get(), uint64_t(kWarmUp + kMeasured));
}

TEST(MessagePath, NoAllocationPerMsgWhenTheOwnerIsAnotherShard) {
  InProcessServer server(2);
  Member alice(server.port(), name_on_shard("alice", 0, 2));
  Member bob(server.port(), name_on_shard("bob", 1, 2));
  // Owned by bob's shard: alice's msgs cross over in Publish blocks from her
  // shard's pool, and come back as broadcasts.
  EXPECT_EQ(allocations_per_run(alice, bob, name_on_shard("there", 1, 2)), 0u);
  EXPECT_EQ(server.stats(0).messages_delivered.get(), uint64_t(kWarmUp + kMeasured));
}

TEST(MessagePath, NoAllocationPerMsgBetweenWebSocketMembers) {
  InProcessServer server(2);
  WsMember alice(server.port(), name_on_shard("alice", 0, 2));
  WsMember bob(server.port(), name_on_shard("bob", 1, 2));
  // Frames unmasked in the receive buffer, parsed there; the event framed once
  // when it is encoded, that frame queued for both.
  EXPECT_EQ(allocations_per_run(alice, bob, name_on_shard("wshere", 0, 2)), 0u);
  EXPECT_EQ(allocations_per_run(alice, bob, name_on_shard("wsthere", 1, 2)), 0u);
}

TEST(MessagePath, NoAllocationPerMsgInARoomOfJsonAndWebSocketMembers) {
  InProcessServer server(2);
  Member alice(server.port(), name_on_shard("alice", 0, 2));
  WsMember bob(server.port(), name_on_shard("bob", 1, 2));
  EXPECT_EQ(allocations_per_run(alice, bob, name_on_shard("mixed", 1, 2)), 0u);
  EXPECT_EQ(server.stats(1).messages_delivered.get(), uint64_t(kWarmUp + kMeasured));
}

// The count is real: the same window with a std::string per msg sees them.
TEST(MessagePath, TheCounterSeesAllocations) {
  const uint64_t before = g_allocations.load();
  for (int i = 0; i < 10; ++i) {
    std::string s(100, char('a' + i));
    EXPECT_EQ(s.size(), 100u);
  }
  EXPECT_GE(g_allocations.load() - before, 10u);
}

}  // namespace
}  // namespace chatd::shard::testing
