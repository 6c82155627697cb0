// Authentication through real sockets (docs/protocol.md "Authentication",
// docs/auth.md): chatd --auth-secret-file KEY, hellos with good and bad tokens in
// JSON and text mode, three refusals, auth off, and a key chatd must refuse.
//
// Black-box: tokens are minted by scripts/token.sh (path in $CHATD_TOKEN_SCRIPT,
// set by tests/meson.build) and, for the tokens the script cannot write (alg none,
// HS512, nbf, tampered), by this file with OpenSSL's HMAC. Nothing of src/ is linked.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <set>

#include "client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

// 36 bytes; the file holds it with a trailing newline, which chatd strips.
constexpr std::string_view kKey = "chatd-auth-test-key-0123456789abcdef";

int64_t now_seconds() { return int64_t(std::time(nullptr)); }

std::string temp_dir() {
  static const std::string dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/chatd_auth_test.XXXXXX";
    if (!mkdtemp(pattern.data())) throw HarnessError("mkdtemp failed");
    return pattern;
  }();
  return dir;
}

std::string write_file(const std::string& name, std::string_view bytes) {
  const std::string path = temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return path;
}

const std::string& key_file() {
  static const std::string path = write_file("chatd.key", std::string(kKey) + "\n");
  return path;
}

// ---- tokens -------------------------------------------------------------------

