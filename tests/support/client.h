// A blocking-style TCP client for black-box tests of chatd.
//
// The socket is non-blocking underneath and every wait goes through poll()
// with a deadline, so no test can hang on a silent server: each read and write
// has a bound and reports what it was waiting for when it expires. Harness
// failures (timeout, unexpected EOF, malformed frame, wrong event) throw
// HarnessError, which GoogleTest turns into a test failure carrying the
// message; helpers are therefore safe to call from non-void functions. In
// worker threads, catch HarnessError and hand the message to the main thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chatd_process.h"
#include "json.h"

namespace chatd_it {

struct ClientOptions {
  std::string label;  // who this is, in error messages
  int rcvbuf = 0;     // SO_RCVBUF set before connect (0 = kernel default)
  Ms connect_timeout = 3s;
};

class Client {
 public:
  Client() = default;
  ~Client();
  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects to 127.0.0.1:port; throws HarnessError on failure.
  static Client connect(uint16_t port, ClientOptions options = {});
  // Same, but returns nullopt instead of throwing.
  static std::optional<Client> try_connect(uint16_t port, ClientOptions options = {});

  const std::string& label() const { return label_; }
  void set_label(std::string label) { label_ = std::move(label); }
  int fd() const { return fd_; }

  // Writes all of `bytes` within `timeout`; throws on error or timeout.
  void send_raw(std::string_view bytes, Ms timeout = 5s);
  // Writes as much as possible within `timeout`; returns bytes written.
  size_t try_send_raw(std::string_view bytes, Ms timeout);
  void send_line(std::string_view line) { send_raw(std::string(line) + "\n"); }
  void send(const Obj& request) { send_line(request.str()); }

  // Next line without its "\n" (a trailing "\r" is removed too). nullopt on
  // timeout or when the peer closed; closed() tells which.
  std::optional<std::string> read_line(Ms timeout);
  // Next line or throw (timeout / EOF).
  std::string expect_line(Ms timeout = 3s);
  // Reads lines until `pred` holds; the others go to *skipped. Throws on timeout/EOF.
  std::string read_line_until(const std::function<bool(const std::string&)>& pred,
                              Ms timeout = 3s, std::vector<std::string>* skipped = nullptr);
  // Exactly `n` bytes (line-free protocols: an HTTP body, WebSocket frames). Throws on
  // timeout or EOF.
  std::string read_bytes(size_t n, Ms timeout = 3s);
  // Lines that arrive within `quiet` of each other, stopping at the first gap.
  std::vector<std::string> read_lines_until_quiet(Ms quiet, Ms limit = 3s);

  // Next line parsed as a JSON object; throws on timeout, EOF or bad JSON.
  Json read_json(Ms timeout = 3s);
  // Next frame, which must have "ev" == ev.
  Json expect_event(std::string_view ev, Ms timeout = 3s);
  // Skips frames until one has "ev" == ev; skipped ones go to *skipped.
  Json read_until_ev(std::string_view ev, Ms timeout = 3s, std::vector<Json>* skipped = nullptr);
  // Next direct reply: skips broadcast events (msg, user_joined, user_left,
  // typing, whisper), which the contract lets interleave with replies.
  Json next_reply(Ms timeout = 3s);
  Json expect_reply(std::string_view ev, Ms timeout = 3s);

  // Throws if anything (a byte or EOF) arrives within `window`.
  void expect_silence(Ms window);
  // Throws unless the peer closes (EOF or reset) within `timeout` with no
  // further complete line.
  void expect_closed(Ms timeout = 3s);
  // Reads until EOF/reset; returns every complete line received. Throws on timeout.
  std::vector<std::string> drain_to_eof(Ms timeout);

  bool closed() const { return eof_; }
  bool was_reset() const { return reset_; }
  void shutdown_write();
  void close();

  // Last lines received, for error messages.
  std::string recent() const;

 private:
  // Fills in_ with whatever arrives before the deadline. False on timeout.
  bool fill(std::chrono::steady_clock::time_point deadline);
  std::optional<std::string> take_line();
  [[noreturn]] void fail(const std::string& what) const;

  int fd_ = -1;
  std::string label_;
  std::string in_;
  bool eof_ = false;
  bool reset_ = false;
  std::deque<std::string> recent_;
};

// ---- JSON-mode helpers -------------------------------------------------------

// A short unique name (<= 32 bytes, [A-Za-z0-9_]) starting with `prefix`.
std::string uniq(std::string_view prefix);

// hello → welcome; checks welcome.user. Returns the welcome frame.
Json hello(Client& c, const std::string& user);
// Connects and logs in.
Client login(uint16_t port, const std::string& user, Json* welcome = nullptr);
// Logs in, retrying on name_taken until `timeout` (a disconnect of the same
// name is processed asynchronously).
Client login_retry(uint16_t port, const std::string& user, Ms timeout = 2s,
                   Json* welcome = nullptr);
// join → joined; checks joined.room. Returns the joined frame.
Json join(Client& c, const std::string& room);
// ping with a fresh ts → the next direct reply must be that pong.
void expect_alive(Client& c);
// Sends `request`; the next direct reply must be an error with `code`. If
// `op` is non-empty the error must echo it. Returns the error frame.
Json expect_error(Client& c, const Obj& request, std::string_view code, std::string_view op);
// Same for a raw line (not built with Obj).
Json expect_error_raw(Client& c, std::string_view line, std::string_view code,
                      std::string_view op);
// Checks an error frame: ev, code, msg a non-empty string, op (if non-empty).
void check_error_shape(const Json& e, std::string_view code, std::string_view op);

// Polls `pred` every 10 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred, Ms timeout);

// ---- text-mode helpers -------------------------------------------------------

inline constexpr std::string_view kPrompt = "Welcome to chatd. Enter your name:";

// Connects, sends `name` at once and reads up to the "* welcome NAME" line
// (allowing the prompt line before it). Returns the welcome line in *welcome.
Client text_login(uint16_t port, const std::string& name, std::string* welcome = nullptr);

bool starts_with(std::string_view s, std::string_view prefix);

}  // namespace chatd_it
