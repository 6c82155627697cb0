#include "loadgen/engine/connector.h"

#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace chatd::loadgen {

std::string connect_error_code(int err) {
  switch (err) {
    case ECONNREFUSED: return "connect_refused";
    case ETIMEDOUT: return "connect_timeout";
    case EADDRNOTAVAIL: return "connect_no_ports";  // ephemeral ports exhausted: add --source-ips
    case EADDRINUSE: return "connect_no_ports";
    case EMFILE:
    case ENFILE: return "connect_fd_limit";
    case ENETUNREACH:
    case EHOSTUNREACH: return "connect_unreachable";
    case ECONNRESET: return "connect_reset";
    default: return "connect_failed";
  }
}

Connector::Connector(std::vector<uint32_t> source_ips, Nanos timeout, uint32_t limit)
    : source_ips_(std::move(source_ips)), timeout_(timeout), limit_(limit) {}

void Connector::start(uint32_t slot, uint32_t number, const sockaddr_in& server, Nanos now) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    failed_now_.push_back({slot, -1, connect_error_code(errno)});
    return;
  }
  if (!source_ips_.empty()) {
    // Without this, bind() would pick a port for the source address alone; with it
    // the port is picked at connect() for the full 4-tuple, so each source address
    // really adds a whole ephemeral port range.
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(source_ips_[number % source_ips_.size()]);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      int err = errno;
      ::close(fd);
      failed_now_.push_back({slot, -1, err == EADDRNOTAVAIL ? "source_ip_unusable" : connect_error_code(err)});
      return;
    }
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0 && errno != EINPROGRESS) {
    int err = errno;
    ::close(fd);
    failed_now_.push_back({slot, -1, connect_error_code(err)});
    return;
  }
  fds_.push_back({fd, POLLOUT, 0});
  pending_.push_back({slot, now + timeout_});
}

std::vector<ConnectDone> Connector::poll_done(Nanos now) {
  std::vector<ConnectDone> done = std::move(failed_now_);
  failed_now_.clear();
  if (fds_.empty()) return done;
  int ready = ::poll(fds_.data(), fds_.size(), 0);
  std::size_t keep = 0;
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    const bool finished = ready > 0 && fds_[i].revents != 0;
    if (!finished && now < pending_[i].deadline) {
      fds_[keep] = fds_[i];
      pending_[keep] = pending_[i];
      ++keep;
      continue;
    }
    int fd = fds_[i].fd;
    int err = ETIMEDOUT;
    if (finished) {
      socklen_t len = sizeof err;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    }
    if (err == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      done.push_back({pending_[i].slot, fd, {}});
    } else {
      ::close(fd);
      done.push_back({pending_[i].slot, -1, connect_error_code(err)});
    }
  }
  fds_.resize(keep);
  pending_.resize(keep);
  return done;
}

std::vector<ConnectDone> Connector::abandon_all() {
  std::vector<ConnectDone> gone = std::move(failed_now_);
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    ::close(fds_[i].fd);
    gone.push_back({pending_[i].slot, -1, "connect_abandoned"});
  }
  fds_.clear();
  pending_.clear();
  failed_now_.clear();
  return gone;
}

}  // namespace chatd::loadgen
