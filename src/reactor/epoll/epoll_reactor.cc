#include "reactor/epoll/epoll_reactor.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/unique_fd.h"
#include "reactor/accept_gate.h"
#include "reactor/conn_table.h"
#include "reactor/wakeup.h"

namespace chatd::reactor {
namespace {

// epoll_event.data.u64: the fd in the low 32 bits, what it is in the top byte.
constexpr uint64_t kTagConn = 0;
constexpr uint64_t kTagListen = uint64_t(1) << 56;
constexpr uint64_t kTagWakeup = uint64_t(2) << 56;
constexpr uint64_t kTagMask = uint64_t(0xff) << 56;

constexpr std::size_t kRecvBufferSize = 64 * 1024;
constexpr int kMaxEvents = 256;
constexpr int kAcceptsPerTurn = 64;  // so a connect storm cannot starve established clients

struct FdState {
  ConnKey key = 0;
  bool registered = false;
  bool receiving = false;
  bool send_waiting = false;  // a send() hit EAGAIN; completes when writable
};

constexpr std::size_t kDeferredReserve = 1024;  // completions per turn before the vectors grow

struct Deferred {
  enum Kind : uint8_t { send_done, recv_end } kind;
  ConnKey key;
  int result;
};

class EpollReactor final : public Reactor, private AcceptGate::Watch {
 public:
  explicit EpollReactor(UniqueFd epfd) : epfd_(std::move(epfd)), recv_buf_(kRecvBufferSize + kRecvPadding) {
    // Completions of one turn's sends wait here until poll(); sized up front so a turn
    // that sends on more connections than any before does not allocate mid-traffic.
    deferred_.reserve(kDeferredReserve);
    dispatching_.reserve(kDeferredReserve);
  }

  std::string_view name() const override { return "epoll"; }

  void listen(int listen_fd) override { accept_.listen(listen_fd); }
  void pause_accept() override { accept_.pause(); }
  void resume_accept() override { accept_.resume(); }

  void start_recv(ConnKey key, int fd) override {
    FdState& s = state(fd);
    s.key = key;
    s.receiving = true;
    update(fd, s);
  }

  void stop_recv(ConnKey key, int fd) override {
    FdState& s = state(fd);
    if (!s.receiving) return;
    s.receiving = false;
    update(fd, s);
    deferred_.push_back({Deferred::recv_end, key, -ECANCELED});
  }

  void send(ConnKey key, int fd, std::span<const iovec> iov) override {
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov.data());
    msg.msg_iovlen = iov.size();
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      deferred_.push_back({Deferred::send_done, key, int(n)});
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      FdState& s = state(fd);
      s.key = key;
      s.send_waiting = true;
      update(fd, s);
    } else {
      deferred_.push_back({Deferred::send_done, key, -errno});
    }
  }

  void close(ConnKey key, int fd) override {
    FdState& s = state(fd);
    if (s.registered) epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr);
    if (s.send_waiting) deferred_.push_back({Deferred::send_done, key, -ECANCELED});
    s = FdState{};
    ::close(fd);
  }

  void watch_wakeup(int event_fd) override {
    epoll_event ev{.events = EPOLLIN, .data = {.u64 = kTagWakeup | uint32_t(event_fd)}};
    epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, event_fd, &ev);
  }

  void poll(Handler& h, Nanos timeout) override {
    int timeout_ms = -1;
    if (!deferred_.empty() || timeout == 0) {
      timeout_ms = 0;
    } else if (timeout > 0) {
      timeout_ms = int((timeout + kMillis - 1) / kMillis);
    }
    epoll_event events[kMaxEvents];
    int n = epoll_wait(epfd_.get(), events, kMaxEvents, timeout_ms);
    for (int i = 0; i < n; ++i) dispatch(h, events[i]);
    // Completions queued before and during this turn; callbacks may queue more,
    // which wait for the next turn.
    dispatching_.swap(deferred_);
    for (const Deferred& d : dispatching_) {
      if (d.kind == Deferred::send_done)
        h.on_send_done(d.key, d.result);
      else
        h.on_recv_end(d.key, d.result);
    }
    dispatching_.clear();
  }

 private:
  FdState& state(int fd) { return fds_[uint32_t(fd)]; }

  // AcceptGate::Watch: level-triggered, so a listener left in the interest set while
  // accept fails with EMFILE would be reported ready forever.
  void arm_accept(int listen_fd) override {
    epoll_event ev{.events = EPOLLIN, .data = {.u64 = kTagListen | uint32_t(listen_fd)}};
    epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, listen_fd, &ev);
  }

  void disarm_accept(int listen_fd) override { epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, listen_fd, nullptr); }

  // Brings the kernel's interest set in line with what the fd is waiting for.
  void update(int fd, FdState& s) {
    uint32_t events = (s.receiving ? uint32_t(EPOLLIN | EPOLLRDHUP) : 0u) | (s.send_waiting ? uint32_t(EPOLLOUT) : 0u);
    if (events == 0) {
      if (s.registered) epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr);
      s.registered = false;
      return;
    }
    epoll_event ev{.events = events, .data = {.u64 = kTagConn | uint32_t(fd)}};
    epoll_ctl(epfd_.get(), s.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
    s.registered = true;
  }

  void dispatch(Handler& h, const epoll_event& ev) {
    const uint64_t tag = ev.data.u64 & kTagMask;
    const int fd = int(uint32_t(ev.data.u64));
    if (tag == kTagListen) return accept_some(h, fd);
    if (tag == kTagWakeup) return deliver_wakeup(fd, h);
    FdState& s = state(fd);
    if (s.receiving && (ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) receive(h, fd, s);
    // The handler may have closed or reused this fd; look again.
    FdState& t = state(fd);
    if (t.send_waiting && (ev.events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
      t.send_waiting = false;
      update(fd, t);
      h.on_send_done(t.key, 0);  // writable: the shard sends again
    }
  }

  void receive(Handler& h, int fd, FdState& s) {
    ssize_t n = ::recv(fd, recv_buf_.data(), kRecvBufferSize, MSG_DONTWAIT);
    if (n > 0) return h.on_recv(s.key, std::span<char>(recv_buf_.data(), std::size_t(n)));
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    int result = n == 0 ? 0 : -errno;
    s.receiving = false;
    update(fd, s);
    h.on_recv_end(s.key, result);
  }

  void accept_some(Handler& h, int listen_fd) {
    // The handler may pause accepting (--max-conns) from inside on_accept.
    for (int i = 0; i < kAcceptsPerTurn && accept_.accepting(); ++i) {
      int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        h.on_accept(fd);
      } else if (accept_.failed(h, errno) != AcceptFailure::transient) {
        return;  // drained, or exhausted and paused
      }
    }
  }

  UniqueFd epfd_;
  std::vector<char> recv_buf_;
  ConnTable<FdState> fds_;
  std::vector<Deferred> deferred_;
  std::vector<Deferred> dispatching_;
  AcceptGate accept_{*this};
};

}  // namespace

Result<void> probe_epoll_support() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return system_error("epoll_create1", errno);
  ::close(fd);
  return {};
}

Result<std::unique_ptr<Reactor>> make_epoll_reactor() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return system_error("epoll_create1", errno);
  return std::unique_ptr<Reactor>(new EpollReactor(UniqueFd(fd)));
}

}  // namespace chatd::reactor
