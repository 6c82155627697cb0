// The Reactor contract (reactor.h), held against every backend this build has: each
// case runs once per backend, over socketpairs and loopback sockets, with a Handler that
// records what it is told. No chatd, no threads. Cases poll in turns of at most 10 ms
// and give up after a number of turns, never after a time.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "reactor/epoll/epoll_reactor.h"
#include "reactor/reactor.h"
#include "reactor/uring/uring_reactor.h"

namespace chatd::reactor {
namespace {

constexpr ConnKey make_key(uint32_t index, uint32_t generation) { return uint64_t(generation) << 32 | index; }

// Bytes whose order shows: a chunk delivered twice, late or out of turn breaks the pattern.
std::string pattern(std::size_t n, unsigned seed = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = char((i + seed) % 251);
  return s;
}

class Recorder final : public Handler {
 public:
  std::vector<int> accepted;
  std::vector<int> accept_errors;
  std::map<ConnKey, std::string> received;
  std::vector<std::pair<ConnKey, int>> recv_ends;
  std::vector<std::pair<ConnKey, int>> sends_done;
  int wakeups = 0;
  // Run after the event is recorded: what a shard would do in its callback.
  std::function<void(int fd)> after_accept;
  std::function<void(ConnKey)> after_recv;

  void on_accept(int fd) override {
    accepted.push_back(fd);
    if (after_accept) after_accept(fd);
  }
  void on_accept_error(int err) override { accept_errors.push_back(err); }
  void on_recv(ConnKey key, std::span<char> data) override {
    // In-place parsing relies on kRecvPadding readable bytes after the data; under ASAN
    // a buffer without them fails here.
    volatile char sink = 0;
    for (std::size_t i = 0; i < kRecvPadding; ++i) sink = char(sink ^ data.data()[data.size() + i]);
    received[key].append(data.data(), data.size());
    // The bytes are the handler's to change (WebSocket unmasks in place): scribble over
    // them, so a backend that reads its buffer again after the call fails the checks
    // on what later receives deliver.
    std::fill(data.begin(), data.end(), '#');
    if (after_recv) after_recv(key);
  }
  void on_recv_end(ConnKey key, int result) override { recv_ends.emplace_back(key, result); }
  void on_send_done(ConnKey key, int result) override { sends_done.emplace_back(key, result); }
  void on_wakeup() override { ++wakeups; }
};

// One connection as a shard sees it: its key, our end (closed through the reactor) and
// the peer's end, which the test writes to and reads from.
struct Conn {
  ConnKey key;
  int fd;
  UniqueFd peer;
};

// Writes what the non-blocking socket takes now; returns how much that was.
std::size_t write_some(int fd, std::string_view bytes) {
  ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return n > 0 ? std::size_t(n) : 0;
}

// Reads what is waiting in the socket without blocking.
std::string read_waiting(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) out.append(buf, std::size_t(n));
  return out;
}

UniqueFd loopback_listener(uint16_t* port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), len), 0);
  EXPECT_EQ(::listen(fd.get(), 64), 0);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// A client whose handshake the kernel completes from the listener's backlog, accepted or not.
UniqueFd connect_to(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
  return fd;
}

class ReactorContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::uring) {
      if (auto ok = probe_uring(); !ok) GTEST_SKIP() << ok.error().message;
    }
    use_reactor(UringBufferRing{});
  }

  void TearDown() override {
    reactor_.reset();
    for (int fd : owned_) ::close(fd);
    for (int fd : rec_.accepted) ::close(fd);
  }

  // The production reactor for the backend; for io_uring, with this buffer ring.
  void use_reactor(UringBufferRing ring) {
    reactor_.reset();
    auto made = GetParam() == Backend::uring ? make_uring_reactor(ring) : make_epoll_reactor();
    ASSERT_TRUE(made.ok()) << made.error().message;
    reactor_ = std::move(*made);
  }

  Conn open_conn(ConnKey key) {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    owned_.insert(sv[0]);
    reactor_->start_recv(key, sv[0]);
    return Conn{key, sv[0], UniqueFd(sv[1])};
  }

  void close_conn(const Conn& c) {
    owned_.erase(c.fd);
    reactor_->close(c.key, c.fd);
  }

  // Polls until `done` holds or `turns` turns have passed; says whether it holds.
  bool poll_until(const std::function<bool()>& done, int turns = 500) {
    for (int i = 0; i < turns && !done(); ++i) reactor_->poll(rec_, 10 * kMillis);
    return done();
  }

  // For "nothing happens": a few turns that would show an event that should not come.
  void poll_turns(int turns) {
    for (int i = 0; i < turns; ++i) reactor_->poll(rec_, 10 * kMillis);
  }

  std::unique_ptr<Reactor> reactor_;
  Recorder rec_;
  std::set<int> owned_;  // our ends not yet closed through the reactor
};

