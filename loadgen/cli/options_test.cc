#include "loadgen/cli/options.h"

#include <gtest/gtest.h>

namespace chatd::loadgen {
namespace {

Options parse_ok(std::vector<std::string> args) {
  auto r = parse_options(args);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r->options : Options{};
}

std::string parse_error(std::vector<std::string> args) {
  auto r = parse_options(args);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

TEST(LoadgenOptions, DefaultsAreTheDocumentedOnes) {
  Options o = parse_ok({});
  EXPECT_EQ(o.mode, Mode::ramp);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 7000);
  EXPECT_EQ(o.ramp, 100u);
  EXPECT_EQ(o.msgs, 100u);
  EXPECT_EQ(o.effective_steps(), 10u);
  EXPECT_EQ(o.rooms, 25u);
  EXPECT_EQ(o.size, 64u);
  EXPECT_EQ(o.seed, 1u);
  EXPECT_EQ(o.rate, 0.0);
  EXPECT_EQ(o.window, 16u);
  EXPECT_EQ(o.step_timeout, 30 * kSeconds);
  EXPECT_EQ(o.connect_timeout, 5 * kSeconds);
  EXPECT_FALSE(o.slo_p99);
  EXPECT_FALSE(o.metrics_port);
  EXPECT_EQ(o.backend, reactor::Backend::auto_select);
  EXPECT_TRUE(o.out_dir.empty());
  EXPECT_EQ(o.target, Target::chatd);
  EXPECT_FALSE(o.whisper);
  EXPECT_TRUE(o.room_prefix.empty());
}

TEST(LoadgenOptions, TargetsAndTheirDefaultPorts) {
  EXPECT_EQ(parse_ok({"--target", "redis"}).target, Target::redis);
  EXPECT_EQ(parse_ok({"--target", "redis"}).port, 6379);
  EXPECT_EQ(parse_ok({"--target=nats"}).port, 4222);
  EXPECT_EQ(parse_ok({"--target", "chatd"}).port, 7000);
  EXPECT_EQ(parse_ok({"--port", "7100", "--target", "nats"}).port, 7100) << "--port wins whatever the order";
  EXPECT_NE(parse_error({"--target", "kafka"}).find("chatd, redis or nats"), std::string::npos);
  EXPECT_NE(parse_error({"--sink-port", "0", "--target", "redis"}).find("--target"), std::string::npos);
}

TEST(LoadgenOptions, WebSocket) {
  EXPECT_FALSE(parse_ok({}).websocket);
  EXPECT_TRUE(parse_ok({"--ws"}).websocket);
  EXPECT_TRUE(parse_ok({"--ws", "--scenario", "basic"}).websocket);
  EXPECT_TRUE(parse_ok({"--ws", "--interactive"}).websocket);
  EXPECT_NE(parse_error({"--ws", "--target", "redis"}).find("--ws"), std::string::npos);
  EXPECT_NE(parse_error({"--ws", "--sink-port", "0"}).find("--ws"), std::string::npos);
}

TEST(LoadgenOptions, AuthSecretFile) {
  EXPECT_TRUE(parse_ok({}).auth_secret_file.empty());
  const Options o = parse_ok({"--auth-secret-file", "/etc/chatd/key", "--ws"});
  EXPECT_EQ(o.auth_secret_file, "/etc/chatd/key");
  EXPECT_TRUE(o.auth_secret.empty()) << "parsing reads no file: main() loads the key";
  EXPECT_NE(parse_error({"--auth-secret-file", "k", "--target", "nats"}).find("--auth-secret-file"),
            std::string::npos);
  EXPECT_NE(parse_error({"--auth-secret-file", "k", "--sink-port", "0"}).find("--auth-secret-file"),
            std::string::npos);
  EXPECT_NE(parse_error({"--auth-secret-file", ""}).find("--auth-secret-file"), std::string::npos);
}

TEST(LoadgenOptions, Hosts) {
  const Options plain = parse_ok({"--host", "127.0.0.9", "--port", "7100"});
  EXPECT_TRUE(plain.hosts.empty());
  EXPECT_EQ(plain.servers(), (std::vector<Endpoint>{{"127.0.0.9", 7100}})) << "default: --host and --port";
  EXPECT_EQ(plain.servers_text(), "127.0.0.9:7100");
  const Options o = parse_ok({"--hosts", "127.0.0.1:7001,10.0.0.2:7002,127.0.0.1:7003"});
  EXPECT_EQ(o.servers(), (std::vector<Endpoint>{{"127.0.0.1", 7001}, {"10.0.0.2", 7002}, {"127.0.0.1", 7003}}));
  EXPECT_EQ(o.servers_text(), "127.0.0.1:7001,10.0.0.2:7002,127.0.0.1:7003");
  EXPECT_EQ(parse_ok({"--hosts", "127.0.0.1:7001", "--ws"}).servers().size(), 1u);
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "localhost:7000",
                          "127.0.0.1:7001,", ",127.0.0.1:7001", "127.0.0.1:7001;127.0.0.1:7002", ""}) {
    EXPECT_NE(parse_error({"--hosts", bad}).find("--hosts"), std::string::npos) << bad;
  }
  EXPECT_NE(parse_error({"--hosts", "127.0.0.1:7001", "--port", "7000"}).find("--hosts"), std::string::npos);
  EXPECT_NE(parse_error({"--hosts", "127.0.0.1:7001", "--host", "127.0.0.1"}).find("--hosts"), std::string::npos);
  EXPECT_NE(parse_error({"--hosts", "127.0.0.1:7001", "--sink-port", "0"}).find("--hosts"), std::string::npos);
  EXPECT_EQ(parse_ok({}).settle, 0);
  EXPECT_EQ(parse_ok({"--settle", "500ms"}).settle, 500 * kMillis);
  EXPECT_NE(parse_error({"--settle", "soon"}).find("--settle"), std::string::npos);
}

