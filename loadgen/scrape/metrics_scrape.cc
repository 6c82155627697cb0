#include "loadgen/scrape/metrics_scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>

#include "common/unique_fd.h"

namespace chatd::loadgen {
namespace {

constexpr std::size_t kMaxResponse = 4 << 20;

std::optional<double> parse_value(std::string_view v) {
  std::string s(v.substr(0, v.find(' ')));  // a timestamp may follow
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) return std::nullopt;
  return d;
}

// The value of label `name` in `{a="x",b="y"}`; escapes are left as they are.
std::optional<std::string> label_value(std::string_view labels, std::string_view name) {
  const std::string needle = std::string(name) + "=\"";
  std::size_t at = 0;
  while ((at = labels.find(needle, at)) != std::string_view::npos) {
    if (at == 0 || labels[at - 1] == '{' || labels[at - 1] == ',') {
      std::size_t start = at + needle.size();
      std::size_t end = labels.find('"', start);
      if (end == std::string_view::npos) return std::nullopt;
      return std::string(labels.substr(start, end - start));
    }
    at += needle.size();
  }
  return std::nullopt;
}

Nanos remaining(Nanos deadline) { return deadline - monotonic_now(); }

bool wait_for(int fd, short events, Nanos deadline) {
  Nanos left = remaining(deadline);
  if (left <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, int(left / kMillis) + 1) == 1;
}

}  // namespace

ServerSample parse_server_sample(std::string_view text) {
  ServerSample s;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line[0] == '#') continue;
    std::size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string_view::npos) continue;
    std::string_view name = line.substr(0, name_end);
    std::string_view labels;
    std::string_view rest = line.substr(name_end);
    if (rest[0] == '{') {
      std::size_t close = rest.find('}');
      if (close == std::string_view::npos) continue;
      labels = rest.substr(0, close + 1);
      rest.remove_prefix(close + 1);
    }
    while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    if (name == "process_resident_memory_bytes") {
      s.rss_bytes = parse_value(rest);
    } else if (name == "process_cpu_seconds_total") {
      s.cpu_seconds = parse_value(rest);
    } else if (name == "chatd_build_info") {
      s.version = label_value(labels, "version");
      s.backend = label_value(labels, "backend");
    }
  }
  return s;
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  if (url.rfind("http://", 0) != 0) return Error{"'" + std::string(url) + "' is not an http:// URL"};
  url.remove_prefix(7);
  HttpUrl u;
  std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) u.path = std::string(url.substr(slash));
  std::size_t colon = authority.rfind(':');
  u.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    std::string port(authority.substr(colon + 1));
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p < 1 || p > 65535) return Error{"bad port in '" + std::string(url) + "'"};
    u.port = uint16_t(p);
  }
  if (u.host == "localhost") u.host = "127.0.0.1";
  in_addr a;
  if (inet_pton(AF_INET, u.host.c_str(), &a) != 1)
    return Error{"'" + u.host + "' is not an IPv4 address (loadgen does not resolve names)"};
  return u;
}

Result<std::string> http_get(const HttpUrl& url, Nanos timeout) {
  const Nanos deadline = monotonic_now() + timeout;
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return system_error("socket", errno);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(url.port);
  inet_pton(AF_INET, url.host.c_str(), &sa.sin_addr);
  const std::string where = url.host + ":" + std::to_string(url.port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS)
    return system_error("connect " + where, errno);
  if (!wait_for(fd.get(), POLLOUT, deadline)) return Error{"connect " + where + ": timed out"};
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return system_error("connect " + where, err);

  const std::string request = "GET " + url.path + " HTTP/1.0\r\nHost: " + where + "\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(fd.get(), POLLOUT, deadline)) return Error{"send to " + where + ": timed out"};
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return system_error("send to " + where, errno);
    if (n > 0) sent += std::size_t(n);
  }
  std::string response;
  char buf[16384];
  for (;;) {
    if (!wait_for(fd.get(), POLLIN, deadline)) return Error{"reading from " + where + ": timed out"};
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return system_error("reading from " + where, errno);
    }
    response.append(buf, std::size_t(n));
    if (response.size() > kMaxResponse) return Error{"answer from " + where + " exceeds 4 MiB"};
  }
  std::size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || body == std::string::npos)
    return Error{"answer from " + where + " is not HTTP"};
  std::string status = response.substr(9, 3);
  if (status != "200") return Error{"GET http://" + where + url.path + " answered " + status};
  return response.substr(body + 4);
}

}  // namespace chatd::loadgen