TEST_P(ReactorContract, ReceivesBytesInOrderThenThePeersCloseAsZero) {
  Conn c = open_conn(make_key(3, 0));
  ASSERT_EQ(write_some(c.peer.get(), "hello "), 6u);
  ASSERT_TRUE(poll_until([&] { return rec_.received[c.key] == "hello "; })) << rec_.received[c.key];
  ASSERT_EQ(write_some(c.peer.get(), "world"), 5u);
  c.peer.reset();
  ASSERT_TRUE(poll_until([&] { return !rec_.recv_ends.empty(); }));
  EXPECT_EQ(rec_.received[c.key], "hello world");
  EXPECT_EQ(rec_.recv_ends, (std::vector<std::pair<ConnKey, int>>{{c.key, 0}}));
}

TEST_P(ReactorContract, SendWritesTheIovecsAndReportsTheBytes) {
  Conn c = open_conn(make_key(0, 0));
  const std::string head = "first ", tail = "second\n";
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()}, {const_cast<char*>(tail.data()), tail.size()}};
  reactor_->send(c.key, c.fd, iov);
  ASSERT_TRUE(poll_until([&] { return !rec_.sends_done.empty(); }));
  EXPECT_EQ(rec_.sends_done, (std::vector<std::pair<ConnKey, int>>{{c.key, int(head.size() + tail.size())}}));
  EXPECT_EQ(read_waiting(c.peer.get()), head + tail);
}

// Completions that were already on their way when a connection closed must never be
// handed to the connection that reuses its fd number and its slot. With io_uring's
// buffers cut to 16 bytes, each peer's 64 bytes arrive as several completions in one
// turn; the first one closes both connections and opens two new ones in their place,
// so the rest of that turn's completions are stale.
TEST_P(ReactorContract, CompletionsForAClosedKeyNeverReachTheKeyThatReusesItsSlot) {
  use_reactor(UringBufferRing{.count = 64, .size = 16});
  std::vector<Conn> old_conns, new_conns;
  old_conns.push_back(open_conn(make_key(0, 0)));
  old_conns.push_back(open_conn(make_key(1, 0)));
  const std::string old_bytes(64, 'o'), new_bytes = pattern(64);
  for (Conn& c : old_conns) ASSERT_EQ(write_some(c.peer.get(), old_bytes), old_bytes.size());
  rec_.after_recv = [&](ConnKey) {
    if (!new_conns.empty()) return;
    for (Conn& c : old_conns) close_conn(c);
    for (uint32_t i = 0; i < 2; ++i) {
      new_conns.push_back(open_conn(make_key(i, 1)));
      EXPECT_EQ(write_some(new_conns.back().peer.get(), new_bytes), new_bytes.size());
    }
  };
  auto new_conns_have = [&](std::size_t n) {
    return rec_.received[make_key(0, 1)].size() >= n && rec_.received[make_key(1, 1)].size() >= n;
  };
  ASSERT_TRUE(poll_until([&] { return new_conns_have(64); }));
  ASSERT_EQ(new_conns.size(), 2u);
  // The test only means something if fd numbers were reused.
  EXPECT_TRUE(new_conns[0].fd == old_conns[0].fd || new_conns[0].fd == old_conns[1].fd);
  // The old connections' last completions (their recv ending) come by now; the new
  // connections must go on receiving after them.
  poll_turns(3);
  for (const Conn& c : new_conns) ASSERT_EQ(write_some(c.peer.get(), "more"), 4u);
  ASSERT_TRUE(poll_until([&] { return new_conns_have(68); }));
  for (const Conn& c : new_conns) EXPECT_EQ(rec_.received[c.key], new_bytes + "more") << "key " << c.key;
  for (const auto& [key, result] : rec_.recv_ends)
    EXPECT_TRUE(key == make_key(0, 0) || key == make_key(1, 0)) << "recv end " << result << " for a new key";
}

