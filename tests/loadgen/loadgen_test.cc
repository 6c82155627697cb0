// loadgen against the real chatd, both started here as child processes on
// loopback: the ramp delivers exactly what the room assignment implies, the
// results folder is well-formed, interactive mode works from a pipe, and bad
// targets or flags end with exit code 2.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <cstdlib>
#include <memory>
#include <regex>
#include <string>

#include "child_process.h"

namespace loadgen_it {
namespace {

using namespace std::chrono_literals;

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// chatd on a free loopback port with 2 shards and the given backend.
ChatdUnderTest start_chatd_on(const std::string& backend) { return start_chatd({"--backend", backend, "--shards", "2"}); }

class LoadgenRamp : public ::testing::TestWithParam<std::string> {};

TEST_P(LoadgenRamp, DeliversExactlyTheExpectedCountsAndWritesResults) {
  ASSERT_FALSE(env("CHATD_BIN").empty());
  ASSERT_FALSE(env("LOADGEN_BIN").empty());
  ChatdUnderTest chatd = start_chatd_on(GetParam());
  ASSERT_NE(chatd.port, 0);
  const std::string out = make_temp_dir() + "/results";
  ChildProcess lg(env("LOADGEN_BIN"), {"--ramp", "10", "--msgs", "10", "--steps", "3", "--rooms", "2", "--port",
                                       std::to_string(chatd.port), "--out", out, "--threads", "2", "--backend",
                                       GetParam(), "--step-timeout", "20s"});
  auto code = lg.wait_exit(60s);
  ASSERT_TRUE(code) << "loadgen did not finish:\n" << lg.err();
  ASSERT_EQ(*code, 0) << lg.err() << lg.out();

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string json = read_file(out + "/summary.json");
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_EQ(int64_t(doc["chatd"]["shards"]), 2);
  EXPECT_FALSE(bool(doc["interrupted"]));
  EXPECT_TRUE(doc["saturation"].is_null());
  simdjson::dom::array steps = doc["steps"];
  ASSERT_EQ(steps.size(), 3u);
  for (uint64_t k = 1; k <= 3; ++k) {
    simdjson::dom::element s = steps.at(k - 1);
    SCOPED_TRACE("step " + std::to_string(k));
    expect_exact_ramp_step(s, k);
    const uint64_t clients = 10 * k;
    EXPECT_EQ(uint64_t(s["new_clients"]), 10u);
    EXPECT_EQ(uint64_t(s["late"]), 0u);
    EXPECT_FALSE(bool(s["timed_out"]));
    EXPECT_EQ(uint64_t(s["latency"]["count"]), room_deliveries(clients, 2, 10));
  }

  const std::string csv = read_file(out + "/steps.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4) << csv;
  EXPECT_EQ(csv.rfind("step,clients,", 0), 0u);
  for (const char* name : {"latency.hgrm", "step-01.hgrm", "step-02.hgrm", "step-03.hgrm"}) {
    const std::string hgrm = read_file(out + "/" + name);
    EXPECT_NE(hgrm.find("Value     Percentile TotalCount"), std::string::npos) << name;
    EXPECT_NE(hgrm.find("#[Buckets = "), std::string::npos) << name;
    EXPECT_EQ(hgrm.back(), '\n') << name;
  }
  EXPECT_FALSE(file_exists(out + "/step-04.hgrm"));
  const std::string om = read_file(out + "/steps.om");
  ASSERT_GE(om.size(), 6u);
  EXPECT_EQ(om.substr(om.size() - 6), "# EOF\n");

  EXPECT_NE(lg.out().find("saturation: none within 3 step(s)"), std::string::npos) << lg.out();
  std::system(("rm -rf " + out.substr(0, out.rfind('/'))).c_str());
}

INSTANTIATE_TEST_SUITE_P(Backends, LoadgenRamp, ::testing::Values("uring", "epoll"),
                         [](const auto& info) { return info.param; });

TEST(LoadgenInteractive, DrivenThroughStdin) {
  ChatdUnderTest chatd = start_chatd_on("epoll");
  ASSERT_NE(chatd.port, 0);
  const std::string out = make_temp_dir();
  ChildProcess lg(env("LOADGEN_BIN"),
                  {"--interactive", "--rooms", "2", "--port", std::to_string(chatd.port), "--out", out + "/r"},
                  "spawn 5\nbroadcast hi 2\nsummary\ncloseAll\nexit\n");
  auto code = lg.wait_exit(30s);
  ASSERT_TRUE(code) << lg.err();
  EXPECT_EQ(*code, 0) << lg.err();
  // Rooms of 3 and 2 members; every client sends 2: 3*3*2 + 2*2*2 deliveries.
  const std::string text = lg.out();
  EXPECT_NE(text.find("spawned 5: 5 joined, 0 failed"), std::string::npos) << text;
  EXPECT_NE(text.find("clients 5 | sent 10 | expected 26 | received 26 | lost 0"), std::string::npos) << text;
  EXPECT_NE(text.find("closed 5 clients"), std::string::npos) << text;
  EXPECT_TRUE(file_exists(out + "/r/summary.json"));
  std::system(("rm -rf " + out).c_str());
}

// --auth-secret-file: every hello carries a token (chatd here runs with auth off
// and ignores it, so the run must go exactly as without one); a key file that
// cannot be used is a bad flag (exit 2) named before anything connects.
TEST(LoadgenAuth, TokensRideAlongAndABadKeyFileExitsTwo) {
  ChatdUnderTest chatd = start_chatd_on("epoll");
  ASSERT_NE(chatd.port, 0);
  const std::string dir = make_temp_dir();
  std::system(("printf 'loadgen-it-key-0123456789-0123456789\\n' > " + dir + "/key").c_str());
  ChildProcess lg(env("LOADGEN_BIN"), {"--auth-secret-file", dir + "/key", "--ramp", "6", "--msgs", "5", "--steps",
                                       "1", "--rooms", "2", "--port", std::to_string(chatd.port), "--out",
                                       dir + "/r", "--no-progress"});
  auto code = lg.wait_exit(30s);
  ASSERT_TRUE(code) << lg.err();
  ASSERT_EQ(*code, 0) << lg.err() << lg.out();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(read_file(dir + "/r/summary.json")).get(doc), simdjson::SUCCESS);
  EXPECT_TRUE(bool(doc["target"]["auth"]));
  simdjson::dom::element step = doc["steps"].at(0);
  EXPECT_EQ(uint64_t(step["clients"]), 6u);
  EXPECT_EQ(uint64_t(step["deliveries_received"]), room_deliveries(6, 2, 5));
  EXPECT_EQ(uint64_t(step["lost"]), 0u);
  EXPECT_EQ(read_file(dir + "/r/summary.json").find("loadgen-it-key"), std::string::npos) << "the key is never written";

  std::system(("printf short > " + dir + "/short").c_str());
  ChildProcess bad(env("LOADGEN_BIN"), {"--auth-secret-file", dir + "/short", "--port", std::to_string(chatd.port)});
  code = bad.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  EXPECT_NE(bad.err().find("--auth-secret-file: auth secret file " + dir + "/short holds 5 bytes"), std::string::npos)
      << bad.err();
  std::system(("rm -rf " + dir).c_str());
}

// --hosts naming one chatd twice: the clients are spread over the two entries
// (a single chatd stands in for a cluster) and the counts stay exact; every
// node is checked before the run.
TEST(LoadgenHosts, SpreadsClientsOverEveryNode) {
  ChatdUnderTest chatd = start_chatd_on("epoll");
  ASSERT_NE(chatd.port, 0);
  const std::string dir = make_temp_dir();
  const std::string node = "127.0.0.1:" + std::to_string(chatd.port);
  ChildProcess lg(env("LOADGEN_BIN"), {"--hosts", node + "," + node, "--ramp", "9", "--msgs", "4", "--steps", "2",
                                       "--rooms", "3", "--out", dir + "/r", "--no-progress"});
  auto code = lg.wait_exit(30s);
  ASSERT_TRUE(code) << lg.err();
  ASSERT_EQ(*code, 0) << lg.err() << lg.out();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(read_file(dir + "/r/summary.json")).get(doc), simdjson::SUCCESS);
  simdjson::dom::array shares = doc["target"]["nodes"];
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_EQ(uint64_t(shares.at(0)["clients"]) + uint64_t(shares.at(1)["clients"]), 18u);
  EXPECT_GE(uint64_t(shares.at(1)["clients"]), 8u);
  simdjson::dom::element last = doc["steps"].at(1);
  EXPECT_EQ(uint64_t(last["deliveries_received"]), room_deliveries(18, 3, 4));
  EXPECT_EQ(uint64_t(last["lost"]), 0u);

