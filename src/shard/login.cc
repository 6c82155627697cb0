// Admission and login on a shard (docs/protocol.md "Authentication", docs/auth.md):
//   - at accept, --max-conns-per-ip: a connection over its address's limit is
//     closed at once;
//   - until a hello succeeds, --login-timeout: a connection not logged in by its
//     deadline is closed;
//   - with --auth-secret-file, the token a hello carries, verified by this shard's
//     own Verifier; the third refused hello closes the connection.
// What a connection carries of this across its move home is shard/admission.h.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "shard/shard.h"

namespace chatd::shard {
namespace {

using proto::ErrorCode;
using proto::FieldState;

// The contract: "after 3 refused hellos the connection is closed".
constexpr uint8_t kMaxRefusedHellos = 3;
// The third refusal's error, like frame_too_large's, gets this long to reach the client.
constexpr Nanos kRefusalGrace = 2 * kSeconds;
// A late login has nothing to read but what was already queued (a prompt, pongs).
constexpr Nanos kLateLoginGrace = 1 * kSeconds;

constexpr std::string_view kTextPromptWithToken = "Welcome to chatd. Enter your name and token:\n";

}  // namespace

Result<void> Shard::start_auth() {
  if (shared_.auth_secret.empty()) return {};
  // On the shard's thread: the MAC context and the JSON parser are this shard's alone.
  auto verifier = auth::Verifier::create(shared_.auth_secret);
  if (!verifier) return verifier.error();
  verifier_.emplace(std::move(*verifier));
  return {};
}

// ---- --max-conns-per-ip

bool Shard::refused_by_address_limit(int fd, Admission& admission) {
  net::ConnsPerAddress* table = shared_.conns_per_address.get();
  if (table == nullptr) return false;
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  // The listener is IPv4 (--bind). A peer that already went (ENOTCONN) is not
  // counted: its first recv ends it.
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0 || peer.sin_family != AF_INET) return false;
  const uint32_t address = ntohl(peer.sin_addr.s_addr);
  if (table->try_acquire(address)) {
    admission.holds_address_slot = true;
    admission.address = address;
    return false;
  }
  // A plain close, nothing written: the client learns only that it was refused,
  // and a flood costs an accept and a close, no buffer.
  shared_.connections.fetch_sub(1, std::memory_order_relaxed);
  ::close(fd);
  ++address_refusals_since_log_;
  if (now_ - last_address_refusal_log_ >= kSeconds) {
    char text[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
    LOG_WARN("refused %llu connections over --max-conns-per-ip %u since the last report (latest from %s)",
             (unsigned long long)address_refusals_since_log_, table->limit(), text);
    last_address_refusal_log_ = now_;
    address_refusals_since_log_ = 0;
  }
  return true;
}

void Shard::release_address_slot(Connection& c) {
  if (!c.admission.holds_address_slot) return;
  shared_.conns_per_address->release(c.admission.address);
  c.admission.holds_address_slot = false;
}

// ---- --login-timeout

void Shard::start_login_clock(Connection& c) {
  c.admission.login_by = now_ + config_.login_timeout;
  watch_login_deadline(c);
}

void Shard::continue_login_clock(Connection& c, const Admission& carried) {
  c.admission = carried;  // the accept's deadline: moving home buys no time
  if (c.admission.login_by != 0) watch_login_deadline(c);
}

void Shard::watch_login_deadline(Connection& c) {
  login_deadlines_.add(c.key, c.admission.login_by);
  if (login_deadlines_.needs_compaction(open_connections_)) {
    login_deadlines_.drop_if([&](reactor::ConnKey key) {
      const Connection* w = find(key);
      return w == nullptr || w->admission.login_by == 0;
    });
  }
}

void Shard::close_late_logins() {
  login_deadlines_.expire(now_, [&](reactor::ConnKey key) {
    Connection* c = find(key);
    // Gone, logged in, given a later deadline (see start_login_clock), already
    // closing, or moving home (the home shard watches the same deadline).
    if (c == nullptr || c->admission.login_by == 0 || c->admission.login_by > now_ || c->phase != Phase::open)
      return;
    // A plain HTTP connection (a page, /healthz) is no chat client: its own head and
    // keep-alive timeouts govern it. One upgraded to WebSocket gets a fresh login
    // clock at the upgrade (start_login_clock).
    if (c->mode == proto::Mode::http) return;
    // The contract names no error for this; the connection is just closed
    // (docs/protocol.md "Choices where the contract is silent").
    LOG_DEBUG("closing a connection that did not log in within --login-timeout");
    close_websocket(*c, ws::close_code::policy_violation, "login timeout");
    drain_then_close(*c, kLateLoginGrace);
  });
}

// ---- the token of a hello

bool Shard::token_accepted(Connection& c, const proto::Request& r) {
  if (!verifier_) return true;  // auth off: a token is ignored
  const char* why;
  if (r.token_state == FieldState::absent) {
    why = c.mode == proto::Mode::text ? "auth is on: send your name and token on one line (NAME TOKEN)"
                                      : "auth is on: hello needs a token";
  } else if (r.token_state == FieldState::wrong_type) {
    why = "token must be a string";
  } else {
    // Wall-clock seconds: the clock `exp` and `nbf` speak.
    const auth::VerifyOutcome v = verifier_->verify(r.token, r.user, wall_clock_micros() / 1'000'000);
    if (v.ok()) return true;
    why = v.message;  // a fixed sentence: never the token (nor is the token logged)
  }
  send_error(c, ErrorCode::unauthorized, why, r.rid, proto::op_name(r.op));
  if (++c.admission.refused_hellos >= kMaxRefusedHellos) {
    close_websocket(c, ws::close_code::policy_violation, "unauthorized");
    drain_then_close(c, kRefusalGrace);
    return false;
  }
  if (c.mode == proto::Mode::text) queue_reply(c, text_prompt());
  return false;
}

proto::TextLogin Shard::text_login() const {
  return verifier_ ? proto::TextLogin::name_and_token : proto::TextLogin::name;
}

std::string_view Shard::text_prompt() const { return verifier_ ? kTextPromptWithToken : proto::kTextPrompt; }

}  // namespace chatd::shard
