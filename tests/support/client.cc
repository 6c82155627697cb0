#include "client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

namespace chatd_it {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
  return left < 0 ? 0 : int(left);
}

std::string ms_text(Ms t) { return std::to_string(t.count()) + " ms"; }

bool is_broadcast(const std::string& ev) {
  return ev == "msg" || ev == "user_joined" || ev == "user_left" || ev == "typing" ||
         ev == "whisper";
}

}  // namespace

Client::~Client() { close(); }

Client::Client(Client&& o) noexcept { *this = std::move(o); }

Client& Client::operator=(Client&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    o.fd_ = -1;
    label_ = std::move(o.label_);
    in_ = std::move(o.in_);
    eof_ = o.eof_;
    reset_ = o.reset_;
    recent_ = std::move(o.recent_);
  }
  return *this;
}

std::optional<Client> Client::try_connect(uint16_t port, ClientOptions options) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  if (options.rcvbuf > 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &options.rcvbuf, sizeof options.rcvbuf);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) {
      ::close(fd);
      return std::nullopt;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, int(options.connect_timeout.count())) != 1 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      ::close(fd);
      return std::nullopt;
    }
  }
  Client c;
  c.fd_ = fd;
  c.label_ = options.label.empty() ? "client" : options.label;
  return c;
}

Client Client::connect(uint16_t port, ClientOptions options) {
  std::string label = options.label;
  auto c = try_connect(port, std::move(options));
  if (!c)
    throw HarnessError("cannot connect " + label + " to 127.0.0.1:" + std::to_string(port) +
                       ": " + strerror(errno));
  return std::move(*c);
}

void Client::fail(const std::string& what) const {
  throw HarnessError("[" + label_ + "] " + what + recent());
}

std::string Client::recent() const {
  if (recent_.empty()) return "";
  std::string out = "\n  last lines received by " + label_ + ":";
  for (auto& l : recent_) out += "\n    " + (l.size() > 300 ? l.substr(0, 300) + "..." : l);
  return out;
}

size_t Client::try_send_raw(std::string_view bytes, Ms timeout) {
  auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  while (sent < bytes.size() && fd_ >= 0) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd_, POLLOUT, 0};
      int left = remaining_ms(deadline);
      if (left == 0 || poll(&p, 1, left) <= 0) break;
      continue;
    }
    break;  // EPIPE, ECONNRESET, ...
  }
  return sent;
}

void Client::send_raw(std::string_view bytes, Ms timeout) {
  if (fd_ < 0) fail("send on a closed client");
  errno = 0;
  size_t n = try_send_raw(bytes, timeout);
  if (n != bytes.size())
    fail("could send only " + std::to_string(n) + " of " + std::to_string(bytes.size()) +
         " bytes (" + (errno ? strerror(errno) : "timeout") + ")");
}

bool Client::fill(Clock::time_point deadline) {
  if (eof_ || fd_ < 0) return false;
  for (;;) {
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, size_t(n));
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      eof_ = true;
      reset_ = errno == ECONNRESET;
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    int left = remaining_ms(deadline);
    if (left == 0) return false;
    int r = poll(&p, 1, left);
    if (r == 0) return false;
    if (r < 0 && errno != EINTR) return false;
  }
}

std::optional<std::string> Client::take_line() {
  auto nl = in_.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  std::string line = in_.substr(0, nl);
  in_.erase(0, nl + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  recent_.push_back(line);
  if (recent_.size() > 8) recent_.pop_front();
  return line;
}

std::optional<std::string> Client::read_line(Ms timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto line = take_line()) return line;
    if (!fill(deadline)) return take_line();
  }
}

std::string Client::expect_line(Ms timeout) {
  auto line = read_line(timeout);
  if (!line) {
    if (eof_)
      fail(std::string("connection closed by the server") + (reset_ ? " (reset)" : "") +
           " while waiting for a line" +
           (in_.empty() ? "" : "; unterminated bytes: " + in_.substr(0, 200)));
    fail("no line within " + ms_text(timeout) +
         (in_.empty() ? "" : "; unterminated bytes so far: " + in_.substr(0, 200)));
  }
  return *line;
}

