// For tests of the shard only: a chatd running in the test's own process (N shards
// on epoll, listening on a free loopback port), and a blocking line client on plain
// sockets that allocates nothing after it connected, so it may run inside an
// allocation count.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/stable_hash.h"
#include "net/listener.h"
#include "shard/shard.h"
#include "ws/client_frame.h"
#include "xshard/mesh.h"

namespace chatd::shard::testing {

class InProcessServer {
 public:
  explicit InProcessServer(uint32_t shards, Config config = {}, std::size_t ring_capacity = 16 * 1024,
                           std::size_t outbox_watermark = 4096) {
    shared_.config = std::move(config);
    shared_.outbox_watermark = outbox_watermark;
    shared_.config.bind = "127.0.0.1";
    shared_.backend = reactor::Backend::epoll;
    shared_.shards = shards;
    shared_.max_conns = 1000;
    auto mesh = xshard::Mesh::create(shards, ring_capacity);
    if (!mesh) throw std::runtime_error(mesh.error().message);
    mesh_ = std::move(*mesh);
    for (uint32_t i = 0; i < shards; ++i) {
      auto l = net::open_listener(shared_.config.bind, port_);
      if (!l) throw std::runtime_error(l.error().message);
      if (port_ == 0) port_ = *net::bound_port(l->get());
      listeners_.push_back(std::move(*l));
    }
    for (uint32_t i = 0; i < shards; ++i) {
      shards_.push_back(std::make_unique<Shard>(i, shared_, *mesh_));
      std::promise<Result<void>> ready;
      auto started = ready.get_future();
      shards_.back()->start(listeners_[i].get(), -1, [&ready](Result<void> r) { ready.set_value(std::move(r)); });
      if (!started.get()) throw std::runtime_error("a shard did not start");
    }
  }

  ~InProcessServer() {
    shared_.stopping.store(true, std::memory_order_release);
    for (uint32_t i = 0; i < shared_.shards; ++i) {
      uint64_t one = 1;
      (void)!::write(mesh_->mailbox(i).wakeup_fd.get(), &one, sizeof one);
    }
    for (auto& s : shards_) s->join();
    shards_.clear();  // before the pools in shared_ and the mesh
  }

  uint16_t port() const { return port_; }
  const ShardStats& stats(uint32_t shard) const { return shards_[shard]->stats(); }

 private:
  ServerShared shared_;
  std::unique_ptr<xshard::Mesh> mesh_;
  std::vector<UniqueFd> listeners_;
  std::vector<std::unique_ptr<Shard>> shards_;
  uint16_t port_ = 0;
};

inline void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send failed");
    bytes.remove_prefix(std::size_t(n));
  }
}

class LineClient {
 public:
  explicit LineClient(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect failed");
    const int one = 1;
    setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }

  void send(std::string_view bytes) { send_all(fd_.get(), bytes); }
  // Hands the socket over (after an HTTP upgrade read through read_until); bytes
  // already buffered past the last line are dropped, so the peer must be quiet then.
  UniqueFd release_fd() { return std::move(fd_); }

  // The next line that contains `needle` (without its '\n'); earlier lines are
  // skipped. The view lives until the next call.
  std::string_view read_until(std::string_view needle) {
    for (;;) {
      while (const void* nl = std::memchr(buf_ + start_, '\n', end_ - start_)) {
        const std::string_view line(buf_ + start_, static_cast<const char*>(nl) - (buf_ + start_));
        start_ += line.size() + 1;
        if (line.find(needle) != std::string_view::npos) return line;
      }
      if (start_ > 0) {
        std::memmove(buf_, buf_ + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
      }
      if (end_ == sizeof buf_) throw std::runtime_error("line too long");
      const ssize_t n = ::recv(fd_.get(), buf_ + end_, sizeof buf_ - end_, 0);
      if (n <= 0) throw std::runtime_error("connection closed before the line came");
      end_ += std::size_t(n);
    }
  }

 private:
  UniqueFd fd_;
  char buf_[64 * 1024];
  std::size_t start_ = 0;
  std::size_t end_ = 0;
};

// A WebSocket client on plain sockets that, like LineClient, allocates nothing after
// the upgrade: requests are framed by the caller once (frame()), replies are read in
// place from a fixed buffer.
class WsFrameClient {
 public:
  explicit WsFrameClient(uint16_t port) : line_(port) {
    line_.send("GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    line_.read_until("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    while (line_.read_until("\r") != "\r") {}  // up to the empty line that ends the 101's head
    fd_ = line_.release_fd();
    start_ = end_ = 0;
  }

  // A masked client text frame carrying `json` (one request, no newline).
  static std::string frame(std::string_view json) { return ws::client_frame(ws::Opcode::text, json); }
  void send(std::string_view bytes) { send_all(fd_.get(), bytes); }

  // The payload of the next text frame that contains `needle`; earlier frames are
  // skipped. The view lives until the next call.
  std::string_view read_until(std::string_view needle) {
    for (;;) {
      while (end_ - start_ >= 2) {
        const auto* p = reinterpret_cast<const unsigned char*>(buf_ + start_);
        std::size_t header = 2, len = p[1] & 0x7F;
        if (len == 126) {
          if (end_ - start_ < 4) break;
          header = 4, len = (std::size_t(p[2]) << 8) | p[3];
        } else if (len == 127) {
          throw std::runtime_error("a frame over 64 KiB");
        }
        if (end_ - start_ < header + len) break;
        const std::string_view payload(buf_ + start_ + header, len);
        start_ += header + len;
        if (payload.find(needle) != std::string_view::npos) return payload;
      }
      if (start_ > 0) {
        std::memmove(buf_, buf_ + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
      }
      const ssize_t n = ::recv(fd_.get(), buf_ + end_, sizeof buf_ - end_, 0);
      if (n <= 0) throw std::runtime_error("connection closed before the frame came");
      end_ += std::size_t(n);
    }
  }

 private:
  LineClient line_;
  UniqueFd fd_;
  char buf_[64 * 1024];
  std::size_t start_ = 0;
  std::size_t end_ = 0;
};

// A name that lands on `shard` of `shards`: prefix0, prefix1, ...
inline std::string name_on_shard(std::string_view prefix, uint32_t shard, uint32_t shards) {
  for (int i = 0;; ++i) {
    std::string name = std::string(prefix) + std::to_string(i);
    if (shard_of(name, shards) == shard) return name;
  }
}

}  // namespace chatd::shard::testing