std::string b64url(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char ch : in) {
    acc = (acc << 8) | ch;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

std::string mac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(md, key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
            &len))
    throw HarnessError("HMAC failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

// header.payload.signature with the signature made by `md` under `key`.
std::string jwt(std::string_view header, std::string_view payload, const EVP_MD* md = EVP_sha256(),
                std::string_view key = kKey) {
  const std::string input = b64url(header) + "." + b64url(payload);
  return input + "." + b64url(mac(md, key, input));
}

std::string claims(const std::string& sub, int64_t exp) {
  return R"({"sub":")" + sub + R"(","exp":)" + std::to_string(exp) + "}";
}

constexpr std::string_view kHs256 = R"({"alg":"HS256","typ":"JWT"})";

// scripts/token.sh NAME --secret-file KEY_FILE [args...]: how people mint tokens.
std::string token_sh(const std::string& name, const std::string& extra = "") {
  const char* script = std::getenv("CHATD_TOKEN_SCRIPT");
  if (!script) throw HarnessError("CHATD_TOKEN_SCRIPT is not set (tests/meson.build sets it)");
  const std::string cmd = std::string(script) + " " + name + " --secret-file '" + key_file() + "' " + extra;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw HarnessError("cannot run " + cmd);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  if (status != 0) throw HarnessError(cmd + " failed (status " + std::to_string(status) + ")");
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

Obj hello_with(const std::string& user, const std::string& token) {
  return op("hello").s("user", user).s("token", token);
}

// The next reply must be `unauthorized` for hello, and must not quote the token.
Json expect_unauthorized(Client& c, const Obj& request, const std::string& token = "") {
  Json e = expect_error(c, request, "unauthorized", "hello");
  if (!token.empty()) {
    EXPECT_EQ(e.raw().find(token), std::string::npos) << "the error quotes the token: " << e.raw();
    const std::string signature = token.substr(token.rfind('.') + 1);
    if (!signature.empty()) EXPECT_EQ(e.raw().find(signature), std::string::npos) << e.raw();
  }
  return e;
}

// ---- auth on, one server per backend ---------------------------------------------

class Auth : public SharedServerTest {
 protected:
  std::vector<std::string> extra_flags() const override { return {"--auth-secret-file", key_file()}; }
};

INSTANTIATE_TEST_SUITE_P(Backends, Auth, testing::ValuesIn(backends_x({2})), param_name);

TEST_P(Auth, AValidTokenIsWelcomedOnEveryShard) {
  // Enough users to land on both shards: the token is checked where the
  // connection was accepted and again on the user's home shard.
  std::set<int64_t> shards_seen;
  std::vector<Client> users;
  for (int i = 0; i < 8; ++i) {
    const std::string name = uniq("ok");
    Client c = Client::connect(port(), {.label = name});
    c.send(hello_with(name, token_sh(name)).s("rid", "r" + std::to_string(i)));
    Json w = c.expect_event("welcome");
    EXPECT_EQ(w.str("user"), name);
    EXPECT_EQ(w.str("rid"), "r" + std::to_string(i));
    shards_seen.insert(w.i64("shard"));
    users.push_back(std::move(c));
  }
  EXPECT_EQ(shards_seen.size(), 2u) << "8 users all on one shard: the test did not cover a move home";
  for (auto& c : users) expect_alive(c);
}

TEST_P(Auth, AMissingOrMistypedTokenIsUnauthorized) {
  const std::string name = uniq("no_tok");
  Client c = Client::connect(port(), {.label = name});
  Json e = expect_unauthorized(c, op("hello").s("user", name).s("rid", "x1"));
  EXPECT_EQ(e.str("rid"), "x1");
  expect_unauthorized(c, op("hello").s("user", name).i("token", 42));
  // Not logged in: other ops are still refused as before.
  expect_error(c, op("join").s("room", "r"), "not_logged_in", "join");
}

TEST_P(Auth, AlgNoneAndHs512AreRefused) {
  const std::string name = uniq("alg");
  const std::string body = claims(name, now_seconds() + 600);
  Client c = Client::connect(port(), {.label = name});
  const std::string none = b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(body) + ".";
  expect_unauthorized(c, hello_with(name, none), none);
  Client d = Client::connect(port(), {.label = name});
  const std::string hs512 = jwt(R"({"alg":"HS512","typ":"JWT"})", body, EVP_sha512());
  expect_unauthorized(d, hello_with(name, hs512), hs512);
  // HS256 over the same claims is fine: only the algorithm was wrong.
  d.send(hello_with(name, jwt(kHs256, body)));
  d.expect_event("welcome");
}

TEST_P(Auth, TamperedTokensAreRefused) {
  const std::string name = uniq("tamper");
  const std::string good = jwt(kHs256, claims(name, now_seconds() + 600));
  const std::size_t dot1 = good.find('.'), dot2 = good.rfind('.');
  // Another payload (a later exp) under the original signature.
  const std::string longer = good.substr(0, dot1 + 1) + b64url(claims(name, now_seconds() + 999999)) +
                             good.substr(dot2);
  // One signature character changed.
  std::string flipped = good;
  flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
  // Signed with another key.
  const std::string other_key = jwt(kHs256, claims(name, now_seconds() + 600), EVP_sha256(),
                                    "another-key-that-is-also-32-bytes-long");
  for (const std::string& t : {longer, flipped, other_key, good.substr(0, dot2), good + "=", std::string("x")}) {
    SCOPED_TRACE(t);
    Client c = Client::connect(port(), {.label = name});
    expect_unauthorized(c, hello_with(name, t), t.size() > 8 ? t : "");
  }
  Client ok = Client::connect(port(), {.label = name});
  ok.send(hello_with(name, good));
  ok.expect_event("welcome");
}

TEST_P(Auth, ATokenForAnotherUserIsRefused) {
  const std::string alice = uniq("alice"), mallory = uniq("mallory");
  const std::string alices = token_sh(alice);
  Client c = Client::connect(port(), {.label = mallory});
  expect_unauthorized(c, hello_with(mallory, alices), alices);
  // sub is case-sensitive, like names.
  std::string upper = alice;
  upper[0] = 'A';
  expect_unauthorized(c, hello_with(upper, alices), alices);
}

TEST_P(Auth, ExpiryAndNotBeforeHaveThirtySecondsOfLeeway) {
  const std::string name = uniq("time");
  const int64_t now = now_seconds();
  const std::string expired = token_sh(name, "--exp " + std::to_string(now - 60));
  const std::string nbf_future =
      jwt(kHs256, R"({"sub":")" + name + R"(","exp":)" + std::to_string(now + 600) + R"(,"nbf":)" +
                      std::to_string(now + 120) + "}");
  Client c = Client::connect(port(), {.label = name});
  Json e = expect_unauthorized(c, hello_with(name, expired), expired);
  EXPECT_NE(e.str("msg").find("expired"), std::string::npos) << e.raw();
  expect_unauthorized(c, hello_with(name, nbf_future), nbf_future);

  // Within the leeway: expired 10 s ago, valid from 10 s on.
  Client late = Client::connect(port(), {.label = name});
  late.send(hello_with(name, token_sh(name, "--exp " + std::to_string(now - 10))));
  late.expect_event("welcome");
  const std::string other = uniq("time");
  Client early = Client::connect(port(), {.label = other});
  early.send(hello_with(other, jwt(kHs256, R"({"sub":")" + other + R"(","exp":)" + std::to_string(now + 600) +
                                               R"(,"nbf":)" + std::to_string(now + 10) + "}")));
  early.expect_event("welcome");
}

TEST_P(Auth, TheThirdRefusedHelloClosesTheConnection) {
  const std::string name = uniq("thrice");
  Client c = Client::connect(port(), {.label = name});
  expect_unauthorized(c, hello_with(name, "a.b.c"));
  expect_unauthorized(c, op("hello").s("user", name));
  expect_alive(c);  // two refusals: still open
  c.send(hello_with(name, "a.b.c"));
  const std::vector<std::string> last = c.drain_to_eof(5s);
  ASSERT_EQ(last.size(), 1u) << c.recent();
  std::string err;
  auto e = Json::parse(last[0], &err);
  ASSERT_TRUE(e) << last[0];
  check_error_shape(*e, "unauthorized", "hello");
  EXPECT_FALSE(c.was_reset()) << "the close destroyed the error (reset)";
}

TEST_P(Auth, OtherHelloRefusalsDoNotCountAndASuccessAfterRefusalsLogsIn) {
  const std::string name = uniq("retry");
  Client c = Client::connect(port(), {.label = name});
  for (int i = 0; i < 4; ++i) expect_error(c, hello_with("bad name!", "x"), "bad_name", "hello");
  expect_unauthorized(c, hello_with(name, "a.b.c"));
  expect_unauthorized(c, hello_with(name, "a.b.c"));
  c.send(hello_with(name, token_sh(name)));
  c.expect_event("welcome");
  expect_alive(c);
}

TEST_P(Auth, WhoIsOnlineCannotBeProbedWithoutAToken) {
  const std::string name = uniq("online");
  Client owner = Client::connect(port(), {.label = name});
  owner.send(hello_with(name, token_sh(name)));
  owner.expect_event("welcome");
  Client probe = Client::connect(port(), {.label = "probe"});
  expect_unauthorized(probe, op("hello").s("user", name));  // not name_taken
  expect_unauthorized(probe, hello_with(name, "x.y.z"));
  Client holder = Client::connect(port(), {.label = "holder"});
  expect_error(holder, hello_with(name, token_sh(name)), "name_taken", "hello");
}

// ---- text mode and logs: a server per test ----------------------------------------

class AuthText : public testing::TestWithParam<ServerParam> {
 protected:
  void SetUp() override {
    server_ = ChatdProcess::start(GetParam().backend, GetParam().shards,
                                  {"--auth-secret-file", key_file(), "--log-level", "debug"});
  }
  std::unique_ptr<ChatdProcess> server_;
};

INSTANTIATE_TEST_SUITE_P(Backends, AuthText, testing::ValuesIn(backends_x({2})), param_name);

TEST_P(AuthText, TheFirstLineIsNameAndToken) {
  Client c = Client::connect(server_->port(), {.label = "text"});
  const std::string prompt = c.expect_line(3s);  // after 1 s of silence
  EXPECT_TRUE(starts_with(prompt, "Welcome to chatd. Enter your name and token:")) << prompt;
  c.send_line("tess");
  EXPECT_TRUE(starts_with(c.expect_line(), "error: unauthorized")) << c.recent();
  EXPECT_TRUE(starts_with(c.expect_line(), "Welcome to chatd. Enter your name and token:")) << c.recent();
  const std::string wrong = token_sh("someone_else");
  c.send_line("tess " + wrong);
  const std::string refused = c.expect_line();
  EXPECT_TRUE(starts_with(refused, "error: unauthorized")) << refused;
  EXPECT_EQ(refused.find(wrong.substr(wrong.rfind('.') + 1)), std::string::npos) << refused;
  c.expect_line();  // the prompt again
  c.send_line("tess  " + token_sh("tess") + " ");
  EXPECT_TRUE(starts_with(c.expect_line(), "* welcome tess ")) << c.recent();
  c.send_line("/rooms");
  EXPECT_FALSE(c.read_lines_until_quiet(300ms).empty());
}

TEST_P(AuthText, TokensNeverReachTheLog) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 6; ++i) {
    const std::string name = "logged" + std::to_string(i);
    tokens.push_back(token_sh(name));
    Client j = Client::connect(server_->port(), {.label = name});
    j.send(hello_with(name, tokens.back()));
    j.expect_event("welcome");
    Client bad = Client::connect(server_->port(), {.label = "bad"});
    const std::string forged = tokens.back().substr(0, tokens.back().rfind('.') + 1) + "AAAA" + std::to_string(i);
    tokens.push_back(forged);
    bad.send(hello_with("x" + name, forged));  // wrong user and a forged signature
    bad.expect_event("error");
    bad.send_line("{\"op\":\"hello\",\"user\":\"" + name + "\",\"token\":\"" + forged + "\"");  // bad JSON
    bad.expect_event("error");
    bad.close();
  }
  server_->signal(SIGTERM);
  ASSERT_TRUE(server_->wait_exit(10s));
  const std::string log = server_->stderr_text() + server_->stdout_text();
  ASSERT_NE(log.find("chatd ready"), std::string::npos);
  for (const std::string& t : tokens) {
    EXPECT_EQ(log.find(t.substr(t.rfind('.') + 1)), std::string::npos) << "a signature reached the log";
    EXPECT_EQ(log.find(t.substr(0, t.find('.'))), std::string::npos) << "a token reached the log";
  }
}