std::string Client::read_bytes(size_t n, Ms timeout) {
  auto deadline = Clock::now() + timeout;
  while (in_.size() < n) {
    if (!fill(deadline))
      fail(std::string(eof_ ? "connection closed" : "timeout") + " after " + std::to_string(in_.size()) + " of " +
           std::to_string(n) + " bytes");
  }
  std::string out = in_.substr(0, n);
  in_.erase(0, n);
  return out;
}

std::string Client::read_line_until(const std::function<bool(const std::string&)>& pred,
                                    Ms timeout, std::vector<std::string>* skipped) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    std::string line = expect_line(Ms(remaining_ms(deadline)));
    if (pred(line)) return line;
    if (skipped) skipped->push_back(line);
  }
}

std::vector<std::string> Client::read_lines_until_quiet(Ms quiet, Ms limit) {
  std::vector<std::string> lines;
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    auto line = read_line(std::min(quiet, Ms(remaining_ms(deadline))));
    if (!line) break;
    lines.push_back(*line);
  }
  return lines;
}

Json Client::read_json(Ms timeout) {
  std::string line = expect_line(timeout);
  std::string err;
  auto j = Json::parse(line, &err);
  if (!j) fail("received a line that is not valid JSON (" + err + "): " + line.substr(0, 300));
  if (!j->is_object()) fail("received JSON that is not an object: " + line.substr(0, 300));
  if (!j->has("ev") || !j->at("ev").is_string())
    fail("received a frame without a string \"ev\": " + line.substr(0, 300));
  return std::move(*j);
}

Json Client::expect_event(std::string_view ev, Ms timeout) {
  Json j = read_json(timeout);
  if (j.str("ev") != ev)
    fail("expected an \"" + std::string(ev) + "\" event, got " + j.raw().substr(0, 300));
  return j;
}

Json Client::read_until_ev(std::string_view ev, Ms timeout, std::vector<Json>* skipped) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (Clock::now() >= deadline && in_.find('\n') == std::string::npos)
      fail("no \"" + std::string(ev) + "\" event within " + ms_text(timeout));
    Json j = read_json(Ms(remaining_ms(deadline)));
    if (j.str("ev") == ev) return j;
    if (skipped) skipped->push_back(std::move(j));
  }
}

Json Client::next_reply(Ms timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    Json j = read_json(Ms(remaining_ms(deadline)));
    if (!is_broadcast(j.str("ev"))) return j;
  }
}

Json Client::expect_reply(std::string_view ev, Ms timeout) {
  Json j = next_reply(timeout);
  if (j.str("ev") != ev)
    fail("expected the direct reply \"" + std::string(ev) + "\", got " +
         j.raw().substr(0, 300));
  return j;
}

void Client::expect_silence(Ms window) {
  auto line = read_line(window);
  if (line) fail("expected silence for " + ms_text(window) + ", got: " + line->substr(0, 300));
  if (eof_) fail("expected silence, but the server closed the connection");
  if (!in_.empty()) fail("expected silence, got partial bytes: " + in_.substr(0, 200));
}

void Client::expect_closed(Ms timeout) {
  auto line = read_line(timeout);
  if (line) fail("expected the server to close the connection, got: " + line->substr(0, 300));
  if (!eof_) fail("the server did not close the connection within " + ms_text(timeout));
}

std::vector<std::string> Client::drain_to_eof(Ms timeout) {
  auto deadline = Clock::now() + timeout;
  std::vector<std::string> lines;
  for (;;) {
    while (auto l = take_line()) lines.push_back(std::move(*l));
    if (eof_) break;
    if (Clock::now() >= deadline)
      fail("no EOF within " + ms_text(timeout) + " while draining (" +
           std::to_string(lines.size()) + " lines so far)");
    fill(deadline);
  }
  return lines;
}

void Client::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// ---- JSON-mode helpers -------------------------------------------------------

std::string uniq(std::string_view prefix) {
  static std::atomic<int> counter{0};
  std::string name = std::string(prefix.substr(0, 20)) + "_" + std::to_string(counter++);
  return name;
}

