#include "net/connection_writer.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "net/outbound_queue.h"

namespace chatd::net {
namespace {

// A queue of separate chunks: one iovec per chunk, like OutboundQueue's entries.
class ChunkQueue {
 public:
  void push(std::string s) { chunks_.push_back(std::move(s)); }
  bool empty() const { return chunks_.empty(); }
  int gather(iovec* iov, int max) {
    int n = 0;
    for (std::size_t i = 0; i < chunks_.size() && n < max; ++i, ++n) {
      const std::size_t skip = i == 0 ? head_sent_ : 0;
      iov[n] = {chunks_[i].data() + skip, chunks_[i].size() - skip};
    }
    return n;
  }
  void consume(std::size_t n) {
    while (n > 0) {
      const std::size_t left = chunks_.front().size() - head_sent_;
      if (n < left) {
        head_sent_ += n;
        return;
      }
      n -= left;
      head_sent_ = 0;
      chunks_.pop_front();
    }
  }

 private:
  std::deque<std::string> chunks_;  // a deque: pushing never moves bytes a send reads
  std::size_t head_sent_ = 0;
};

struct TestConn {
  reactor::ConnKey key;
  int fd;
  SendState send;
  ChunkQueue out;
};

struct Sent {
  reactor::ConnKey key;
  int fd;
  std::string bytes;
  std::size_t iovecs;
};

// Records sends; everything else is unused by the writer.
class FakeReactor final : public reactor::Reactor {
 public:
  std::vector<Sent> sent;

