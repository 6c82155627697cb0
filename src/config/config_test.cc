#include "config/config.h"

#include <gtest/gtest.h>

namespace chatd {
namespace {

Result<CliParse> parse(std::vector<std::string> args) { return parse_cli(args); }

TEST(Config, DefaultsMatchTheContract) {
  auto r = parse({});
  ASSERT_TRUE(r.ok());
  const Config& c = r->config;
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.metrics_port, 9400);
  EXPECT_EQ(c.max_outbound, 4u << 20);
  EXPECT_EQ(c.slow_timeout, 10 * kSeconds);
  EXPECT_EQ(c.max_frame, 65536u);
  EXPECT_EQ(c.max_text, 4096u);
  EXPECT_EQ(c.history, 1000u);
  EXPECT_EQ(c.rate_limit, 0u);
  EXPECT_EQ(c.drain_timeout, 5 * kSeconds);
  EXPECT_EQ(c.backend, Backend::auto_select);
  EXPECT_EQ(c.auth_secret_file, "");
  EXPECT_EQ(c.login_timeout, 10 * kSeconds);
  EXPECT_EQ(c.max_conns_per_ip, 0u);
}

TEST(Config, ParsesEveryFlag) {
  auto r = parse({"--port", "0", "--metrics-port=9500", "--shards", "4", "--backend", "epoll", "--max-conns",
                  "100", "--max-outbound", "64K", "--slow-timeout", "500ms", "--max-frame", "1M", "--max-text",
                  "10", "--history", "2000", "--rate-limit", "5", "--drain-timeout", "2s", "--log-level", "warn",
                  "--bind", "127.0.0.1", "--auth-secret-file", "/etc/chatd.key", "--login-timeout", "1s",
                  "--max-conns-per-ip", "50"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Config& c = r->config;
  EXPECT_EQ(c.port, 0);
  EXPECT_EQ(c.metrics_port, 9500);
  EXPECT_EQ(c.shards, 4u);
  EXPECT_EQ(c.backend, Backend::epoll);
  EXPECT_EQ(c.max_conns, 100u);
  EXPECT_EQ(c.max_outbound, 64u * 1024);
  EXPECT_EQ(c.slow_timeout, 500 * kMillis);
  EXPECT_EQ(c.max_frame, 1u << 20);
  EXPECT_EQ(c.max_text, 10u);
  EXPECT_EQ(c.history, 2000u);
  EXPECT_EQ(c.rate_limit, 5u);
  EXPECT_EQ(c.drain_timeout, 2 * kSeconds);
  EXPECT_EQ(c.log_level, LogLevel::warn);
  EXPECT_EQ(c.bind, "127.0.0.1");
  EXPECT_EQ(c.auth_secret_file, "/etc/chatd.key");
  EXPECT_EQ(c.login_timeout, 1 * kSeconds);
  EXPECT_EQ(c.max_conns_per_ip, 50u);
}

TEST(Config, RejectsBadInputWithTheFlagName) {
  for (auto args : std::vector<std::vector<std::string>>{{"--port", "70000"},
                                                          {"--port"},
                                                          {"--shards", "0"},
                                                          {"--backend", "kqueue"},
                                                          {"--max-outbound", "lots"},
                                                          {"--slow-timeout", "-1s"},
                                                          {"--slow-timeout", "3h"},
                                                          {"--history", "10"},
                                                          {"--auth-secret-file", ""},
                                                          {"--login-timeout", "0"},
                                                          {"--max-conns-per-ip", "-1"},
                                                          {"--frobnicate", "1"}}) {
    auto r = parse(args);
    ASSERT_FALSE(r.ok()) << args[0];
    EXPECT_NE(r.error().message.find(args[0]), std::string::npos) << r.error().message;
  }
}

TEST(Config, HelpAndVersion) {
  EXPECT_EQ(parse({"--help"})->action, CliAction::help);
  EXPECT_EQ(parse({"--version"})->action, CliAction::version);
  for (const char* flag : {"--port", "--metrics-port", "--shards", "--backend", "--max-conns", "--max-outbound",
                           "--slow-timeout", "--max-frame", "--max-text", "--history", "--rate-limit",
                           "--drain-timeout", "--log-level", "--auth-secret-file", "--login-timeout",
                           "--max-conns-per-ip", "--help", "--version"}) {
    EXPECT_NE(usage().find(flag), std::string::npos) << flag;
  }
}

TEST(Config, SizesAndDurations) {
  EXPECT_EQ(*parse_size("4M"), 4u << 20);
  EXPECT_EQ(*parse_size("123"), 123u);
  EXPECT_FALSE(parse_size("").ok());
  EXPECT_FALSE(parse_size("1.5M").ok());
  EXPECT_EQ(*parse_duration("1.5"), 1500 * kMillis);
  EXPECT_EQ(*parse_duration("2m"), 120 * kSeconds);
  EXPECT_EQ(*parse_duration("250us"), 250'000);
  EXPECT_FALSE(parse_duration("soon").ok());
}

}  // namespace
}  // namespace chatd