  // A node that is not there fails the run before any client is spawned.
  ChildProcess down(env("LOADGEN_BIN"), {"--hosts", node + ",127.0.0.1:" + std::to_string(free_port()),
                                         "--connect-timeout", "1s"});
  code = down.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  EXPECT_NE(down.err().find("cannot connect to chatd at 127.0.0.1:"), std::string::npos) << down.err();
  std::system(("rm -rf " + dir).c_str());
}

TEST(LoadgenFaults, UnreachableServerExitsTwoAfterTheConnectTimeout) {
  const auto start = std::chrono::steady_clock::now();
  ChildProcess lg(env("LOADGEN_BIN"), {"--port", std::to_string(free_port()), "--connect-timeout", "1s"});
  auto code = lg.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(lg.err().find("cannot connect to chatd at 127.0.0.1:"), std::string::npos) << lg.err();
}

TEST(LoadgenFaults, InvalidFlagPrintsUsageAndExitsTwo) {
  ChildProcess lg(env("LOADGEN_BIN"), {"--ramp", "-1"});
  auto code = lg.wait_exit(5s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  EXPECT_NE(lg.err().find("--ramp"), std::string::npos);
  EXPECT_NE(lg.err().find("usage: loadgen"), std::string::npos);
}

TEST(LoadgenFaults, InterruptKeepsTheCompletedSteps) {
  ChatdUnderTest chatd = start_chatd_on("epoll");
  ASSERT_NE(chatd.port, 0);
  const std::string out = make_temp_dir();
  ChildProcess lg(env("LOADGEN_BIN"), {"--ramp", "5", "--msgs", "5", "--steps", "10000", "--rooms", "2", "--port",
                                       std::to_string(chatd.port), "--out", out + "/r"});
  ASSERT_TRUE(lg.wait_stderr("step 2 |", 20s)) << lg.err();
  lg.signal(SIGINT);
  auto code = lg.wait_exit(10s);
  ASSERT_TRUE(code) << "loadgen did not stop on SIGINT";
  EXPECT_EQ(*code, 130);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(read_file(out + "/r/summary.json")).get(doc), simdjson::SUCCESS);
  EXPECT_TRUE(bool(doc["interrupted"]));
  EXPECT_GE(simdjson::dom::array(doc["steps"]).size(), 2u);
  std::system(("rm -rf " + out).c_str());
}

}  // namespace
}  // namespace loadgen_it
