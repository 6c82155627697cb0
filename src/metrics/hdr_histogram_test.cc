#include "metrics/hdr_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace chatd::metrics {
namespace {

constexpr int64_t kMinuteUs = 60'000'000;       // 1 us .. 1 min
constexpr int64_t kHourNs = 3'600'000'000'000;  // 1 ns .. 1 h

double precision(int digits) { return std::pow(10.0, -digits); }

std::vector<std::pair<int64_t, int64_t>> buckets(const HdrHistogram& h) {
  std::vector<std::pair<int64_t, int64_t>> out;
  h.for_each_bucket([&](int64_t value, int64_t count) { out.emplace_back(value, count); });
  return out;
}

enum class Shape { kUniform, kLogNormal };

// Fixed seeds: the same samples on every run.
std::vector<int64_t> samples(Shape shape, int64_t highest, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> out(n);
  if (shape == Shape::kUniform) {
    std::uniform_int_distribution<int64_t> uniform(1, highest);
    for (auto& v : out) v = uniform(rng);
  } else {
    // Latency-like: median ~highest/30000 (2 ms of a minute), a long right tail.
    std::lognormal_distribution<double> lognormal(std::log(double(highest) / 30000), 2.0);
    for (auto& v : out) v = std::clamp(int64_t(lognormal(rng)), int64_t{1}, highest);
  }
  return out;
}

TEST(HdrHistogram, SizesBucketsLikeHdrHistogram) {
  // Pairs as HdrHistogram's own .hgrm footers report them.
  HdrHistogram minute(1, kMinuteUs, 3), hour(1, kHourNs, 3), day(1, 86'400'000'000, 3);
  EXPECT_EQ(minute.bucket_count(), 16);
  EXPECT_EQ(hour.bucket_count(), 32);
  EXPECT_EQ(day.bucket_count(), 27);
  const int sub_buckets[] = {32, 256, 2048, 32768, 262144};
  for (int d = 1; d <= 5; ++d) EXPECT_EQ(HdrHistogram(1, kHourNs, d).sub_bucket_count(), sub_buckets[d - 1]);
}

TEST(HdrHistogram, RejectsBadConfiguration) {
  EXPECT_THROW(HdrHistogram(0, 1000, 3), std::invalid_argument);
  EXPECT_THROW(HdrHistogram(600, 1000, 3), std::invalid_argument);
  EXPECT_THROW(HdrHistogram(1, 1000, 0), std::invalid_argument);
  EXPECT_THROW(HdrHistogram(1, 1000, 6), std::invalid_argument);
  EXPECT_THROW(HdrHistogram(int64_t{1} << 50, int64_t{1} << 61, 5), std::invalid_argument);
}

// Every value lies in exactly one step, steps tile the line without gaps, and
// no step is wider than 10^-digits of its values -- nor, near the bottom, than
// `lowest`, the finest resolution asked for.
void check_steps(const HdrHistogram& h, int64_t from, int64_t to, int64_t stride) {
  const double p = precision(h.significant_digits());
  for (int64_t v = from; v <= to; v += stride) {
    const int64_t lo = h.lowest_equivalent(v), hi = h.highest_equivalent(v);
    ASSERT_LE(lo, v);
    ASSERT_GE(hi, v);
    ASSERT_TRUE(h.values_equivalent(lo, hi));
    ASSERT_FALSE(h.values_equivalent(hi, hi + 1)) << v;
    ASSERT_EQ(h.lowest_equivalent(hi + 1), hi + 1) << v;
    ASSERT_LE(double(hi - lo + 1), std::max(double(lo) * p, double(h.lowest()))) << v;
  }
}

TEST(HdrHistogram, EquivalentRangesTileTheValueLine) {
  check_steps(HdrHistogram(1, 1 << 22, 2), 1, 1 << 20, 1);
  check_steps(HdrHistogram(1, kHourNs, 3), 1, 1 << 16, 1);
  check_steps(HdrHistogram(1, kHourNs, 3), kHourNs - (int64_t{1} << 32), kHourNs, 9973);
  check_steps(HdrHistogram(1000, kHourNs, 4), 1000, 1 << 22, 7);
}

struct Case {
  int digits;
  int64_t highest;
  Shape shape;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "digits=" << c.digits << " highest=" << c.highest
      << (c.shape == Shape::kUniform ? " uniform" : " log-normal");
}

class HdrHistogramAccuracy : public testing::TestWithParam<Case> {};

TEST_P(HdrHistogramAccuracy, PercentilesAndStatisticsMatchSortedSamples) {
  const Case c = GetParam();
  const size_t n = 100'000;
  std::vector<int64_t> s = samples(c.shape, c.highest, n, 42 + c.digits);
  HdrHistogram h(1, c.highest, c.digits);
  for (int64_t v : s) h.record(v);
  std::sort(s.begin(), s.end());

  const double p = precision(c.digits);
  // Percentiles in parts per million so the exact rank is integer arithmetic.
  for (int64_t ppm : {1, 10'000, 250'000, 500'000, 750'000, 900'000, 990'000, 999'000, 999'900,
                      999'990, 1'000'000}) {
    const int64_t rank = (ppm * int64_t(n) + 999'999) / 1'000'000;
    const int64_t exact = s[size_t(rank - 1)];
    const int64_t got = h.value_at_percentile(double(ppm) / 1e4);
    EXPECT_TRUE(h.values_equivalent(got, exact)) << ppm << " ppm: " << got << " vs " << exact;
    EXPECT_GE(got, exact);
    EXPECT_LE(double(got - exact), double(exact) * p) << ppm << " ppm";
  }
  EXPECT_EQ(h.value_at_percentile(0), h.lowest_equivalent(s.front()));

  double sum = 0, sum_sq = 0;
  for (int64_t v : s) sum += double(v), sum_sq += double(v) * double(v);
  const double mean = sum / double(n);
  const double stddev = std::sqrt(sum_sq / double(n) - mean * mean);
  EXPECT_EQ(h.total_count(), int64_t(n));
  EXPECT_EQ(h.min(), s.front());
  EXPECT_EQ(h.max(), s.back());
  EXPECT_NEAR(h.mean(), mean, mean * p);
  EXPECT_NEAR(h.stddev(), stddev, std::sqrt(sum_sq / double(n)) * p);
  EXPECT_EQ(h.clamped(), 0);
}

std::vector<Case> accuracy_cases() {
  std::vector<Case> out;
  for (int digits : {2, 3, 4}) {
    for (int64_t highest : {kMinuteUs, kHourNs}) {
      for (Shape shape : {Shape::kUniform, Shape::kLogNormal}) out.push_back({digits, highest, shape});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(DigitsRangesShapes, HdrHistogramAccuracy, testing::ValuesIn(accuracy_cases()),
                         [](const testing::TestParamInfo<Case>& test) {
                           const Case& c = test.param;
                           return "d" + std::to_string(c.digits) +
                                  (c.highest == kMinuteUs ? "_minute_us" : "_hour_ns") +
                                  (c.shape == Shape::kUniform ? "_uniform" : "_lognormal");
                         });

TEST(HdrHistogram, ClampsOutOfRangeValues) {
  HdrHistogram h(10, 1000, 3);
  h.record(1000);
  h.record(1001);
  h.record(INT64_MAX);
  h.record(5);
  h.record(-7);
  EXPECT_EQ(h.total_count(), 5);
  EXPECT_EQ(h.clamped(), 2);
  EXPECT_EQ(h.max(), 1000);
  EXPECT_EQ(h.min(), 10);
  EXPECT_EQ(h.value_at_percentile(100), h.highest_equivalent(1000));
  EXPECT_EQ(h.count_at_or_below(999), 2);  // the two below lowest count as lowest
  EXPECT_EQ(h.count_at_or_below(INT64_MAX), 5);
}

TEST(HdrHistogram, RecordNEqualsRepeatedRecord) {
  HdrHistogram bulk(1, kHourNs, 3), single(1, kHourNs, 3);
  const std::pair<int64_t, int64_t> values[] = {{1, 3}, {12345, 1000}, {kHourNs / 7, 17}, {kHourNs * 2, 4}};
  for (auto [value, count] : values) {
    bulk.record_n(value, count);
    for (int64_t i = 0; i < count; ++i) single.record(value);
  }
  bulk.record_n(99, 0);  // no-ops: nothing recorded, min untouched
  bulk.record_n(99, -5);
  EXPECT_EQ(buckets(bulk), buckets(single));
  EXPECT_EQ(bulk.total_count(), 1024);
  EXPECT_EQ(bulk.clamped(), 4);
  EXPECT_EQ(bulk.min(), single.min());
  EXPECT_EQ(bulk.max(), single.max());
  EXPECT_EQ(bulk.percentile_distribution(), single.percentile_distribution());
}

TEST(HdrHistogram, MergeEqualsRecordingEverythingInOne) {
  const std::vector<int64_t> s = samples(Shape::kLogNormal, kMinuteUs, 30'000, 7);
  HdrHistogram all(1, kMinuteUs, 3), merged(1, kMinuteUs, 3);
  std::vector<HdrHistogram> shards(3, HdrHistogram(1, kMinuteUs, 3));
  for (size_t i = 0; i < s.size(); ++i) {
    all.record(s[i]);
    shards[i % 3].record(s[i]);
  }
  all.record(kMinuteUs + 1);
  shards[1].record(kMinuteUs + 1);
  merged.merge(HdrHistogram(1, kMinuteUs, 3));  // merging an empty one changes nothing
  for (const auto& shard : shards) merged.merge(shard);

  EXPECT_EQ(buckets(merged), buckets(all));
  EXPECT_EQ(merged.total_count(), all.total_count());
  EXPECT_EQ(merged.clamped(), 1);
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_EQ(merged.value_at_percentile(99.9), all.value_at_percentile(99.9));
  EXPECT_EQ(merged.percentile_distribution(1000.0), all.percentile_distribution(1000.0));
}

TEST(HdrHistogram, ResetEmptiesEverything) {
  HdrHistogram h(1, kMinuteUs, 3), fresh(1, kMinuteUs, 3);
  for (int64_t v : samples(Shape::kUniform, kMinuteUs * 2, 1000, 3)) h.record(v);
  h.reset();
  EXPECT_EQ(h.total_count(), 0);
  EXPECT_EQ(h.clamped(), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.value_at_percentile(50), 0);
  EXPECT_EQ(h.count_at_or_below(kMinuteUs), 0);
  EXPECT_TRUE(buckets(h).empty());
  EXPECT_EQ(h.percentile_distribution(), fresh.percentile_distribution());
  h.record(777);
  fresh.record(777);
  EXPECT_EQ(buckets(h), buckets(fresh));
  EXPECT_EQ(h.min(), 777);
}

TEST(HdrHistogram, CountAtOrBelowAgreesWithBucketsAndSamples) {
  std::vector<int64_t> s = samples(Shape::kLogNormal, kHourNs, 20'000, 11);
  HdrHistogram h(1, kHourNs, 3);
  for (int64_t v : s) h.record(v);
  std::sort(s.begin(), s.end());

  int64_t running = 0, previous_value = 0;
  for (auto [value, count] : buckets(h)) {
    EXPECT_GT(value, previous_value);
    EXPECT_EQ(h.count_at_or_below(h.lowest_equivalent(value) - 1), running);
    running += count;
    EXPECT_EQ(h.count_at_or_below(value), running);
    previous_value = value;
  }
  EXPECT_EQ(running, h.total_count());

  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int64_t> pick(0, s.size() - 1);
  for (int i = 0; i < 200; ++i) {
    const int64_t x = s[size_t(pick(rng))] + (i % 3) - 1;
    const auto expected = std::upper_bound(s.begin(), s.end(), h.highest_equivalent(x)) - s.begin();
    EXPECT_EQ(h.count_at_or_below(x), expected) << x;
  }
  EXPECT_EQ(h.count_at_or_below(-1), 0);
  EXPECT_EQ(h.count_at_or_below(0), 0);
  EXPECT_EQ(h.count_at_or_below(kHourNs), h.total_count());
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(HdrHistogram, PercentileDistributionHasHgrmLayout) {
  const double scale = 1e6;  // ns printed as ms
  HdrHistogram h(1, kHourNs, 3);
  for (int64_t v : samples(Shape::kLogNormal, kHourNs, 50'000, 9)) h.record(v);
  const std::string text = h.percentile_distribution(scale);
  ASSERT_EQ(text.back(), '\n');
  const std::vector<std::string> lines = lines_of(text);
  ASSERT_GT(lines.size(), 10u);
  EXPECT_EQ(lines[0], "       Value     Percentile TotalCount 1/(1-Percentile)");
  EXPECT_EQ(lines[1], "");

  size_t i = 2;
  double last_value = 0, last_percentile = -1;
  int64_t last_count = 0;
  for (; i < lines.size() && lines[i][0] != '#'; ++i) {
    const std::string& line = lines[i];
    const bool last_row = i + 1 < lines.size() && lines[i + 1][0] == '#';
    // %12.3f %2.12f %10d %14.2f, the 1/(1-Percentile) column absent at 100%.
    ASSERT_EQ(line.size(), last_row ? 38u : 53u) << line;
    double value = 0, percentile = 0, inverse = 0;
    long long count = 0;
    const int fields = std::sscanf(line.c_str(), "%lf %lf %lld %lf", &value, &percentile, &count, &inverse);
    ASSERT_EQ(fields, last_row ? 3 : 4) << line;
    EXPECT_EQ(line.substr(12, 2), percentile < 1 ? " 0" : " 1");
    EXPECT_EQ(line.substr(14, 1), ".");
    EXPECT_EQ(line[8], '.');

    if (i == 2) {
      EXPECT_EQ(percentile, 0.0);
      EXPECT_EQ(count, h.count_at_or_below(h.min()));
      EXPECT_NEAR(value, double(h.highest_equivalent(h.min())) / scale, 0.0005);
    }
    if (last_row) {
      EXPECT_EQ(line.substr(13, 14), "1.000000000000");
      EXPECT_EQ(count, h.total_count());
      EXPECT_NEAR(value, double(h.highest_equivalent(h.max())) / scale, 0.0005);
    } else {
      EXPECT_NEAR(inverse, 1.0 / (1.0 - percentile), 0.0051 / (1.0 - percentile));
    }
    EXPECT_GT(percentile, last_percentile);
    EXPECT_GE(count, last_count);
    EXPECT_GE(value, last_value);
    // Each row is the bucket holding that percentile's rank.
    const int64_t at = h.value_at_percentile(percentile * 100);
    EXPECT_NEAR(value, double(at) / scale, 0.0005) << line;
    EXPECT_EQ(count, h.count_at_or_below(at)) << line;
    last_value = value, last_percentile = percentile, last_count = count;
  }
  EXPECT_EQ(last_percentile, 1.0);

  ASSERT_EQ(lines.size(), i + 3);
  double mean = 0, stddev = 0, max = 0;
  long long total = 0;
  int bucket_count = 0, sub_buckets = 0;
  ASSERT_EQ(std::sscanf(lines[i].c_str(), "#[Mean    = %lf, StdDeviation   = %lf]", &mean, &stddev), 2);
  ASSERT_EQ(std::sscanf(lines[i + 1].c_str(), "#[Max     = %lf, Total count    = %lld]", &max, &total), 2);
  ASSERT_EQ(std::sscanf(lines[i + 2].c_str(), "#[Buckets = %d, SubBuckets     = %d]", &bucket_count,
                        &sub_buckets), 2);
  EXPECT_NEAR(mean, h.mean() / scale, 0.0005);
  EXPECT_NEAR(stddev, h.stddev() / scale, 0.0005);
  EXPECT_NEAR(max, double(h.highest_equivalent(h.max())) / scale, 0.0005);
  EXPECT_EQ(total, h.total_count());
  EXPECT_EQ(bucket_count, 32);
  EXPECT_EQ(sub_buckets, 2048);
  EXPECT_EQ(lines[i + 2], "#[Buckets =           32, SubBuckets     =         2048]");
}

TEST(HdrHistogram, PercentileDistributionMatchesHdrHistogramByteForByte) {
  // HdrHistogram (Java) 2.1.11's outputPercentileDistribution(out, 5, 1000.0)
  // for a Histogram(1, 60000000, 3) holding these four values.
  HdrHistogram h(1, kMinuteUs, 3);
  for (int64_t v : {1000, 2000, 2500, 1500000}) h.record(v);
  EXPECT_EQ(h.percentile_distribution(1000.0),
            "       Value     Percentile TotalCount 1/(1-Percentile)\n"
            "\n"
            "       1.000 0.000000000000          1           1.00\n"
            "       1.000 0.100000000000          1           1.11\n"
            "       1.000 0.200000000000          1           1.25\n"
            "       2.000 0.300000000000          2           1.43\n"
            "       2.000 0.400000000000          2           1.67\n"
            "       2.000 0.500000000000          2           2.00\n"
            "       2.501 0.550000000000          3           2.22\n"
            "       2.501 0.600000000000          3           2.50\n"
            "       2.501 0.650000000000          3           2.86\n"
            "       2.501 0.700000000000          3           3.33\n"
            "       2.501 0.750000000000          3           4.00\n"
            "    1500.159 0.775000000000          4           4.44\n"
            "    1500.159 1.000000000000          4\n"
            "#[Mean    =      376.287, StdDeviation   =      648.573]\n"
            "#[Max     =     1500.159, Total count    =            4]\n"
            "#[Buckets =           16, SubBuckets     =         2048]\n");
  // Java's Formatter rounds half-up from the shortest decimal form: the 0.9997802734375
  // percentile level prints as ...438 where printf would print ...437.
  HdrHistogram many(1, kMinuteUs, 3);
  for (int64_t v = 1; v <= 10'000; ++v) many.record(v);
  EXPECT_NE(many.percentile_distribution().find(" 0.999780273438 "), std::string::npos);
}

TEST(HdrHistogram, EmptyDistributionHasHeaderAndFooterOnly) {
  EXPECT_EQ(HdrHistogram(1, kMinuteUs, 3).percentile_distribution(1000.0),
            "       Value     Percentile TotalCount 1/(1-Percentile)\n"
            "\n"
            "#[Mean    =        0.000, StdDeviation   =        0.000]\n"
            "#[Max     =        0.000, Total count    =            0]\n"
            "#[Buckets =           16, SubBuckets     =         2048]\n");
}

}  // namespace
}  // namespace chatd::metrics
