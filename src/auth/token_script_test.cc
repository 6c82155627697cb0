// scripts/token.sh against the C++ side: the script's token is byte for byte what
// mint_token() makes for the same key, name and exp, and the Verifier accepts it —
// for a short text key, a binary key with NUL and newline bytes, and a key longer
// than SHA-256's block (which HMAC hashes first). Also the script's refusals.
// The script's path comes from $CHATD_TOKEN_SCRIPT, else from the build (test_paths.h).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "auth/secret_file.h"
#include "auth/test_paths.h"
#include "auth/token_mint.h"
#include "auth/verifier.h"

namespace chatd::auth {
namespace {

using namespace std::literals;

struct ScriptRun {
  int exit_code;
  std::string output;  // stdout and stderr together
};

std::string shell_quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? "'\\''"s : std::string(1, c);
  return q + "'";
}

class TokenScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "the openssl command is not installed";
    const char* env = std::getenv("CHATD_TOKEN_SCRIPT");
    script_ = env != nullptr ? env : CHATD_TOKEN_SCRIPT_PATH;
    ASSERT_EQ(::access(script_.c_str(), X_OK), 0) << script_ << " is not an executable script";
    char tmpl[] = "/tmp/chatd_token_script_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string key_file(const std::string& name, std::string_view bytes) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // The script with `args` (shell words), without CHATD_AUTH_SECRET_FILE.
  ScriptRun run(const std::string& args) {
    return run_shell("env -u CHATD_AUTH_SECRET_FILE " + shell_quoted(script_) + " " + args + " </dev/null");
  }
  ScriptRun run_shell(const std::string& command) {
    const std::string cmd = "{ " + command + "; } 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return {-1, "popen failed"};
    std::string out;
    std::array<char, 512> buf;
    for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
    const int status = ::pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }

  // The script's token for `name` expiring at `exp`, checked against the C++ side.
  void expect_agreement(const std::string& file_bytes, const std::string& name, int64_t exp) {
    const std::string file = key_file("key", file_bytes);
    ScriptRun r = run(shell_quoted(name) + " --secret-file " + shell_quoted(file) + " --exp " + std::to_string(exp));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_FALSE(r.output.empty());
    ASSERT_EQ(r.output.back(), '\n');
    const std::string token = r.output.substr(0, r.output.size() - 1);

    auto key = load_auth_secret(file);
    ASSERT_TRUE(key.ok()) << key.error().message;
    auto minted = mint_token(*key, name, exp);
    ASSERT_TRUE(minted.ok());
    EXPECT_EQ(token, *minted);

    auto verifier = Verifier::create(*key);
    ASSERT_TRUE(verifier.ok());
    VerifyOutcome o = verifier->verify(token, name, exp - 60);
    EXPECT_TRUE(o.ok()) << o.message;
    EXPECT_EQ(verifier->verify(token, name, exp + 60).error, TokenError::expired);
  }

  std::string script_;
  std::string dir_;
};

TEST_F(TokenScriptTest, AgreesWithMintTokenAndTheVerifier) {
  expect_agreement("0123456789abcdef0123456789abcdef\n", "alice", 1'700'003'600);
  expect_agreement("0123456789abcdef0123456789abcdef", "bob.b-2_", 2'000'000'000);  // no newline
}

TEST_F(TokenScriptTest, ReadsBinaryKeysAsChatdDoes) {
  // NUL and newline bytes inside the key; only the last newline is stripped.
  expect_agreement("\0\n\x01\xff"s + std::string(30, '\x80') + "\n\n", "carol", 1'800'000'000);
}

TEST_F(TokenScriptTest, HashesKeysLongerThanABlock) {
  expect_agreement(std::string(200, 'k') + "\n", "dave", 1'800'000'000);
  expect_agreement(std::string(64, 'k'), "erin", 1'800'000'000);  // exactly one block: not hashed
  expect_agreement(std::string(65, 'k'), "frank", 1'800'000'000);
}

TEST_F(TokenScriptTest, TtlCountsFromNow) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  const std::string file = key_file("key", key);
  const int64_t before = std::time(nullptr);
  ScriptRun r = run("alice --ttl 600 --secret-file " + shell_quoted(file));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string token = r.output.substr(0, r.output.find('\n'));
  auto verifier = Verifier::create(key);
  ASSERT_TRUE(verifier.ok());
  EXPECT_TRUE(verifier->verify(token, "alice", before).ok());
  // exp is at least before + 600: still valid 599 s later, plus the 30 s leeway.
  EXPECT_TRUE(verifier->verify(token, "alice", before + 629).ok());
  EXPECT_EQ(verifier->verify(token, "alice", before + 3600).error, TokenError::expired);
}

TEST_F(TokenScriptTest, TakesTheKeyFileFromTheEnvironment) {
  const std::string file = key_file("key", "0123456789abcdef0123456789abcdef\n");
  ScriptRun without = run("alice --exp 1700003600");
  EXPECT_EQ(without.exit_code, 2);
  EXPECT_NE(without.output.find("no key"), std::string::npos) << without.output;
  ScriptRun r = run_shell("CHATD_AUTH_SECRET_FILE=" + shell_quoted(file) + " " + shell_quoted(script_) + " alice --exp 1700003600");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto minted = mint_token("0123456789abcdef0123456789abcdef", "alice", 1'700'003'600);
  ASSERT_TRUE(minted.ok());
  EXPECT_NE(r.output.find(*minted + "\n"), std::string::npos) << r.output;
}

TEST_F(TokenScriptTest, RefusesWithAClearMessage) {
  const std::string good = key_file("good", "0123456789abcdef0123456789abcdef");
  const std::string short_key = key_file("short", "0123456789abcdef0123456789abcde\n");
  struct Case {
    std::string args;
    std::string says;
  } cases[] = {
      {"", "missing NAME"},
      {"'bad name' --secret-file " + shell_quoted(good), "not a valid user name"},
      {std::string(33, 'a') + " --secret-file " + shell_quoted(good), "not a valid user name"},
      {"alice --secret-file " + shell_quoted(short_key), "31 bytes of key"},
      {"alice --secret-file " + shell_quoted(dir_ + "/missing"), "cannot read"},
      {"alice --secret-file " + shell_quoted(good) + " --ttl 0", "--ttl must be"},
      {"alice --secret-file " + shell_quoted(good) + " --ttl soon", "--ttl must be"},
      {"alice --secret-file " + shell_quoted(good) + " --exp 1.5", "--exp must be"},
      {"alice bob --secret-file " + shell_quoted(good), "one NAME only"},
      {"alice --frobnicate", "unknown option"},
  };
  for (const Case& c : cases) {
    ScriptRun r = run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.args << ": " << r.output;
    EXPECT_EQ(r.output.find("eyJ"), std::string::npos) << "printed a token: " << r.output;
  }
}

TEST_F(TokenScriptTest, HelpDescribesTheUsage) {
  ScriptRun r = run("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("token.sh NAME [--secret-file FILE]"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace chatd::auth
