// MpscRing throughput. Uncontended: one thread pushes a batch then drains it
// (target <= 25 ns per item, push + pop). Contended: N producer threads push
// flat out while the benchmark thread drains, as a shard loop would.
#include "xshard/mpsc_ring.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace chatd::xshard {
namespace {

// The size of a typical cross-shard message: a kind, a target and a pointer.
struct Msg {
  uint64_t kind;
  uint64_t target;
  uint64_t payload;
};

// Seconds per item, shown as e.g. "6.1ns" in the ns_per_item column.
void report_items(benchmark::State& state, int64_t items) {
  state.SetItemsProcessed(items);
  state.counters["ns_per_item"] = benchmark::Counter(
      double(items), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_PushDrainUncontended(benchmark::State& state) {
  const auto batch = std::size_t(state.range(0));
  MpscRing<Msg> ring(1024);
  uint64_t sum = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) {
      Msg m{1, i, i};
      if (!ring.try_push(m)) state.SkipWithError("ring full");
    }
    ring.drain([&](Msg&& m) { sum += m.payload; });
  }
  benchmark::DoNotOptimize(sum);
  report_items(state, int64_t(state.iterations()) * int64_t(batch));
}
BENCHMARK(BM_PushDrainUncontended)->Arg(1)->Arg(32)->Arg(256)->Arg(1024);

// Each iteration consumes kPerIteration items; producers run freely in between.
void BM_ProducersToOneConsumer(benchmark::State& state) {
  constexpr std::size_t kPerIteration = 4096;
  const auto producers = int(state.range(0));
  MpscRing<Msg> ring(1024);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&ring, &stop, p] {
      uint64_t i = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        Msg m{uint64_t(p), i, i};
        if (ring.try_push(m)) {
          ++i;
        } else {
          std::this_thread::yield();  // full: the consumer is behind
        }
      }
    });
  }
  uint64_t sum = 0;
  for (auto _ : state) {
    std::size_t got = 0;
    while (got < kPerIteration) {
      const std::size_t n = ring.drain([&](Msg&& m) { sum += m.payload; }, kPerIteration - got);
      if (n == 0) std::this_thread::yield();
      got += n;
    }
  }
  stop.store(true, std::memory_order_relaxed);
  for (auto& t : threads) t.join();
  benchmark::DoNotOptimize(sum);
  report_items(state, int64_t(state.iterations()) * int64_t(kPerIteration));
}
BENCHMARK(BM_ProducersToOneConsumer)->Arg(1)->Arg(3)->UseRealTime();

}  // namespace
}  // namespace chatd::xshard

BENCHMARK_MAIN();
