// Sink mode: the most trivial server loadgen can talk to, so loadgen's own
// ceiling can be measured (docs/loadgen.md). Each thread has a reactor and a
// SO_REUSEPORT listener; a connection gets `welcome` for hello, `joined` for
// join (members 1, seq 0) and, for each msg, that msg back as a `msg` event with
// the connection's next seq. Nothing is fanned out: run loadgen with --rooms at
// least as large as its client count, so every room has one member, as here.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "common/log.h"
#include "loadgen/modes/modes.h"
#include "loadgen/cli/stop_signals.h"
#include "loadgen/engine/send_buffer.h"
#include "net/connection_writer.h"
#include "net/listener.h"
#include "proto/json_request_parser.h"
#include "proto/json_writer.h"
#include "proto/line_framer.h"
#include "reactor/backend.h"
#include "reactor/reactor.h"

namespace chatd::loadgen {
namespace {

constexpr std::size_t kMaxFrame = 65536;
// A sink has no slow-consumer policy: a client this far behind is disconnected.
constexpr std::size_t kMaxPending = 16u << 20;

struct SinkConnection {
  int fd = -1;
  reactor::ConnKey key = 0;
  bool open = false;
  proto::LineFramer framer{kMaxFrame};
  std::string user;
  int64_t seq = 0;
  SendBuffer out;
  net::SendState send;
};

class SinkThread final : private reactor::Handler {
 public:
  SinkThread(UniqueFd listener, reactor::Backend backend, const std::atomic<bool>& stop)
      : listener_(std::move(listener)), backend_(backend), stop_(stop) {}

  Result<void> run() {
    auto r = reactor::make_reactor(backend_);
    if (!r) return r.error();
    reactor_ = std::move(*r);
    reactor_->listen(listener_.get());
    while (!stop_.load(std::memory_order_relaxed)) {
      writer_.flush(*reactor_);
      reactor_->poll(*this, 100 * kMillis);
    }
    for (SinkConnection& c : conns_)
      if (c.open) close_conn(c);
    for (int i = 0; i < 5; ++i) reactor_->poll(*this, 10 * kMillis);  // let sends in flight end
    return {};
  }

 private:
  SinkConnection* lookup(reactor::ConnKey key) {
    const uint32_t slot = reactor::conn_index(key);
    if (slot >= conns_.size() || conns_[slot].key != key) return nullptr;
    return &conns_[slot];
  }

  void on_accept(int fd) override {
    uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = uint32_t(conns_.size());
      conns_.emplace_back();
    }
    SinkConnection& c = conns_[slot];
    const uint64_t generation = (c.key >> 32) + 1;
    c = SinkConnection{};
    c.fd = fd;
    c.key = generation << 32 | slot;
    c.open = true;
    int one = 1;  // answers are small and one per request: never hold them back (Nagle)
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    reactor_->start_recv(c.key, fd);
  }

  void on_accept_error(int err) override {
    LOG_WARN("sink: accept failed: %s; pausing accepts for this thread", std::strerror(-err));
  }

  void on_recv(reactor::ConnKey key, std::span<char> data) override {
    SinkConnection* c = lookup(key);
    if (c == nullptr || !c->open) return;
    auto result = c->framer.feed(std::string_view(data.data(), data.size()), [&](std::string_view frame) {
      answer(*c, frame);
      return proto::FrameVerdict::next;
    });
    if (result == proto::FeedResult::frame_too_large || c->out.pending().size() > kMaxPending) return close_conn(*c);
    if (!c->out.pending().empty()) writer_.mark_dirty(*c);
  }

  void answer(SinkConnection& c, std::string_view frame) {
    proto::Request req;
    if (!parser_.parse(frame, req).ok()) return;
    proto::JsonWriter w(c.out.pending());
    switch (req.op) {
      case proto::Op::hello:
        c.user = std::string(req.user);
        w.begin_object().field("ev", "welcome").field("user", c.user).field("shard", 0).field("shards", 1);
        break;
      case proto::Op::join:
        w.begin_object().field("ev", "joined").field("room", req.room).field("members", 1).field("seq", 0);
        w.field("epoch", 1);
        break;
      case proto::Op::msg:
        w.begin_object().field("ev", "msg").field("room", req.room).field("from", c.user).field("text", req.text);
        w.field("seq", ++c.seq);
        if (req.has_id) w.field("id", req.id);
        if (req.has_ts) w.field("ts", req.ts);
        break;
      default:
        return;  // the sink measures room messages only
    }
    w.end_object().newline();
  }

  void on_send_done(reactor::ConnKey key, int result) override {
    SinkConnection* c = lookup(key);
    if (c == nullptr) return;
    switch (writer_.on_send_done(*c, result)) {
      case net::SendDone::closed: return release(*c);
      case net::SendDone::failed: return close_conn(*c);
      case net::SendDone::more:  // re-sent at the next flush
      case net::SendDone::drained: return;
    }
  }

  void on_recv_end(reactor::ConnKey key, int) override {
    if (SinkConnection* c = lookup(key); c != nullptr && c->open) close_conn(*c);
  }

  void on_wakeup() override {}

  void close_conn(SinkConnection& c) {
    reactor_->close(c.key, c.fd);
    c.open = false;
    c.fd = -1;
    writer_.forget(c);
    if (!c.send.in_flight) release(c);
  }

  // The slot is reused only once no send can still point into its buffers.
  void release(SinkConnection& c) {
    c.out.release(false);
    free_.push_back(reactor::conn_index(c.key));
  }

  UniqueFd listener_;
  reactor::Backend backend_;
  const std::atomic<bool>& stop_;
  std::unique_ptr<reactor::Reactor> reactor_;
  std::deque<SinkConnection> conns_;
  std::vector<uint32_t> free_;
  net::ConnectionWriter<SinkConnection> writer_;
  proto::JsonRequestParser parser_;
};

}  // namespace

int run_sink(const Options& o, const std::atomic<bool>& interrupted) {
  const uint32_t threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  auto chosen = reactor::choose_backend(o.backend);
  if (!chosen) {
    std::fprintf(stderr, "loadgen: --backend %s: %s\n", std::string(backend_flag_value(o.backend)).c_str(),
                 chosen.error().message.c_str());
    return kExitFailed;
  }
  const reactor::Backend backend = *chosen;
  std::vector<UniqueFd> listeners;
  uint16_t port = o.sink_port;
  for (uint32_t i = 0; i < threads; ++i) {
    auto l = net::open_listener(o.host, port);
    if (!l) {
      std::fprintf(stderr, "loadgen: sink: %s\n", l.error().message.c_str());
      return kExitFailed;
    }
    if (port == 0) port = net::bound_port(l->get()).value();
    listeners.push_back(std::move(*l));
  }
  std::vector<std::thread> pool;
  std::atomic<int> failures{0};
  for (auto& l : listeners) {
    pool.emplace_back([&failures, &interrupted, backend, fd = std::move(l)]() mutable {
      block_stop_signals();
      SinkThread sink(std::move(fd), backend, interrupted);
      if (auto r = sink.run(); !r) {
        std::fprintf(stderr, "loadgen: sink: %s\n", r.error().message.c_str());
        failures.fetch_add(1);
      }
    });
  }
  std::fprintf(stderr, "loadgen sink ready: port=%u backend=%s threads=%u\n", port,
               backend == reactor::Backend::uring ? "uring" : "epoll", threads);
  for (auto& t : pool) t.join();
  return failures.load() ? kExitFailed : kExitOk;
}

}  // namespace chatd::loadgen
