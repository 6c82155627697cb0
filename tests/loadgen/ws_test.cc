// loadgen --ws against the real chatd: every client upgrades with GET /ws and
// speaks JSON over WebSocket frames, and the accounting is as exact as over
// JSON lines — the ramp on both backends, the open loop with whispers and
// publishers, and interactive mode.
//
// Registered in tests/loadgen/meson.build as `loadgen_ws`.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "child_process.h"

namespace loadgen_it {
namespace {

using namespace std::chrono_literals;

struct LoadgenRun {
  int exit_code = -1;
  std::string out, err;
  std::string json;  // summary.json
};

LoadgenRun run_loadgen(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  const std::string dir = make_temp_dir();
  std::vector<std::string> all = args;
  all.insert(all.end(), {"--out", dir + "/r", "--no-progress"});
  ChildProcess lg(env("LOADGEN_BIN"), all, stdin_text);
  LoadgenRun run;
  auto code = lg.wait_exit(60s);
  run.out = lg.out();
  run.err = lg.err();
  if (code) run.exit_code = *code;
  run.json = read_file(dir + "/r/summary.json");
  std::system(("rm -rf " + dir).c_str());
  return run;
}

class LoadgenWs : public ::testing::TestWithParam<std::string> {};

TEST_P(LoadgenWs, RampDeliversExactlyTheExpectedCounts) {
  ChatdUnderTest chatd = start_chatd({"--backend", GetParam(), "--shards", "2"});
  ASSERT_NE(chatd.port, 0);
  const LoadgenRun run = run_loadgen({"--ws", "--ramp", "10", "--msgs", "10", "--steps", "3", "--rooms", "2", "--port",
                               std::to_string(chatd.port), "--threads", "2", "--step-timeout", "20s"});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(run.json).get(doc), simdjson::SUCCESS) << run.json;
  EXPECT_EQ(std::string_view(doc["target"]["transport"]), "websocket");
  EXPECT_EQ(int64_t(doc["chatd"]["shards"]), 2) << "the welcome came over WebSocket";
  simdjson::dom::array steps = doc["steps"];
  ASSERT_EQ(steps.size(), 3u);
  for (uint64_t k = 1; k <= 3; ++k) {
    simdjson::dom::element s = steps.at(k - 1);
    SCOPED_TRACE("step " + std::to_string(k));
    expect_exact_ramp_step(s, k);
    EXPECT_EQ(uint64_t(s["closed_by_server"]), 0u);
    EXPECT_EQ(simdjson::dom::object(s["errors"]).size(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, LoadgenWs, ::testing::Values("uring", "epoll"),
                         [](const auto& info) { return info.param; });

TEST(LoadgenWsTraffic, OpenLoopWhispersFromPublishers) {
  ChatdUnderTest chatd = start_chatd({"--shards", "2"});
  ASSERT_NE(chatd.port, 0);
  const LoadgenRun run = run_loadgen({"--ws", "--whisper", "--rate", "500", "--publishers", "5", "--ramp", "10", "--msgs",
                               "10", "--steps", "2", "--rooms", "2", "--port", std::to_string(chatd.port),
                               "--threads", "2", "--step-timeout", "20s"});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(run.json).get(doc), simdjson::SUCCESS) << run.json;
  for (simdjson::dom::element s : simdjson::dom::array(doc["steps"])) {
    EXPECT_EQ(uint64_t(s["messages_sent"]), 50u);
    EXPECT_EQ(uint64_t(s["deliveries_expected"]), 50u);
    EXPECT_EQ(uint64_t(s["deliveries_received"]), 50u);
    EXPECT_EQ(uint64_t(s["duplicates"]), 0u);
    EXPECT_EQ(simdjson::dom::object(s["errors"]).size(), 0u);
  }
}

TEST(LoadgenWsTraffic, InteractiveRoomsThenWhispers) {
  ChatdUnderTest chatd = start_chatd({"--shards", "2"});
  ASSERT_NE(chatd.port, 0);
  const LoadgenRun run = run_loadgen({"--ws", "--interactive", "--rooms", "2", "--port", std::to_string(chatd.port)},
                              "spawn 5\nbroadcast hi 2\nwhisper 3\nsummary\ncloseAll\nexit\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // Rooms of 3 and 2 members: 3*3*2 + 2*2*2 room deliveries, then 5*3 whispers.
  EXPECT_NE(run.out.find("clients 5 | sent 25 | expected 41 | received 41 | lost 0 | dup 0 | out-of-order 0"),
            std::string::npos)
      << run.out;
}

}  // namespace
}  // namespace loadgen_it
