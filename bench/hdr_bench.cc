// HdrHistogram::record is on every request's path: target <= 5 ns per record.
// Values are precomputed so the loop measures the histogram, not the RNG.
#include "metrics/hdr_histogram.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

using chatd::metrics::HdrHistogram;

constexpr int64_t kMinuteUs = 60'000'000;
constexpr int64_t kHourNs = 3'600'000'000'000;
constexpr size_t kValues = 1 << 14;  // a power of two: the index wraps with a mask

// spread 0: latency-like log-normal, a few hundred hot buckets (the usual case).
// spread 1: log-uniform over the whole range, touching every bucket of the
// counts array, so cache misses show (the pessimistic case).
std::vector<int64_t> values(int64_t highest, int spread) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> latency(std::log(double(highest) / 30000), 1.0);
  std::uniform_real_distribution<double> exponent(0.0, std::log(double(highest)));
  std::vector<int64_t> out(kValues);
  for (auto& v : out) v = int64_t(spread == 0 ? latency(rng) : std::exp(exponent(rng)));
  return out;
}

// Args: significant digits, spread.
void BM_Record(benchmark::State& state) {
  HdrHistogram h(1, kHourNs, int(state.range(0)));
  const std::vector<int64_t> v = values(kHourNs, int(state.range(1)));
  for (auto _ : state) {
    for (int64_t x : v) h.record(x);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(h.total_count());
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(kValues));
  // Inverted rate: seconds per record, printed like "1.9ns".
  state.counters["per_record"] = benchmark::Counter(
      double(kValues), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Record)->ArgsProduct({{2, 3, 4}, {0, 1}});

// Arg: percentile x 10 (500 = p50, 999 = p99.9), over a minute in microseconds.
void BM_ValueAtPercentile(benchmark::State& state) {
  HdrHistogram h(1, kMinuteUs, 3);
  for (int i = 0; i < 64; ++i) {
    for (int64_t x : values(kMinuteUs, 0)) h.record(x);
  }
  const double percentile = double(state.range(0)) / 10;
  for (auto _ : state) benchmark::DoNotOptimize(h.value_at_percentile(percentile));
}
BENCHMARK(BM_ValueAtPercentile)->Arg(500)->Arg(990)->Arg(999);

}  // namespace

BENCHMARK_MAIN();
