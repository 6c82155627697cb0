// The reactor: one per shard, the only code that talks to the kernel's event API.
//
// The interface is completion-shaped (io_uring's model); the epoll backend turns
// readiness into the same completions. The shard drives it with nine verbs (listen,
// pause_accept, resume_accept, start_recv, stop_recv, send, close, watch_wakeup, poll)
// and never knows which backend it runs on, but can ask for its name(). What both
// backends share is written once beside this file (accept_gate.h, conn_table.h,
// wakeup.h); reactor_contract_test.cc holds both to the promises below.
//
// Threading: a reactor belongs to the thread that created it; every call, and every
// Handler callback, happens on that thread. Only the wakeup eventfd is written by others.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "common/clock.h"
#include "common/parse_padding.h"
#include "common/result.h"
#include "reactor/backend.h"

namespace chatd::reactor {

// Chosen by the shard for each connection; handed back with every completion so a
// completion for a closed-and-reused slot can be recognised as stale. The low 32 bits
// are a small dense index (the shard's connection slot), which backends may use to
// index their own per-connection tables; the bits above are a generation, at most
// 24 bits of it (a key fits in 56 bits: backends tag their user_data in the top byte).
using ConnKey = uint64_t;
constexpr uint32_t conn_index(ConnKey key) { return uint32_t(key); }

// Receive buffers have this many readable bytes after the data handed to on_recv,
// so the JSON parser can run in place (see common/parse_padding.h, proto/line_framer.h).
constexpr std::size_t kRecvPadding = 64;
static_assert(kRecvPadding >= kParsePadding,
              "frames are parsed inside receive buffers: they need the parser's padding after them");
// At most this many iovecs per send; the shard coalesces a connection's queue up to it.
constexpr int kMaxSendIov = 64;

class Handler {
 public:
  virtual ~Handler() = default;
  // A new connection (non-blocking, close-on-exec). The shard owns `fd` from here on.
  virtual void on_accept(int fd) = 0;
  // Accepting failed with -err (EMFILE, ENFILE, ENOMEM, ...) and has stopped: the shard
  // decides when to call resume_accept(). Never called for transient errors the
  // backend retries on its own (ECONNABORTED, EINTR).
  virtual void on_accept_error(int err) = 0;
  // Bytes received; `data` is valid only during the call (with kRecvPadding bytes after it).
  // The bytes are the handler's to change in place (a WebSocket payload is unmasked where
  // it lies): receive buffers belong to the reactor and are refilled by the next receive.
  // The padding after them is read-only.
  virtual void on_recv(ConnKey key, std::span<char> data) = 0;
  // Receiving on `key` has ended: 0 = the peer closed, -ECANCELED = after stop_recv(),
  // another negative errno = a socket error. Nothing more arrives for `key` until start_recv().
  virtual void on_recv_end(ConnKey key, int result) = 0;
  // A send() finished: bytes written (possibly fewer than asked, or 0: try again), or -errno.
  virtual void on_send_done(ConnKey key, int result) = 0;
  // Another shard signalled this shard's wakeup eventfd.
  virtual void on_wakeup() = 0;
};

class Reactor {
 public:
  virtual ~Reactor() = default;

  virtual std::string_view name() const = 0;

  // Starts accepting on a bound, listening socket (one per shard, SO_REUSEPORT).
  virtual void listen(int listen_fd) = 0;
  // Pauses/resumes accepting (fd exhaustion, --max-conns, shutdown). A pause takes effect
  // in the next poll(); a connection the kernel had already handed to the backend may
  // still arrive through on_accept (the shard closes it if it cannot take it).
  virtual void pause_accept() = 0;
  virtual void resume_accept() = 0;

  // Starts delivering received bytes for `fd` as on_recv(key, ...). Not while receiving:
  // after stop_recv(), wait for on_recv_end before starting again.
  virtual void start_recv(ConnKey key, int fd) = 0;
  // Stops receiving without closing (the connection moves to another shard): any bytes
  // already received still arrive, then on_recv_end(key, -ECANCELED).
  virtual void stop_recv(ConnKey key, int fd) = 0;

  // Writes the iovecs (at most kMaxSendIov; the memory they point to must stay valid and
  // unchanged until on_send_done). At most one send in flight per connection.
  virtual void send(ConnKey key, int fd, std::span<const iovec> iov) = 0;

  // Closes `fd` for good. Completions already queued for `key` may still be delivered,
  // always with `key` (never with the key of a connection that reuses the fd or slot),
  // so the shard ignores them by key. A send in flight still reports on_send_done.
  virtual void close(ConnKey key, int fd) = 0;

  // Watches a non-blocking eventfd that other shards write to wake this one.
  virtual void watch_wakeup(int event_fd) = 0;

  // Submits what was queued, waits up to `timeout` (0 = don't wait, <0 = forever) for
  // at least one completion, and dispatches every completion that is ready.
  virtual void poll(Handler& handler, Nanos timeout) = 0;
};

// Creates the reactor for the calling thread. `backend` must be uring or epoll here:
// resolve auto with choose_backend() once per process, so all shards agree.
Result<std::unique_ptr<Reactor>> make_reactor(Backend backend);

}  // namespace chatd::reactor