// stop_recv hands the socket back: what was received is delivered, then
// on_recv_end(-ECANCELED); everything else is still in the socket, nothing is lost or
// doubled. stop_recv is called from inside on_recv, as the shard's backpressure does,
// while io_uring has more 16-byte completions of the same write queued behind it.
TEST_P(ReactorContract, StopRecvDeliversWhatWasReceivedThenEndsWithEcanceled) {
  use_reactor(UringBufferRing{.count = 64, .size = 16});
  Conn c = open_conn(make_key(5, 2));
  const std::string sent = pattern(200);
  bool stopped = false;
  rec_.after_recv = [&](ConnKey key) {
    if (stopped) return;
    stopped = true;
    reactor_->stop_recv(key, c.fd);
  };
  ASSERT_EQ(write_some(c.peer.get(), sent), sent.size());
  ASSERT_TRUE(poll_until([&] { return !rec_.recv_ends.empty(); }));
  EXPECT_EQ(rec_.recv_ends, (std::vector<std::pair<ConnKey, int>>{{c.key, -ECANCELED}}));
  const std::size_t delivered = rec_.received[c.key].size();
  poll_turns(3);  // nothing more arrives until start_recv
  EXPECT_EQ(rec_.received[c.key].size(), delivered);
  EXPECT_EQ(rec_.received[c.key] + read_waiting(c.fd), sent);

  // Receiving again on the same socket works (the connection moved to a new shard).
  reactor_->start_recv(c.key, c.fd);
  ASSERT_EQ(write_some(c.peer.get(), "again"), 5u);
  ASSERT_TRUE(poll_until([&] { return rec_.received[c.key].ends_with("again"); })) << rec_.received[c.key];
}

// io_uring: four 1 KiB buffers are far fewer than four connections flood in a turn, so
// the shared buffer ring runs dry every turn; ENOBUFS ends the multishot recv, which
// must be re-armed. epoll reads into its one buffer. Either way every byte arrives once,
// in order, with no recv end.
TEST_P(ReactorContract, AFloodLargerThanTheBufferRingArrivesWholeAndInOrder) {
  use_reactor(UringBufferRing{.count = 4, .size = 1024});
  constexpr std::size_t kBytes = 256 * 1024;
  std::vector<Conn> conns;
  std::vector<std::string> sent;
  std::vector<std::size_t> written(4, 0);
  for (uint32_t i = 0; i < 4; ++i) {
    conns.push_back(open_conn(make_key(i, 0)));
    sent.push_back(pattern(kBytes, i * 17));
  }
  auto all_in = [&] {
    for (const Conn& c : conns)
      if (rec_.received[c.key].size() < kBytes) return false;
    return true;
  };
  for (int turn = 0; turn < 2000 && !all_in() && rec_.recv_ends.empty(); ++turn) {
    for (std::size_t i = 0; i < conns.size(); ++i)
      written[i] += write_some(conns[i].peer.get(), std::string_view(sent[i]).substr(written[i]));
    reactor_->poll(rec_, 10 * kMillis);
  }
  for (std::size_t i = 0; i < conns.size(); ++i) {
    const std::string& got = rec_.received[conns[i].key];
    ASSERT_EQ(got.size(), kBytes) << "connection " << i;
    EXPECT_TRUE(got == sent[i]) << "connection " << i << ": bytes out of order or doubled";
  }
  EXPECT_TRUE(rec_.recv_ends.empty());
}