TEST(LoadgenOptions, Publishers) {
  EXPECT_EQ(parse_ok({}).publishers, 0u) << "default: every client sends";
  EXPECT_EQ(parse_ok({"--publishers", "4"}).publishers, 4u);
  EXPECT_EQ(parse_ok({"--scenario", "basic", "--publishers", "40"}).publishers, 40u);
  EXPECT_NE(parse_error({"--publishers", "0"}).find("--publishers"), std::string::npos);
  EXPECT_NE(parse_error({"--sink-port", "0", "--publishers", "2"}).find("--publishers"), std::string::npos);
}

TEST(LoadgenOptions, WhisperAndRoomPrefix) {
  Options o = parse_ok({"--whisper", "--room-prefix", "obs-run_1."});
  EXPECT_TRUE(o.whisper);
  EXPECT_EQ(o.room_prefix, "obs-run_1.");
  EXPECT_TRUE(parse_ok({"--scenario", "basic", "--whisper"}).whisper);
  EXPECT_NE(parse_error({"--interactive", "--whisper"}).find("--whisper"), std::string::npos);
  EXPECT_NE(parse_error({"--room-prefix", "a b"}).find("room prefix"), std::string::npos);
  EXPECT_NE(parse_error({"--room-prefix", "a*"}).find("room prefix"), std::string::npos);
  EXPECT_NE(parse_error({"--room-prefix", std::string(55, 'r')}).find("room prefix"), std::string::npos);
}

TEST(LoadgenOptions, EveryValueFlag) {
  Options o = parse_ok({"--ramp", "10", "--msgs=20", "--steps", "3", "--max-clients", "500", "--rooms", "2",
                        "--size", "128", "--seed", "42", "--rate", "2500.5", "--window", "4", "--step-timeout",
                        "5s", "--slo-p99", "20ms", "--host", "127.0.0.3", "--port", "7100", "--connect-timeout",
                        "1500ms", "--threads", "3", "--backend", "epoll", "--metrics-url",
                        "http://127.0.0.1:9400/metrics", "--metrics-port", "9500", "--out", "/tmp/x",
                        "--source-ips", "127.0.0.2-127.0.0.4", "--no-progress"});
  EXPECT_EQ(o.ramp, 10u);
  EXPECT_EQ(o.msgs, 20u);
  EXPECT_EQ(o.steps, 3u);
  EXPECT_EQ(o.max_clients, 500u);
  EXPECT_EQ(o.rooms, 2u);
  EXPECT_EQ(o.size, 128u);
  EXPECT_EQ(o.seed, 42u);
  EXPECT_DOUBLE_EQ(o.rate, 2500.5);
  EXPECT_EQ(o.window, 4u);
  EXPECT_EQ(o.step_timeout, 5 * kSeconds);
  EXPECT_EQ(*o.slo_p99, 20 * kMillis);
  EXPECT_EQ(o.host, "127.0.0.3");
  EXPECT_EQ(o.port, 7100);
  EXPECT_EQ(o.connect_timeout, 1500 * kMillis);
  EXPECT_EQ(o.threads, 3u);
  EXPECT_EQ(o.backend, reactor::Backend::epoll);
  EXPECT_EQ(o.metrics_url, "http://127.0.0.1:9400/metrics");
  EXPECT_EQ(*o.metrics_port, 9500);
  EXPECT_EQ(o.out_dir, "/tmp/x");
  EXPECT_EQ(o.source_ips.size(), 3u);
  EXPECT_FALSE(o.progress);
}

TEST(LoadgenOptions, MaxClientsAloneMeansNoStepLimit) {
  EXPECT_EQ(parse_ok({"--max-clients", "300"}).effective_steps(), 0u);
  EXPECT_EQ(parse_ok({"--max-clients", "300", "--steps", "2"}).effective_steps(), 2u);
}