Json hello(Client& c, const std::string& user) {
  c.send(op("hello").s("user", user));
  Json w = c.read_json();
  if (w.str("ev") != "welcome")
    throw HarnessError("hello as \"" + user + "\" was answered with " + w.raw());
  if (w.str("user") != user)
    throw HarnessError("welcome names the wrong user: " + w.raw() + " (sent " + user + ")");
  return w;
}

Client login(uint16_t port, const std::string& user, Json* welcome) {
  Client c = Client::connect(port, {.label = user});
  Json w = hello(c, user);
  if (welcome) *welcome = std::move(w);
  return c;
}

Client login_retry(uint16_t port, const std::string& user, Ms timeout, Json* welcome) {
  Client c = Client::connect(port, {.label = user});
  auto deadline = Clock::now() + timeout;
  for (;;) {
    c.send(op("hello").s("user", user));
    Json w = c.read_json();
    if (w.str("ev") == "welcome" && w.str("user") == user) {
      if (welcome) *welcome = std::move(w);
      return c;
    }
    if (w.str("ev") != "error" || w.str("code") != "name_taken" || Clock::now() > deadline)
      throw HarnessError("hello as \"" + user + "\" (retried on name_taken for " +
                         ms_text(timeout) + ") was answered with " + w.raw());
    std::this_thread::sleep_for(20ms);
  }
}

Json join(Client& c, const std::string& room) {
  c.send(op("join").s("room", room));
  Json j = c.expect_reply("joined");
  if (j.str("room") != room)
    throw HarnessError("joined names the wrong room: " + j.raw() + " (sent " + room + ")");
  return j;
}

void expect_alive(Client& c) {
  static std::atomic<int64_t> ts{1000000};
  int64_t mine = ts++;
  c.send(op("ping").i("ts", mine));
  Json p = c.next_reply();
  if (p.str("ev") != "pong" || p.i64("ts") != mine)
    throw HarnessError("[" + c.label() + "] ping ts=" + std::to_string(mine) +
                       " was answered with " + p.raw());
}

void check_error_shape(const Json& e, std::string_view code, std::string_view op_name) {
  if (e.str("ev") != "error")
    throw HarnessError("expected an error \"" + std::string(code) + "\", got " + e.raw());
  if (e.str("code") != code)
    throw HarnessError("expected error code \"" + std::string(code) + "\", got " + e.raw());
  if (e.str("msg").empty()) throw HarnessError("error has an empty msg: " + e.raw());
  if (!op_name.empty() && e.str("op") != op_name)
    throw HarnessError("error should echo op \"" + std::string(op_name) + "\": " + e.raw());
}

Json expect_error_raw(Client& c, std::string_view line, std::string_view code,
                      std::string_view op_name) {
  c.send_line(line);
  Json e = c.next_reply();
  try {
    check_error_shape(e, code, op_name);
  } catch (const HarnessError& err) {
    throw HarnessError(std::string(err.what()) + "\n  request: " + std::string(line));
  }
  return e;
}

Json expect_error(Client& c, const Obj& request, std::string_view code, std::string_view op) {
  return expect_error_raw(c, request.str(), code, op);
}

bool eventually(const std::function<bool()>& pred, Ms timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

// ---- text-mode helpers -------------------------------------------------------

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Client text_login(uint16_t port, const std::string& name, std::string* welcome) {
  Client c = Client::connect(port, {.label = "text:" + name});
  c.send_line(name);
  std::vector<std::string> before;
  std::string w = c.read_line_until(
      [&](const std::string& l) { return starts_with(l, "* welcome " + name + " "); }, 3s,
      &before);
  for (auto& l : before)
    if (!starts_with(l, kPrompt))
      throw HarnessError("text login as " + name + ": unexpected line before welcome: " + l);
  // Joining lobby is part of logging in; its confirmation is our sync point.
  std::string joined = c.expect_line();
  if (!starts_with(joined, "* you joined lobby ("))
    throw HarnessError("text login as " + name +
                       ": expected \"* you joined lobby (M members)\" after the welcome, got: " +
                       joined);
  if (welcome) *welcome = w;
  return c;
}

}  // namespace chatd_it
