// Accepting on the listener, the part every backend shares: the shard's wish (listen,
// pause_accept, resume_accept), whether the backend's watch on the listener is armed,
// and what an accept error means. A backend only says how to arm and disarm its watch
// (io_uring: a multishot accept and its cancel; epoll: the listener in the interest set).
#pragma once

#include <cerrno>

#include "reactor/reactor.h"

namespace chatd::reactor {

enum class AcceptFailure {
  drained,    // EAGAIN: nothing left to accept now
  transient,  // the peer gave up before we took it (ECONNABORTED, EPROTO) or EINTR: go on
  exhausted,  // EMFILE, ENFILE, ENOBUFS, ENOMEM, ...: retrying at once would spin
};

constexpr AcceptFailure triage_accept_error(int err) {
  if (err == EAGAIN || err == EWOULDBLOCK) return AcceptFailure::drained;
  if (err == EINTR || err == ECONNABORTED || err == EPROTO) return AcceptFailure::transient;
  return AcceptFailure::exhausted;
}

class AcceptGate {
 public:
  // How a backend starts and stops watching the listening socket.
  class Watch {
   public:
    virtual void arm_accept(int listen_fd) = 0;
    virtual void disarm_accept(int listen_fd) = 0;

   protected:
    ~Watch() = default;
  };

  explicit AcceptGate(Watch& watch) : watch_(watch) {}

  void listen(int listen_fd) {
    listen_fd_ = listen_fd;
    resume();
  }

  void pause() {
    wanted_ = false;
    if (!armed_) return;
    armed_ = false;
    watch_.disarm_accept(listen_fd_);
  }

  void resume() {
    wanted_ = true;
    if (armed_ || listen_fd_ < 0) return;
    armed_ = true;
    watch_.arm_accept(listen_fd_);
  }

  // The backend's watch ended by itself (a multishot accept that posted its last
  // completion): watch again if the shard still wants connections.
  void watch_ended() {
    armed_ = false;
    if (wanted_) resume();
  }

  // accept failed with `err` (positive errno). Exhaustion pauses accepting and is
  // reported to the handler, which decides when to resume_accept(): never a spin.
  AcceptFailure failed(Handler& handler, int err) {
    const AcceptFailure kind = triage_accept_error(err);
    if (kind == AcceptFailure::exhausted) {
      pause();
      handler.on_accept_error(-err);
    }
    return kind;
  }

  // The shard wants connections and the backend watches for them.
  bool accepting() const { return armed_; }

 private:
  Watch& watch_;
  int listen_fd_ = -1;
  bool wanted_ = false;
  bool armed_ = false;
};

}  // namespace chatd::reactor