TEST(LoadgenOptions, Modes) {
  EXPECT_EQ(parse_ok({"--interactive"}).mode, Mode::interactive);
  Options s = parse_ok({"--scenario", "extreme", "--duration", "10s"});
  EXPECT_EQ(s.mode, Mode::scenario);
  EXPECT_EQ(s.scenario, "extreme");
  EXPECT_EQ(*s.duration, 10 * kSeconds);
  Options k = parse_ok({"--sink-port", "0", "--threads", "1"});
  EXPECT_EQ(k.mode, Mode::sink);
  EXPECT_EQ(k.sink_port, 0);
}

TEST(LoadgenOptions, HelpAndVersion) {
  EXPECT_EQ(parse_options({"--help"})->action, CliAction::help);
  EXPECT_EQ(parse_options({"-h"})->action, CliAction::help);
  EXPECT_EQ(parse_options({"--version"})->action, CliAction::version);
}

TEST(LoadgenOptions, BadInputNamesTheFlag) {
  EXPECT_NE(parse_error({"--bogus"}).find("--bogus"), std::string::npos);
  EXPECT_NE(parse_error({"--ramp"}).find("needs a value"), std::string::npos);
  EXPECT_NE(parse_error({"--ramp", "0"}).find("--ramp"), std::string::npos);
  EXPECT_NE(parse_error({"--ramp", "ten"}).find("not a non-negative integer"), std::string::npos);
  EXPECT_NE(parse_error({"--port", "70000"}).find("too large"), std::string::npos);
  EXPECT_NE(parse_error({"--port", "0"}).find("minimum"), std::string::npos);
  EXPECT_NE(parse_error({"--size", "5000"}).find("--size"), std::string::npos);
  EXPECT_NE(parse_error({"--rate", "-3"}).find("--rate"), std::string::npos);
  EXPECT_NE(parse_error({"--rate", "fast"}).find("--rate"), std::string::npos);
  EXPECT_NE(parse_error({"--step-timeout", "soon"}).find("duration"), std::string::npos);
  EXPECT_NE(parse_error({"--slo-p99", "0ms"}).find("--slo-p99"), std::string::npos);
  EXPECT_NE(parse_error({"--host", "localhost"}).find("IPv4"), std::string::npos);
  EXPECT_NE(parse_error({"--metrics-url", "127.0.0.1:9400"}).find("http://"), std::string::npos);
  EXPECT_NE(parse_error({"--scenario", "huge"}).find("basic or extreme"), std::string::npos);
  EXPECT_NE(parse_error({"--backend", "kqueue"}).find("auto, uring, epoll"), std::string::npos);
  EXPECT_NE(parse_error({"--source-ips", "127.0.0.9-127.0.0.2"}).find("ends before"), std::string::npos);
  EXPECT_NE(parse_error({"--interactive", "--scenario", "basic"}).find("exclude"), std::string::npos);
  EXPECT_NE(parse_error({"--duration", "10s"}).find("--scenario"), std::string::npos);
  EXPECT_NE(parse_error({"--out", ""}).find("--out"), std::string::npos);
}

TEST(LoadgenOptions, SourceIpRangesAndLists) {
  auto ips = parse_source_ips("127.0.0.2-127.0.0.50");
  ASSERT_TRUE(ips.ok());
  ASSERT_EQ(ips->size(), 49u);
  EXPECT_EQ(ips->front(), 0x7f000002u);
  EXPECT_EQ(ips->back(), 0x7f000032u);
  auto mixed = parse_source_ips("127.0.0.1,127.0.1.255-127.0.2.1");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(*mixed, (std::vector<uint32_t>{0x7f000001u, 0x7f0001ffu, 0x7f000200u, 0x7f000201u}));
  EXPECT_FALSE(parse_source_ips("127.0.0.1,").ok());
  EXPECT_FALSE(parse_source_ips("10.0.0.0-10.255.255.255").ok());  // too many
}

TEST(LoadgenOptions, UsageDocumentsEveryFlagWithItsDefault) {
  const std::string u = usage();
  for (const char* flag : {"--target", "--room-prefix", "--whisper", "--host", "--port", "--source-ips",
                           "--connect-timeout", "--threads", "--backend",
                           "--ramp", "--msgs", "--steps", "--max-clients", "--rooms", "--size", "--seed", "--rate",
                           "--window", "--step-timeout", "--slo-p99", "--scenario", "--duration", "--interactive",
                           "--metrics-url", "--metrics-port", "--out", "--no-progress", "--sink-port", "--help",
                           "--version"}) {
    EXPECT_NE(u.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(u.find("default 100"), std::string::npos);
  EXPECT_NE(u.find("default 30s"), std::string::npos);
}

}  // namespace
}  // namespace chatd::loadgen
