#include "loadgen/scrape/metrics_scrape.h"

#include <gtest/gtest.h>

namespace chatd::loadgen {
namespace {

TEST(MetricsScrape, ReadsProcessFiguresAndBuildInfo) {
  const char* text =
      "# HELP process_resident_memory_bytes Resident memory.\n"
      "# TYPE process_resident_memory_bytes gauge\n"
      "process_resident_memory_bytes 1.2345e+07\n"
      "process_cpu_seconds_total 3.5 1700000000000\n"
      "chatd_build_info{version=\"0.1.0\",backend=\"uring\"} 1\n"
      "chatd_connections_active 10\n";
  ServerSample s = parse_server_sample(text);
  EXPECT_DOUBLE_EQ(*s.rss_bytes, 12345000);
  EXPECT_DOUBLE_EQ(*s.cpu_seconds, 3.5);
  EXPECT_EQ(*s.version, "0.1.0");
  EXPECT_EQ(*s.backend, "uring");
  ServerSample empty = parse_server_sample("chatd_rooms_active 3\n");
  EXPECT_FALSE(empty.rss_bytes);
  EXPECT_FALSE(empty.version);
}

TEST(MetricsScrape, Urls) {
  auto u = parse_http_url("http://127.0.0.1:9400/metrics");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9400);
  EXPECT_EQ(u->path, "/metrics");
  auto d = parse_http_url("http://localhost");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 80);
  EXPECT_EQ(d->path, "/");
  EXPECT_FALSE(parse_http_url("https://127.0.0.1/").ok());
  EXPECT_FALSE(parse_http_url("http://127.0.0.1:99999/").ok());
  EXPECT_FALSE(parse_http_url("http://example.com/").ok());
}

TEST(MetricsScrape, NothingListeningIsAnErrorNotAHang) {
  auto u = parse_http_url("http://127.0.0.1:1/metrics");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(http_get(*u, kSeconds).ok());
}

}  // namespace
}  // namespace chatd::loadgen
