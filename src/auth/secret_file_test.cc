// Loading --auth-secret-file: one trailing newline stripped (only one), the
// 32-byte minimum, the size bound, and errors that name the file but never the key.
#include "auth/secret_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace chatd::auth {
namespace {

using namespace std::literals;

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/chatd_secret_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string& f : files_) std::remove(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string write(const std::string& name, std::string_view bytes) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    files_.push_back(path);
    return path;
  }

  std::string dir_;
  std::vector<std::string> files_;
};

const std::string k32 = "0123456789abcdef0123456789abcdef";

TEST_F(SecretFileTest, ReadsTheKeyAsWritten) {
  auto s = load_auth_secret(write("plain", k32));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*s, k32);
}

TEST_F(SecretFileTest, StripsExactlyOneTrailingNewline) {
  auto one = load_auth_secret(write("one", k32 + "\n"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, k32);
  auto two = load_auth_secret(write("two", k32 + "\n\n"));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, k32 + "\n");
  // Only '\n': a CRLF file keeps its '\r' (docs/auth.md says so).
  auto crlf = load_auth_secret(write("crlf", k32 + "\r\n"));
  ASSERT_TRUE(crlf.ok());
  EXPECT_EQ(*crlf, k32 + "\r");
}

TEST_F(SecretFileTest, KeepsBinaryBytes) {
  const std::string key = "\0\xff\n\x01"s + std::string(30, '\x7f');
  auto s = load_auth_secret(write("binary", key));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, key);
}

TEST_F(SecretFileTest, RefusesAShortKeyCountingAfterTheNewline) {
  const std::string k31 = k32.substr(0, 31);
  auto s = load_auth_secret(write("short", k31 + "\n"));  // 32 bytes in the file, 31 of key
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("31 bytes"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("at least 32"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("/short"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find(k31), std::string::npos) << "the key leaked into the message";

  auto empty = load_auth_secret(write("empty", ""));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("0 bytes"), std::string::npos) << empty.error().message;
}

TEST_F(SecretFileTest, RefusesAFileFarTooLargeForAKey) {
  auto s = load_auth_secret(write("huge", std::string(kMaxSecretFileBytes + 1, 'k')));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("larger than"), std::string::npos) << s.error().message;
  EXPECT_TRUE(load_auth_secret(write("max", std::string(kMaxSecretFileBytes, 'k'))).ok());
}

TEST_F(SecretFileTest, NamesTheFileAndTheReasonWhenItCannotBeRead) {
  auto missing = load_auth_secret(dir_ + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(dir_ + "/nope"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos) << missing.error().message;

  auto directory = load_auth_secret(dir_);
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message.find("directory"), std::string::npos) << directory.error().message;
}

TEST(SecretFromFileBytes, AppliesTheSameRule) {
  EXPECT_EQ(*secret_from_file_bytes(k32 + "\n", "test"), k32);
  EXPECT_FALSE(secret_from_file_bytes("short\n", "test").ok());
}

}  // namespace
}  // namespace chatd::auth