// ---- auth off, and keys chatd must refuse ------------------------------------------

class AuthOff : public SharedServerTest {};

INSTANTIATE_TEST_SUITE_P(Backends, AuthOff, testing::ValuesIn(backends_x({2})), param_name);

TEST_P(AuthOff, ATokenIsIgnored) {
  const std::string a = uniq("off"), b = uniq("off");
  Client c = Client::connect(port(), {.label = a});
  c.send(hello_with(a, "not even a token"));
  c.expect_event("welcome");
  Client d = Client::connect(port(), {.label = b});
  d.send(op("hello").s("user", b).i("token", 7));
  d.expect_event("welcome");
}

TEST(AuthSecretFile, TooShortOrUnreadableStopsChatdWithExitTwo) {
  const std::string short_key = write_file("short.key", "only-twenty-bytes-xx\n");
  RunResult r = run_chatd({"--auth-secret-file", short_key, "--port", "0", "--metrics-port", "0"});
  EXPECT_TRUE(r.status.exited && r.status.code == 2) << r.status.describe() << "\n" << r.err;
  EXPECT_NE(r.err.find("holds 20 bytes of key; HS256 needs at least 32"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(short_key), std::string::npos) << "the message names the file: " << r.err;
  EXPECT_EQ(r.err.find("only-twenty"), std::string::npos) << "the message quotes the key: " << r.err;
  EXPECT_EQ(r.err.find("chatd ready"), std::string::npos);

  const std::string missing = temp_dir() + "/no-such.key";
  r = run_chatd({"--auth-secret-file", missing, "--port", "0", "--metrics-port", "0"});
  EXPECT_TRUE(r.status.exited && r.status.code == 2) << r.status.describe() << "\n" << r.err;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("chatd ready"), std::string::npos);
}

}  // namespace
}  // namespace chatd_it
