// The send side of a connection, written once: which connections have bytes to
// send this turn, one send in flight per connection, partial writes, and what to
// do when a send completes. The shard (over net::OutboundQueue) and loadgen's
// workers and sink (over their own byte buffers) all drive their sends with it.
//
// The loop, per turn:
//   writer.mark_dirty(c)          whenever bytes are queued on c (cheap, idempotent)
//   writer.flush(reactor)         once per turn, before the reactor polls: starts one
//                                 send per listed connection that has none in flight
//   writer.on_send_done(c, res)   from Handler::on_send_done; says what the owner does next
//   writer.forget(c)              before c's memory is freed or reused
//
// What a connection must offer (WritableConnection, checked at compile time):
//   c.key   reactor::ConnKey      handed to reactor.send
//   c.fd    int                   the socket; < 0 once the owner closed it
//   c.send  net::SendState        the writer's state for c; the owner only reads it
//   c.out   a SendQueue:
//     q.empty()              no unsent bytes
//     q.gather(iov, max)     the next unsent bytes as at most `max` iovecs (head
//                            first), returns the count. The bytes must stay valid
//                            and unchanged until the following consume(): the
//                            kernel reads them while the send is in flight. The
//                            writer calls it only when no send is in flight.
//     q.consume(n)           the kernel took the first n gathered bytes
//   net::OutboundQueue fits as it is (one iovec per queued entry, so
//   c.send.in_flight_iov is the number of entries the kernel is reading).
//
// Threading: one writer per reactor, used only on that reactor's thread.
#pragma once

#include <sys/uio.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "reactor/reactor.h"

namespace chatd::net {

template <class Q>
concept SendQueue = requires(Q& q, iovec* iov, int max, std::size_t n) {
  { q.empty() } -> std::convertible_to<bool>;
  { q.gather(iov, max) } -> std::convertible_to<int>;
  q.consume(n);
};

// The writer's state for one connection, embedded in it. Written by the writer only.
struct SendState {
  bool dirty = false;         // listed for the next flush()
  bool in_flight = false;     // the reactor holds iovecs into the queue
  uint8_t in_flight_iov = 0;  // how many iovecs that send covers (at most reactor::kMaxSendIov)
};
static_assert(reactor::kMaxSendIov <= UINT8_MAX, "SendState::in_flight_iov must hold kMaxSendIov");

template <class C>
concept WritableConnection = requires(C& c) {
  { c.key } -> std::convertible_to<reactor::ConnKey>;
  { c.fd } -> std::convertible_to<int>;
  { c.send } -> std::same_as<SendState&>;
  requires SendQueue<decltype(c.out)>;
};

// What a completed send means for the connection's owner.
enum class SendDone : uint8_t {
  closed,   // the owner closed it while the send was in flight: its memory may go now
  failed,   // the send failed (result < 0): the owner closes the connection
  more,     // bytes remain (a partial write, epoll's "writable again", or bytes queued
            // meanwhile): already listed for the next flush
  drained,  // everything queued has been sent
};

template <WritableConnection Conn>
class ConnectionWriter {
 public:
  // Lists `c` for the next flush. The list holds each connection once (c.send.dirty),
  // so it is bounded by the number of connections.
  void mark_dirty(Conn& c) {
    if (c.send.dirty) return;
    c.send.dirty = true;
    dirty_.push_back(&c);
  }

  // Starts one send for each listed connection that is open, has bytes and has no
  // send in flight (a connection with one is listed again when it completes).
  // reactor.send() only queues: completions arrive through Reactor::poll(), never
  // from inside this loop.
  void flush(reactor::Reactor& reactor) {
    iovec iov[reactor::kMaxSendIov];
    for (Conn* c : dirty_) {
      c->send.dirty = false;
      if (c->send.in_flight || c->fd < 0 || c->out.empty()) continue;
      const int n = c->out.gather(iov, reactor::kMaxSendIov);
      if (n <= 0) continue;
      c->send.in_flight = true;
      c->send.in_flight_iov = uint8_t(n);
      reactor.send(c->key, c->fd, std::span<const iovec>(iov, std::size_t(n)));
    }
    dirty_.clear();
  }

  // The reactor reported the send in flight on `c` done with `result` (bytes
  // written, possibly fewer than gathered or 0; or -errno).
  SendDone on_send_done(Conn& c, int result) {
    c.send.in_flight = false;
    c.send.in_flight_iov = 0;
    if (c.fd < 0) return SendDone::closed;
    if (result < 0) return SendDone::failed;
    c.out.consume(std::size_t(result));
    if (c.out.empty()) return SendDone::drained;
    mark_dirty(c);
    return SendDone::more;
  }

  // Unlists `c`; call before its memory is freed or reused for another connection.
  void forget(Conn& c) {
    if (!c.send.dirty) return;
    c.send.dirty = false;
    std::erase(dirty_, &c);
  }

  // Something to flush this turn: the loop should not block in poll().
  bool has_dirty() const { return !dirty_.empty(); }

 private:
  std::vector<Conn*> dirty_;
};

}  // namespace chatd::net
