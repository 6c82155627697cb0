#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "loadgen/modes/live_metrics.h"
#include "loadgen/results/results_dir.h"
#include "loadgen/results/step_series.h"
#include "loadgen/results/summary_json.h"
#include "loadgen/results/text_report.h"

namespace chatd::loadgen {
namespace {

RunReport sample_report() {
  RunReport r;
  r.info.command_line = "loadgen --ramp 10 --out 'a b'";
  r.info.loadgen_version = "0.1.0";
  r.info.mode = "ramp";
  r.info.server.shards = 2;
  r.info.machine.cpu_model = "Test \"CPU\"";
  for (uint32_t step = 1; step <= 2; ++step) {
    StepReport s;
    s.step = step;
    s.clients = 10 * step;
    s.new_clients = 10;
    s.tally.sent = 100 * step;
    s.tally.expected = 500 * step;
    s.tally.received = 500 * step - (step == 2 ? 3 : 0);
    s.tally.errors.add("rate_limited", step);
    s.traffic_seconds = 0.5;
    s.end_unix_ms = 1'700'000'000'000 + step * 1000;
    s.publishers = 3;
    if (step == 2) {
      s.first_send_unix_ms = 1'700'000'001'400;
      s.last_intended_send_unix_ms = 1'700'000'001'800;
      s.last_delivery_unix_ms = 1'700'000'001'900;
    }
    if (step == 1) s.server_rss_bytes = 1e7;
    auto h = make_latency_histogram();
    for (int64_t v = 1; v <= 1000; ++v) h.record(v * step);
    finish_step_report(s, h);
    r.add_step(s, h);
  }
  r.saturation = Saturation{2, "lost 3 deliveries"};
  r.warnings.push_back("a \"quoted\" warning");
  return r;
}

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(SummaryJson, ParsesBackWithEveryFigure) {
  const std::string json = summary_json(sample_report());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_EQ(std::string_view(doc["command_line"]), "loadgen --ramp 10 --out 'a b'");
  EXPECT_EQ(int64_t(doc["chatd"]["shards"]), 2);
  EXPECT_TRUE(doc["chatd"]["version"].is_null());
  EXPECT_EQ(std::string_view(doc["machine"]["cpu_model"]), "Test \"CPU\"");
  simdjson::dom::array steps = doc["steps"];
  ASSERT_EQ(steps.size(), 2u);
  simdjson::dom::element second = steps.at(1);
  EXPECT_EQ(int64_t(second["step"]), 2);
  EXPECT_EQ(int64_t(second["messages_sent"]), 200);
  EXPECT_EQ(int64_t(second["deliveries_expected"]), 1000);
  EXPECT_EQ(int64_t(second["deliveries_received"]), 997);
  EXPECT_EQ(int64_t(second["lost"]), 3);
  EXPECT_EQ(int64_t(second["errors"]["rate_limited"]), 2);
  EXPECT_DOUBLE_EQ(double(second["delivered_per_second"]), 1994.0);
  EXPECT_TRUE(second["server_rss_bytes"].is_null());
  EXPECT_DOUBLE_EQ(double(steps.at(0)["server_rss_bytes"]), 1e7);
  EXPECT_NEAR(double(second["latency"]["p50_ms"]), 1.0, 0.002);
  EXPECT_EQ(int64_t(second["publishers"]), 3);
  EXPECT_EQ(int64_t(second["first_send_unix_ms"]), 1'700'000'001'400);
  EXPECT_EQ(int64_t(second["last_intended_send_unix_ms"]), 1'700'000'001'800);
  EXPECT_EQ(int64_t(second["last_delivery_unix_ms"]), 1'700'000'001'900);
  EXPECT_TRUE(steps.at(0)["first_send_unix_ms"].is_null()) << "nothing sent: no window";
  EXPECT_TRUE(doc["workload"]["publishers"].is_null()) << "every client sends";
  EXPECT_EQ(int64_t(doc["total"]["messages_sent"]), 300);
  EXPECT_EQ(int64_t(doc["total"]["latency"]["count"]), 2000);
  EXPECT_EQ(int64_t(doc["saturation"]["step"]), 2);
  EXPECT_TRUE(doc["verdict"].is_null());
  EXPECT_EQ(std::string_view(doc["warnings"].at(0)), "a \"quoted\" warning");
}

TEST(SummaryJson, NamesTheTargetAndEachRoomsShare) {
  RunReport r = sample_report();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string chatd_json = summary_json(r);
  ASSERT_EQ(parser.parse(chatd_json).get(doc), simdjson::SUCCESS) << chatd_json;
  EXPECT_EQ(std::string_view(doc["target"]["name"]), "chatd");
  EXPECT_EQ(std::string_view(doc["target"]["transport"]), "tcp");
  EXPECT_EQ(int64_t(doc["chatd"]["shards"]), 2);
  EXPECT_EQ(simdjson::dom::array(doc["rooms"]).size(), 0u);

  r.info.server = ServerInfo{};
  r.info.server.target = "redis";
  r.info.server.address = "127.0.0.1:6379";
  r.info.server.version = "7.0.15";
  r.info.traffic = "whisper";
  r.info.room_prefix = "obs-";
  r.rooms = {{"obs-0", 12, 2400}, {"obs-1", 11, 2200}};
  const std::string json = summary_json(r);
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_EQ(std::string_view(doc["target"]["name"]), "redis");
  EXPECT_EQ(std::string_view(doc["target"]["address"]), "127.0.0.1:6379");
  EXPECT_EQ(std::string_view(doc["target"]["version"]), "7.0.15");
  EXPECT_TRUE(doc["chatd"].is_null()) << "no chatd figures for a peer";
  EXPECT_EQ(std::string_view(doc["workload"]["traffic"]), "whisper");
  EXPECT_EQ(std::string_view(doc["workload"]["room_prefix"]), "obs-");
  simdjson::dom::array rooms = doc["rooms"];
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(std::string_view(rooms.at(0)["room"]), "obs-0");
  EXPECT_EQ(int64_t(rooms.at(0)["members"]), 12);
  EXPECT_EQ(int64_t(rooms.at(1)["messages_sent"]), 2200);
  EXPECT_EQ(int64_t(doc["steps"].at(0)["unchecked_whispers"]), 0);
}

TEST(StepsCsv, HeaderAndOneRowPerStepWithTheSameColumns) {
  const std::string csv = steps_csv(sample_report());
  std::istringstream in(csv);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  auto columns = [](const std::string& l) { return std::count(l.begin(), l.end(), ',') + 1; };
  EXPECT_EQ(lines[0].rfind("step,clients,", 0), 0u);
  EXPECT_EQ(columns(lines[1]), columns(lines[0]));
  EXPECT_EQ(columns(lines[2]), columns(lines[0]));
  EXPECT_NE(lines[2].find("rate_limited:2"), std::string::npos);
  EXPECT_NE(lines[0].find(",publishers,first_send_unix_ms,last_intended_send_unix_ms,last_delivery_unix_ms"),
            std::string::npos);
  EXPECT_NE(lines[2].find(",3,1700000001400,1700000001800,1700000001900"), std::string::npos) << lines[2];
  EXPECT_NE(lines[1].find(",3,,,"), std::string::npos) << "no window: empty cells";
}

TEST(StepsOpenMetrics, TimestampedSeriesEndingWithEof) {
  const std::string om = steps_openmetrics(sample_report(), "20250101T000000Z-ramp");
  EXPECT_NE(om.find("# TYPE loadgen_step_clients gauge\n"), std::string::npos);
  EXPECT_NE(om.find("loadgen_step_clients{run=\"20250101T000000Z-ramp\"} 10 1700000001.000\n"), std::string::npos);
  EXPECT_NE(om.find("loadgen_step_lost{run=\"20250101T000000Z-ramp\"} 3 1700000002.000\n"), std::string::npos);
  EXPECT_NE(om.find("loadgen_step_latency_seconds{run=\"20250101T000000Z-ramp\",quantile=\"0.99\"}"),
            std::string::npos);
  EXPECT_NE(om.find("loadgen_step_server_rss_bytes{run=\"20250101T000000Z-ramp\"} 10000000 1700000001.000\n"),
            std::string::npos);
  EXPECT_EQ(om.find("loadgen_step_server_cpu_seconds{"), std::string::npos) << "no scrape, no point";
  for (const char* name : {"loadgen_step_messages_sent", "loadgen_step_deliveries_received",
                           "loadgen_step_delivered_per_second", "loadgen_step_server_cpu_seconds"})
    EXPECT_NE(om.find(std::string("# TYPE ") + name + " gauge"), std::string::npos) << name;
  ASSERT_GE(om.size(), 6u);
  EXPECT_EQ(om.substr(om.size() - 6), "# EOF\n");
}

TEST(ResultsDir, WritesEveryFile) {
  char tmpl[] = "/tmp/loadgen-results-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/nested/run";
  ASSERT_TRUE(write_results(dir, sample_report()).ok());
  for (const char* name : {"summary.json", "steps.csv", "steps.om", "latency.hgrm", "step-01.hgrm", "step-02.hgrm"}) {
    std::string content = read(dir + "/" + name);
    EXPECT_FALSE(content.empty()) << name;
  }
  const std::string hgrm = read(dir + "/latency.hgrm");
  EXPECT_EQ(hgrm.rfind("       Value     Percentile TotalCount 1/(1-Percentile)\n", 0), 0u);
  EXPECT_NE(hgrm.find("#[Buckets = "), std::string::npos);
  EXPECT_NE(hgrm.find("Total count    =         2000]"), std::string::npos);
  EXPECT_EQ(default_out_dir("ramp", 1'700'000'000), "results/20231114T221320Z-ramp");
  std::system(("rm -rf " + std::string(tmpl)).c_str());
}

TEST(TextReport, TableHasARowPerStepAndNamesTheSaturation) {
  RunReport r = sample_report();
  const std::string table = steps_table(r);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 3);
  EXPECT_NE(run_conclusion(r).find("saturation: step 2 (lost 3 deliveries)"), std::string::npos);
  EXPECT_NE(step_line(r.steps[1]).find("delivered 997/1000 lost 3"), std::string::npos);
  EXPECT_NE(totals_line(r, 20).find("sent 300 |"), std::string::npos);
}

TEST(LiveMetrics, PrometheusTextWithAHistogramOfAtLeast20Buckets) {
  auto h = make_latency_histogram();
  h.record(3);
  h.record(1500);
  const std::string text = live_exposition(LiveFigures{7, 100, 400, 2, {}}, h);
  EXPECT_NE(text.find("# TYPE loadgen_clients_connected gauge\nloadgen_clients_connected 7\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE loadgen_messages_sent_total counter\nloadgen_messages_sent_total 100\n"),
            std::string::npos);
  EXPECT_NE(text.find("loadgen_messages_received_total 400\n"), std::string::npos);
  EXPECT_NE(text.find("loadgen_step 2\n"), std::string::npos);
  std::size_t buckets = 0;
  for (std::size_t at = 0; (at = text.find("loadgen_latency_seconds_bucket{", at)) != std::string::npos; ++at)
    ++buckets;
  EXPECT_GE(buckets, 21u);  // 20 bounds + +Inf at least
  EXPECT_NE(text.find("loadgen_latency_seconds_bucket{le=\"5e-06\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("loadgen_latency_seconds_bucket{le=\"0.002\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("loadgen_latency_seconds_count 2\n"), std::string::npos);
}

TEST(LiveMetrics, ErrorsTotalHasEveryContractCodeFromTheStart) {
  LiveFigures f;
  f.errors[error_code_slot("rate_limited")] = 3;
  f.errors[error_code_slot("a_future_code")] = 1;
  const std::string text = live_exposition(f, make_latency_histogram());
  EXPECT_NE(text.find("# TYPE loadgen_errors_total counter\n"), std::string::npos);
  const char* contract[] = {"bad_json",      "unknown_op",      "not_logged_in", "bad_name",     "name_taken",
                            "unauthorized",  "already_logged_in", "bad_room",    "too_many_rooms", "not_in_room",
                            "too_long",      "rate_limited",    "no_such_user",  "self_whisper", "frame_too_large",
                            "slow_consumer", "server_shutdown"};
  for (const char* code : contract) {
    const std::string want = std::string("loadgen_errors_total{code=\"") + code + "\"} " +
                             (std::string(code) == "rate_limited" ? "3" : "0") + "\n";
    EXPECT_NE(text.find(want), std::string::npos) << want;
  }
  EXPECT_NE(text.find("loadgen_errors_total{code=\"other\"} 1\n"), std::string::npos);
  std::size_t series = 0;
  for (std::size_t at = 0; (at = text.find("\nloadgen_errors_total{", at)) != std::string::npos; ++at) ++series;
  EXPECT_EQ(series, std::size(contract) + 1);
}

}  // namespace
}  // namespace chatd::loadgen
