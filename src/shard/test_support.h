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

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      bytes.remove_prefix(std::size_t(n));
    }
  }

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

// A name that lands on `shard` of `shards`: prefix0, prefix1, ...
inline std::string name_on_shard(std::string_view prefix, uint32_t shard, uint32_t shards) {
  for (int i = 0;; ++i) {
    std::string name = std::string(prefix) + std::to_string(i);
    if (shard_of(name, shards) == shard) return name;
  }
}

}  // namespace chatd::shard::testing
