#include "net/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

namespace chatd::net {

Result<UniqueFd> open_listener(const std::string& addr, uint16_t port, int backlog) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) != 1)
    return Error{"bad listen address '" + addr + "' (want an IPv4 address like 0.0.0.0)"};
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return system_error("socket", errno);
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    return system_error("setsockopt(SO_REUSEPORT)", errno);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return system_error("bind " + addr + ":" + std::to_string(port), errno);
  if (::listen(fd.get(), backlog) != 0) return system_error("listen", errno);
  return fd;
}

Result<uint16_t> bound_port(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return system_error("getsockname", errno);
  return uint16_t(ntohs(sa.sin_port));
}

}  // namespace chatd::net
