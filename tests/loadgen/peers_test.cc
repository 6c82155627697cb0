// loadgen against the servers it compares chatd with (Redis pub/sub and NATS,
// from Debian's redis-server and nats-server packages), each started here on a
// free loopback port, and the point-to-point workload (--whisper) against all
// three targets: every delivery loadgen expects arrives, exactly once, in order.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "child_process.h"

namespace loadgen_it {
namespace {

using namespace std::chrono_literals;

// The peer's server binary ("redis-server", "nats-server"), looked up when the
// test runs rather than when meson configured the build, so peers installed
// later count: $REDIS_SERVER_BIN / $NATS_SERVER_BIN if set, else $PATH, then
// /usr/sbin and /usr/local/sbin (Debian puts nats-server in /usr/sbin, which a
// user's PATH often lacks). scripts/test.sh installs both, so a missing peer is
// a failure that says how to get it, never a skip. "" after such a failure.
std::string peer_binary(const std::string& target) {
  const std::string program = target + "-server";
  const std::string variable = target == "redis" ? "REDIS_SERVER_BIN" : "NATS_SERVER_BIN";
  if (std::string chosen = env(variable.c_str()); !chosen.empty()) {
    if (access(chosen.c_str(), X_OK) == 0) return chosen;
    ADD_FAILURE() << variable << "=" << chosen << " is not an executable file";
    return "";
  }
  const std::string dirs = env("PATH") + ":/usr/sbin:/usr/local/sbin";
  std::string_view rest = dirs;
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    if (dir.empty()) continue;
    const std::string path = std::string(dir) + "/" + program;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  ADD_FAILURE() << program << " not found in $PATH, /usr/sbin or /usr/local/sbin: install " << program
                << " (apt-get install " << program << "; scripts/test.sh does), or set " << variable;
  return "";
}

// The target's server on a free port; loadgen retries refused connects for its
// --connect-timeout, which covers the server's start-up. `port` stays 0 when the
// server cannot be started (the failure is already recorded).
struct Server {
  std::unique_ptr<ChildProcess> process;
  int port = 0;