// The kernel may still hold the iovecs of a send when the shard closes the connection:
// on_send_done still comes, once, for that key, and only then may the memory go (under
// ASAN a reactor that touched its send state after freeing it fails here).
TEST_P(ReactorContract, CloseWithASendInFlightStillReportsTheSendOnce) {
  Conn c = open_conn(make_key(2, 7));
  int small = 4096;
  ::setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  ::setsockopt(c.peer.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  const std::string filler(4096, 'f');
  while (write_some(c.fd, filler) > 0) {
  }
  auto payload = std::make_unique<std::string>(64 * 1024, 'p');
  iovec iov{payload->data(), payload->size()};
  reactor_->send(c.key, c.fd, std::span<const iovec>(&iov, 1));
  reactor_->poll(rec_, 0);  // io_uring: submitted, waiting for room the peer never makes
  ASSERT_TRUE(rec_.sends_done.empty()) << "the socket buffer was not full";
  close_conn(c);
  ASSERT_TRUE(poll_until([&] { return !rec_.sends_done.empty(); }));
  payload.reset();
  poll_turns(3);
  ASSERT_EQ(rec_.sends_done.size(), 1u);
  EXPECT_EQ(rec_.sends_done[0].first, c.key);
  EXPECT_LT(rec_.sends_done[0].second, 0) << "nothing can be written to a closed socket";
}

TEST_P(ReactorContract, PausedAcceptLeavesConnectionsInTheBacklogUntilResumed) {
  uint16_t port = 0;
  UniqueFd listener = loopback_listener(&port);
  reactor_->listen(listener.get());
  UniqueFd first = connect_to(port);
  ASSERT_TRUE(poll_until([&] { return rec_.accepted.size() == 1; }));
  const int flags = ::fcntl(rec_.accepted[0], F_GETFL), fd_flags = ::fcntl(rec_.accepted[0], F_GETFD);
  EXPECT_TRUE(flags & O_NONBLOCK);
  EXPECT_TRUE(fd_flags & FD_CLOEXEC);

  reactor_->pause_accept();
  poll_turns(1);  // the pause takes effect
  UniqueFd second = connect_to(port);
  poll_turns(5);
  EXPECT_EQ(rec_.accepted.size(), 1u);
  reactor_->resume_accept();
  ASSERT_TRUE(poll_until([&] { return rec_.accepted.size() == 2; }));

  // Pausing from inside on_accept, as the shard at --max-conns does.
  rec_.after_accept = [&](int) { reactor_->pause_accept(); };
  UniqueFd third = connect_to(port);
  ASSERT_TRUE(poll_until([&] { return rec_.accepted.size() == 3; }));
  UniqueFd fourth = connect_to(port);
  poll_turns(5);
  EXPECT_EQ(rec_.accepted.size(), 3u);

  rec_.after_accept = nullptr;
  reactor_->resume_accept();
  ASSERT_TRUE(poll_until([&] { return rec_.accepted.size() == 4; }));
  EXPECT_TRUE(rec_.accept_errors.empty());
}

// Lowers RLIMIT_NOFILE so that the next fd cannot be had, and puts it back.
class FdLimitBelowNextFd {
 public:
  FdLimitBelowNextFd() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    const int next = ::dup(0);
    ::close(next);
    rlimit low = saved_;
    low.rlim_cur = rlim_t(next);
    ::setrlimit(RLIMIT_NOFILE, &low);
  }
  ~FdLimitBelowNextFd() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

// Out of fds, accepting stops and is reported once (no spin on a listener that stays
// ready); resume_accept() once an fd is free takes the waiting connection.
TEST_P(ReactorContract, AcceptExhaustionIsReportedOnceAndWaitsForResume) {
  uint16_t port = 0;
  UniqueFd listener = loopback_listener(&port);
  UniqueFd client = connect_to(port);
  {
    FdLimitBelowNextFd limit;
    reactor_->listen(listener.get());
    ASSERT_TRUE(poll_until([&] { return !rec_.accept_errors.empty(); }));
    poll_turns(5);
  }
  EXPECT_EQ(rec_.accept_errors, std::vector<int>{-EMFILE});
  EXPECT_TRUE(rec_.accepted.empty());
  reactor_->resume_accept();
  ASSERT_TRUE(poll_until([&] { return rec_.accepted.size() == 1; }));
  EXPECT_EQ(rec_.accept_errors.size(), 1u);
}

TEST_P(ReactorContract, WakeupEventfdIsDeliveredAndReset) {
  UniqueFd efd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  reactor_->watch_wakeup(efd.get());
  const uint64_t one = 1;
  ASSERT_EQ(::write(efd.get(), &one, sizeof one), ssize_t(sizeof one));
  ASSERT_EQ(::write(efd.get(), &one, sizeof one), ssize_t(sizeof one));
  ASSERT_TRUE(poll_until([&] { return rec_.wakeups >= 1; }));
  poll_turns(3);  // a counter left set would wake a level-triggered poll every turn
  EXPECT_EQ(rec_.wakeups, 1);
  uint64_t count = 0;
  EXPECT_EQ(::read(efd.get(), &count, sizeof count), -1) << "the counter was not reset";

  ASSERT_EQ(::write(efd.get(), &one, sizeof one), ssize_t(sizeof one));
  ASSERT_TRUE(poll_until([&] { return rec_.wakeups == 2; }));  // still watched
}

std::string backend_label(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::uring ? "uring" : "epoll";
}

INSTANTIATE_TEST_SUITE_P(EveryBackend, ReactorContract, ::testing::Values(Backend::uring, Backend::epoll),
                         backend_label);

}  // namespace
}  // namespace chatd::reactor