  std::string_view name() const override { return "fake"; }
  void listen(int) override {}
  void pause_accept() override {}
  void resume_accept() override {}
  void start_recv(reactor::ConnKey, int) override {}
  void stop_recv(reactor::ConnKey, int) override {}
  void send(reactor::ConnKey key, int fd, std::span<const iovec> iov) override {
    Sent s{key, fd, {}, iov.size()};
    for (const iovec& v : iov) s.bytes.append(static_cast<const char*>(v.iov_base), v.iov_len);
    sent.push_back(std::move(s));
  }
  void close(reactor::ConnKey, int) override {}
  void watch_wakeup(int) override {}
  void poll(reactor::Handler&, Nanos) override {}
};

static_assert(SendQueue<OutboundQueue>, "the shard's queue fits the writer unchanged");
static_assert(WritableConnection<TestConn>);

TEST(ConnectionWriter, SendsWhatWasQueuedOnceAndOnlyForDirtyConnections) {
  FakeReactor reactor;
  ConnectionWriter<TestConn> writer;
  TestConn a{1, 10, {}, {}}, b{2, 20, {}, {}};
  a.out.push("hello ");
  a.out.push("world\n");
  b.out.push("unlisted\n");
  writer.mark_dirty(a);
  writer.mark_dirty(a);  // listed once however often it is marked
  EXPECT_TRUE(writer.has_dirty());
  writer.flush(reactor);
  EXPECT_FALSE(writer.has_dirty());
  ASSERT_EQ(reactor.sent.size(), 1u);
  EXPECT_EQ(reactor.sent[0].key, 1u);
  EXPECT_EQ(reactor.sent[0].fd, 10);
  EXPECT_EQ(reactor.sent[0].bytes, "hello world\n");
  EXPECT_EQ(reactor.sent[0].iovecs, 2u);
  EXPECT_TRUE(a.send.in_flight);
  EXPECT_EQ(a.send.in_flight_iov, 2);

  EXPECT_EQ(writer.on_send_done(a, 12), SendDone::drained);
  EXPECT_FALSE(a.send.in_flight);
  EXPECT_EQ(a.send.in_flight_iov, 0);
  EXPECT_TRUE(a.out.empty());
  writer.flush(reactor);
  EXPECT_EQ(reactor.sent.size(), 1u) << "nothing listed, nothing sent";
}

TEST(ConnectionWriter, APartialWriteSendsTheRestOnTheNextFlush) {
  FakeReactor reactor;
  ConnectionWriter<TestConn> writer;
  TestConn c{7, 3, {}, {}};
  c.out.push("abcdef");
  c.out.push("ghij");
  writer.mark_dirty(c);
  writer.flush(reactor);
  EXPECT_EQ(writer.on_send_done(c, 4), SendDone::more);
  EXPECT_TRUE(c.send.dirty) << "listed again by the writer itself";
  writer.flush(reactor);
  ASSERT_EQ(reactor.sent.size(), 2u);
  EXPECT_EQ(reactor.sent[1].bytes, "efghij");
  EXPECT_EQ(writer.on_send_done(c, 0), SendDone::more) << "0 bytes (epoll: try again) is a partial write";
  writer.flush(reactor);
  ASSERT_EQ(reactor.sent.size(), 3u);
  EXPECT_EQ(reactor.sent[2].bytes, "efghij");
  EXPECT_EQ(writer.on_send_done(c, 6), SendDone::drained);
}

TEST(ConnectionWriter, BytesQueuedDuringAFlightWaitForItToComplete) {
  FakeReactor reactor;
  ConnectionWriter<TestConn> writer;
  TestConn c{7, 3, {}, {}};
  c.out.push("first\n");
  writer.mark_dirty(c);
  writer.flush(reactor);
  c.out.push("second\n");
  writer.mark_dirty(c);  // re-dirtied while the kernel still reads "first"
  writer.flush(reactor);
  ASSERT_EQ(reactor.sent.size(), 1u) << "at most one send in flight per connection";
  EXPECT_FALSE(c.send.dirty);
  EXPECT_EQ(writer.on_send_done(c, 6), SendDone::more);
  writer.flush(reactor);
  ASSERT_EQ(reactor.sent.size(), 2u);
  EXPECT_EQ(reactor.sent[1].bytes, "second\n");
  EXPECT_EQ(writer.on_send_done(c, 7), SendDone::drained);
}

TEST(ConnectionWriter, AConnectionClosedDuringAFlightIsReportedClosedAndNotSentTo) {
  FakeReactor reactor;
  ConnectionWriter<TestConn> writer;
  TestConn c{7, 3, {}, {}};
  c.out.push("bye\n");
  writer.mark_dirty(c);
  writer.flush(reactor);
  c.out.push("more\n");
  writer.mark_dirty(c);
  c.fd = -1;  // the owner closed it; the kernel still holds the iovecs
  writer.flush(reactor);
  EXPECT_EQ(reactor.sent.size(), 1u);
  EXPECT_EQ(writer.on_send_done(c, -ECANCELED), SendDone::closed);
  EXPECT_FALSE(c.send.in_flight);
  EXPECT_FALSE(c.send.dirty) << "not listed again: its memory may go now";
  EXPECT_FALSE(c.out.empty()) << "the owner frees the queue, the writer does not consume it";
}

TEST(ConnectionWriter, AFailedSendIsReportedAndNothingIsConsumed) {
  FakeReactor reactor;
  ConnectionWriter<TestConn> writer;
  TestConn c{7, 3, {}, {}};
  c.out.push("x\n");
  writer.mark_dirty(c);
  writer.flush(reactor);
  EXPECT_EQ(writer.on_send_done(c, -EPIPE), SendDone::failed);
  EXPECT_FALSE(c.send.dirty);
  EXPECT_FALSE(c.out.empty());
}

TEST(ConnectionWriter, ASendCarriesAtMostKMaxSendIovIovecs) {
  FakeReactor reactor;
  ConnectionWriter<TestConn> writer;
  TestConn c{7, 3, {}, {}};
  std::string all;
  for (int i = 0; i < 100; ++i) {
    c.out.push(std::to_string(i) + ";");
    all += std::to_string(i) + ";";
  }
  writer.mark_dirty(c);
  writer.flush(reactor);
  ASSERT_EQ(reactor.sent.size(), 1u);
  EXPECT_EQ(reactor.sent[0].iovecs, std::size_t(reactor::kMaxSendIov));
  EXPECT_EQ(c.send.in_flight_iov, reactor::kMaxSendIov);
  std::string got = reactor.sent[0].bytes;
  EXPECT_EQ(writer.on_send_done(c, int(got.size())), SendDone::more);
  writer.flush(reactor);
  ASSERT_EQ(reactor.sent.size(), 2u);
  EXPECT_EQ(reactor.sent[1].iovecs, 100u - reactor::kMaxSendIov);
  got += reactor.sent[1].bytes;
  EXPECT_EQ(got, all);
  EXPECT_EQ(writer.on_send_done(c, int(reactor.sent[1].bytes.size())), SendDone::drained);
}

TEST(ConnectionWriter, ForgetUnlistsAConnectionBeforeItsMemoryGoes) {
  FakeReactor reactor;
  ConnectionWriter<TestConn> writer;
  TestConn a{1, 10, {}, {}}, b{2, 20, {}, {}};
  a.out.push("a\n");
  b.out.push("b\n");
  writer.mark_dirty(a);
  writer.mark_dirty(b);
  writer.forget(a);
  writer.forget(a);  // harmless when not listed
  EXPECT_FALSE(a.send.dirty);
  writer.flush(reactor);
  ASSERT_EQ(reactor.sent.size(), 1u);
  EXPECT_EQ(reactor.sent[0].key, 2u);
}

// The shard's connection shape: net::OutboundQueue over shared EventBuffers.
struct QueueConn {
  reactor::ConnKey key = 5;
  int fd = 9;
  SendState send;
  OutboundQueue out;
};

TEST(ConnectionWriter, DrivesAnOutboundQueue) {
  FakeReactor reactor;
  ConnectionWriter<QueueConn> writer;
  QueueConn c;
  for (const char* line : {"{\"ev\":\"a\"}\n", "{\"ev\":\"b\"}\n"}) {
    EventBuffer* e = EventBuffer::create(line);
    c.out.push(e, e->json(), false);
  }
  writer.mark_dirty(c);
  writer.flush(reactor);
  ASSERT_EQ(reactor.sent.size(), 1u);
  EXPECT_EQ(reactor.sent[0].bytes, "{\"ev\":\"a\"}\n{\"ev\":\"b\"}\n");
  EXPECT_EQ(c.send.in_flight_iov, 2) << "one iovec per entry: what drop_droppable(in_flight) needs";
  EXPECT_EQ(writer.on_send_done(c, 18), SendDone::more);  // all of a, 7 bytes of b
  writer.flush(reactor);
  ASSERT_EQ(reactor.sent.size(), 2u);
  EXPECT_EQ(reactor.sent[1].bytes, "b\"}\n");
  EXPECT_EQ(writer.on_send_done(c, 4), SendDone::drained);
  EXPECT_EQ(c.out.bytes(), 0u);
}

}  // namespace
}  // namespace chatd::net