  explicit Server(const std::string& target) {
    if (target == "chatd") {
      ChatdUnderTest chatd = start_chatd({"--shards", "2"});
      process = std::move(chatd.process);
      port = chatd.port;
      return;
    }
    const std::string binary = peer_binary(target);
    if (binary.empty()) return;
    const int listen_port = free_port();
    if (target == "redis") {
      // Production-like for a pub/sub benchmark: no persistence.
      process = std::make_unique<ChildProcess>(
          binary, std::vector<std::string>{"--port", std::to_string(listen_port), "--bind", "127.0.0.1", "--save", "",
                                           "--appendonly", "no"});
    } else {
      process = std::make_unique<ChildProcess>(
          binary, std::vector<std::string>{"-p", std::to_string(listen_port), "-a", "127.0.0.1"});
    }
    port = listen_port;
  }
};

// (target, --whisper)
class LoadgenTargets : public ::testing::TestWithParam<std::tuple<std::string, bool>> {};

TEST_P(LoadgenTargets, DeliversExactlyTheExpectedCounts) {
  const auto [target, whisper] = GetParam();
  // The chatd cases need no peer: each peer binary is looked up only by its own cases.
  for (const char* var : {"LOADGEN_BIN", "CHATD_BIN"}) ASSERT_FALSE(env(var).empty()) << var << " is not set";
  Server server(target);
  ASSERT_NE(server.port, 0) << target << " did not start";
  const std::string dir = make_temp_dir();
  const std::string out = dir + "/results";
  std::vector<std::string> args{"--target", target, "--ramp", "10", "--msgs", "10", "--steps", "2", "--rooms",
                                "2", "--port", std::to_string(server.port), "--out", out, "--threads", "2",
                                "--step-timeout", "20s", "--no-progress"};
  if (whisper) args.push_back("--whisper");
  ChildProcess lg(env("LOADGEN_BIN"), args);
  auto code = lg.wait_exit(60s);
  ASSERT_TRUE(code) << "loadgen did not finish:\n" << lg.err();
  ASSERT_EQ(*code, 0) << lg.err() << lg.out();

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string json = read_file(out + "/summary.json");
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_EQ(std::string_view(doc["target"]["name"]), target);
  if (target != "chatd") {
    EXPECT_FALSE(doc["target"]["version"].is_null()) << "HELLO/INFO name the server's version";
    EXPECT_TRUE(doc["chatd"].is_null());
  }
  EXPECT_EQ(std::string_view(doc["workload"]["traffic"]), whisper ? "whisper" : "room");
  simdjson::dom::array steps = doc["steps"];
  ASSERT_EQ(steps.size(), 2u);
  for (uint64_t k = 1; k <= 2; ++k) {
    simdjson::dom::element s = steps.at(k - 1);
    SCOPED_TRACE("step " + std::to_string(k));
    const uint64_t clients = 10 * k;
    const uint64_t expected = whisper ? clients * 10 : room_deliveries(clients, 2, 10);
    EXPECT_EQ(uint64_t(s["clients"]), clients);
    EXPECT_EQ(uint64_t(s["connect_failures"]), 0u);
    EXPECT_EQ(uint64_t(s["messages_sent"]), clients * 10);
    EXPECT_EQ(uint64_t(s["messages_rejected"]), 0u);
    EXPECT_EQ(uint64_t(s["deliveries_expected"]), expected);
    EXPECT_EQ(uint64_t(s["deliveries_received"]), expected);
    EXPECT_EQ(uint64_t(s["lost"]), 0u);
    EXPECT_EQ(uint64_t(s["duplicates"]), 0u);
    EXPECT_EQ(uint64_t(s["out_of_order"]), 0u);
    EXPECT_EQ(uint64_t(s["late"]), 0u);
    EXPECT_EQ(uint64_t(s["foreign"]), 0u);
    EXPECT_EQ(simdjson::dom::object(s["errors"]).size(), 0u);
    EXPECT_FALSE(bool(s["timed_out"]));
    EXPECT_EQ(uint64_t(s["latency"]["count"]), expected);
  }
  // Per room: 5 members after step 1, 10 after step 2, each sending 10 a step.
  simdjson::dom::array rooms = doc["rooms"];
  ASSERT_EQ(rooms.size(), 2u);
  for (simdjson::dom::element r : rooms) {
    EXPECT_EQ(uint64_t(r["members"]), 10u);
    EXPECT_EQ(uint64_t(r["messages_sent"]), whisper ? 0u : 150u);
  }
  std::system(("rm -rf " + dir).c_str());
}

INSTANTIATE_TEST_SUITE_P(Peers, LoadgenTargets,
                         ::testing::Values(std::make_tuple("redis", false), std::make_tuple("nats", false),
                                           std::make_tuple("chatd", true), std::make_tuple("redis", true),
                                           std::make_tuple("nats", true)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + (std::get<1>(info.param) ? "_whisper" : "_rooms");
                         });

// --publishers: only clients 0..K-1 send, every client receives; in the closed
// loop (--window) and the open loop (--rate) alike, on every target. Each step
// also names its traffic window on the wall clock.
// (target, --rate or "" for the closed loop, --whisper)
class LoadgenPublishers : public ::testing::TestWithParam<std::tuple<std::string, std::string, bool>> {};

TEST_P(LoadgenPublishers, OnlyTheFirstKSendAndEveryoneReceives) {
  const auto [target, rate, whisper] = GetParam();
  Server server(target);
  ASSERT_NE(server.port, 0) << target << " did not start";
  const std::string dir = make_temp_dir();
  const std::string out = dir + "/results";
  std::vector<std::string> args{"--target", target, "--ramp", "10", "--msgs", "10", "--steps", "2", "--rooms",
                                "1", "--publishers", "3", "--window", "4", "--port", std::to_string(server.port),
                                "--out", out, "--threads", "2", "--step-timeout", "20s", "--no-progress"};
  if (!rate.empty()) args.insert(args.end(), {"--rate", rate});
  if (whisper) args.push_back("--whisper");
  ChildProcess lg(env("LOADGEN_BIN"), args);
  auto code = lg.wait_exit(60s);
  ASSERT_TRUE(code) << "loadgen did not finish:\n" << lg.err();
  ASSERT_EQ(*code, 0) << lg.err() << lg.out();

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string json = read_file(out + "/summary.json");
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_EQ(int64_t(doc["workload"]["publishers"]), 3);
  simdjson::dom::array steps = doc["steps"];
  ASSERT_EQ(steps.size(), 2u);
  for (uint64_t k = 1; k <= 2; ++k) {
    simdjson::dom::element s = steps.at(k - 1);
    SCOPED_TRACE("step " + std::to_string(k));
    const uint64_t clients = 10 * k;
    // One room: each of the 3 publishers' 10 messages reaches every client.
    const uint64_t expected = whisper ? 30 : 30 * clients;
    EXPECT_EQ(uint64_t(s["clients"]), clients);
    EXPECT_EQ(uint64_t(s["publishers"]), 3u);
    EXPECT_EQ(uint64_t(s["messages_sent"]), 30u);
    EXPECT_EQ(uint64_t(s["deliveries_expected"]), expected);
    EXPECT_EQ(uint64_t(s["deliveries_received"]), expected);
    EXPECT_EQ(uint64_t(s["lost"]), 0u);
    EXPECT_EQ(uint64_t(s["duplicates"]), 0u);
    EXPECT_EQ(uint64_t(s["out_of_order"]), 0u);
    EXPECT_EQ(simdjson::dom::object(s["errors"]).size(), 0u);
    const int64_t first = s["first_send_unix_ms"], intended = s["last_intended_send_unix_ms"];
    const int64_t delivered = s["last_delivery_unix_ms"], end = s["end_unix_ms"];
    EXPECT_LE(first, delivered);
    EXPECT_LE(intended, delivered + 1) << "a message is delivered after it was meant to be sent (ms rounding)";
    EXPECT_LE(delivered, end);
    EXPECT_GT(first, end - 60'000) << "wall-clock Unix ms of this run";
  }
  const std::string csv = read_file(out + "/steps.csv");
  EXPECT_NE(csv.find(",publishers,first_send_unix_ms,last_intended_send_unix_ms,last_delivery_unix_ms\n"),
            std::string::npos)
      << csv;
  std::system(("rm -rf " + dir).c_str());
}

INSTANTIATE_TEST_SUITE_P(Targets, LoadgenPublishers,
                         ::testing::Values(std::make_tuple("chatd", "", false), std::make_tuple("chatd", "600", false),
                                           std::make_tuple("redis", "", false), std::make_tuple("redis", "600", false),
                                           std::make_tuple("nats", "", false), std::make_tuple("nats", "600", false),
                                           std::make_tuple("chatd", "", true), std::make_tuple("nats", "600", true)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + (std::get<1>(info.param).empty() ? "_closed" : "_open") +
                                  (std::get<2>(info.param) ? "_whisper" : "_rooms");
                         });

// --hosts over a real cluster: two nats-servers joined by a route, clients spread
// over both, every room spanning both nodes: each publish reaches the room's
// subscribers on the other node too, and loadgen counts every delivery exactly.
// NATS tells a route about a new subscription asynchronously, and a client's
// PONG only says its own server has it: --settle gives the route time, or the
// first messages to a subscriber on the other node can find no interest there
// yet (seen under load: 89 of 100 whispers).
TEST(LoadgenHosts, ExactAcrossTheNodesOfANatsCluster) {
  const std::string binary = peer_binary("nats");
  ASSERT_FALSE(binary.empty());
  const int client_ports[2] = {free_port(), free_port()};
  const int route_ports[2] = {free_port(), free_port()};
  std::vector<std::unique_ptr<ChildProcess>> nodes;
  for (int i = 0; i < 2; ++i) {
    nodes.push_back(std::make_unique<ChildProcess>(
        binary, std::vector<std::string>{"-p", std::to_string(client_ports[i]), "-a", "127.0.0.1", "--cluster_name",
                                         "lg", "--cluster", "nats://127.0.0.1:" + std::to_string(route_ports[i]),
                                         "--routes", "nats://127.0.0.1:" + std::to_string(route_ports[1 - i])}));
  }
  // A node solicits its route at start and retries each second: wait until both have one.
  for (auto& node : nodes) {
    bool routed = false;
    for (int tries = 0; tries < 1000 && !routed; ++tries) {
      routed = (node->out() + node->err()).find("Route connection created") != std::string::npos;
      if (!routed) std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(routed) << node->out() << node->err();
  }
  const std::string hosts =
      "127.0.0.1:" + std::to_string(client_ports[0]) + ",127.0.0.1:" + std::to_string(client_ports[1]);
  for (const bool whisper : {false, true}) {
    SCOPED_TRACE(whisper ? "whispers" : "rooms");
    const std::string dir = make_temp_dir();
    std::vector<std::string> args{"--target", "nats", "--hosts", hosts, "--ramp", "10", "--msgs", "10", "--steps",
                                  "2", "--rooms", "2", "--out", dir + "/r", "--threads", "2", "--step-timeout", "20s",
                                  "--settle", "500ms", "--no-progress"};
    if (whisper) args.push_back("--whisper");
    ChildProcess lg(env("LOADGEN_BIN"), args);
    auto code = lg.wait_exit(60s);
    ASSERT_TRUE(code) << lg.err();
    ASSERT_EQ(*code, 0) << lg.err() << lg.out();
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    const std::string json = read_file(dir + "/r/summary.json");
    ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
    EXPECT_EQ(std::string_view(doc["target"]["address"]), hosts);
    simdjson::dom::array shares = doc["target"]["nodes"];
    ASSERT_EQ(shares.size(), 2u);
    EXPECT_EQ(uint64_t(shares.at(0)["clients"]), 10u);
    EXPECT_EQ(uint64_t(shares.at(1)["clients"]), 10u);
    for (uint64_t k = 1; k <= 2; ++k) {
      simdjson::dom::element st = doc["steps"].at(k - 1);
      const uint64_t clients = 10 * k;
      const uint64_t expected = whisper ? clients * 10 : room_deliveries(clients, 2, 10);
      EXPECT_EQ(uint64_t(st["deliveries_expected"]), expected);
      EXPECT_EQ(uint64_t(st["deliveries_received"]), expected);
      EXPECT_EQ(uint64_t(st["duplicates"]), 0u);
      EXPECT_EQ(uint64_t(st["out_of_order"]), 0u);
    }
    std::system(("rm -rf " + dir).c_str());
  }
}

// Interactive mode mixes room and whisper steps on the same connections: on the
// peers, answers to one step's messages must not be taken for the next step's.
TEST(LoadgenTargetsInteractive, RoomsThenWhispersOnThePeers) {
  for (const std::string target : {"redis", "nats"}) {
    SCOPED_TRACE(target);
    Server server(target);
    ASSERT_NE(server.port, 0) << target << " did not start";
    const std::string dir = make_temp_dir();
    ChildProcess lg(env("LOADGEN_BIN"),
                    {"--interactive", "--target", target, "--rooms", "2", "--port", std::to_string(server.port),
                     "--out", dir + "/r", "--window", "2"},
                    "spawn 5\nbroadcast hi 20\nwhisper 20\nbroadcast again 3\nsummary\nexit\n");
    auto code = lg.wait_exit(30s);
    ASSERT_TRUE(code) << lg.err();
    EXPECT_EQ(*code, 0) << lg.err();
    // Rooms of 3 and 2: (9 + 4) x 20, then 5 x 20 whispers, then (9 + 4) x 3.
    const std::string text = lg.out();
    EXPECT_NE(text.find("clients 5 | sent 215 | expected 399 | received 399 | lost 0 | dup 0 | out-of-order 0"),
              std::string::npos)
        << text;
    std::system(("rm -rf " + dir).c_str());
  }
}

}  // namespace
}  // namespace loadgen_it
