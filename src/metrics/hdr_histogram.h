// A high-dynamic-range histogram in the manner of Gil Tene's HdrHistogram:
// log-linear buckets that keep a fixed number of significant decimal digits
// over a range as wide as 1 ns .. 1 hour, in a counts array sized once.
//
// Recording is a handful of instructions with no allocation, lock or loop, so
// every shard owns its histograms outright (not thread-safe) and a reporter
// merges copies. percentile_distribution() writes HdrHistogram's .hgrm text so
// its plotters read our output unchanged.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace chatd::metrics {

class HdrHistogram {
 public:
  // Tracks integer values in [lowest, highest] (lowest >= 1, highest >= 2 * lowest)
  // with `significant_digits` (1..5) decimal digits of precision. Values above
  // highest are clamped to highest and counted in clamped(); values below lowest
  // count as lowest. Throws std::invalid_argument on a bad configuration.
  HdrHistogram(int64_t lowest, int64_t highest, int significant_digits = 3);

  void record(int64_t value) { record_n(value, 1); }
  void record_n(int64_t value, int64_t count);
  // Adds `other`'s counts; both must have the same configuration (asserted).
  void merge(const HdrHistogram& other);
  void reset();

  int64_t total_count() const { return total_; }
  // Exact extremes of what was recorded (after clamping); 0 when empty.
  int64_t min() const { return total_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  // As in HdrHistogram, computed from each bucket's median equivalent value.
  double mean() const;
  double stddev() const;
  int64_t clamped() const { return clamped_; }

  // HdrHistogram semantics: the highest equivalent value of the bucket holding
  // rank ceil(percentile / 100 * total_count()), percentile clamped to 0..100;
  // percentile 0 gives the lowest equivalent value of the first bucket.
  int64_t value_at_percentile(double percentile) const;
  // Values recorded in buckets at or below value's bucket, i.e. all values
  // <= highest_equivalent(value): for Prometheus cumulative `le` buckets.
  int64_t count_at_or_below(int64_t value) const;

  bool values_equivalent(int64_t a, int64_t b) const {
    return lowest_equivalent(a) == lowest_equivalent(b);
  }
  int64_t lowest_equivalent(int64_t v) const {
    const int s = shift_of(v);
    return (v >> s) << s;
  }
  int64_t highest_equivalent(int64_t v) const {
    return lowest_equivalent(v) + (int64_t{1} << shift_of(v)) - 1;
  }

  // Calls fn(int64_t highest_equivalent_value, int64_t count) for each
  // non-empty bucket, in increasing value.
  template <class Fn>
  void for_each_bucket(Fn&& fn) const {
    for (size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i] != 0) fn(highest_equivalent(value_at_index(i)), counts_[i]);
    }
  }

  // HdrHistogram's outputPercentileDistribution text (.hgrm): header, one row
  // per percentile tick, the 100% row, then the #[Mean/Max/Buckets] footer
  // (whose Max, like HdrHistogram's, is highest_equivalent(max())). Values are
  // divided by unit_scale, e.g. 1000.0 prints microseconds as milliseconds.
  // Byte-identical to HdrHistogram (Java) given the same in-range values.
  std::string percentile_distribution(double unit_scale = 1.0,
                                      int ticks_per_half_distance = 5) const;

  int64_t lowest() const { return lowest_; }
  int64_t highest() const { return highest_; }
  int significant_digits() const { return digits_; }
  int bucket_count() const { return bucket_count_; }
  int sub_bucket_count() const { return 1 << sub_bucket_bits_; }

 private:
  // Layout (M = sub_bucket_bits_, u = unit_bits_): bucket 0 holds [0, 2^(M+u))
  // in 2^M steps of width 2^u; bucket b >= 1 holds [2^(M+u+b-1), 2^(M+u+b)) in
  // 2^(M-1) steps of width 2^(u+b) -- its lower half would repeat bucket b-1.
  // A step of width 2^s starting at v >= 2^(M-1+s) is at most 10^-digits of v.
  //
  // shift_of(v) = s, the log2 of the width of v's step: bit_width(v) - M, but
  // never below u. OR-ing in `mask_` (M ones at bit u) sets that floor without a
  // branch; bits of v below bit u are dropped by the shift anyway. It also makes
  // the operand nonzero, so the raw builtin is safe and, unlike std::bit_width,
  // compiles to a bare bsr/lzcnt with no zero test.
  int shift_of(int64_t v) const {
    return 64 - __builtin_clzll(uint64_t(v) | mask_) - sub_bucket_bits_;
  }
  // v >> s is v's step within a 2^M-wide window: 0..2^M-1 in bucket 0 and
  // 2^(M-1)..2^M-1 (top bit always set) in bucket b = s - u. Bucket b's steps
  // therefore start at index (b+1) * 2^(M-1) = b * 2^(M-1) + 2^(M-1), which
  // the top bit of v >> s supplies: index = (s - u) * 2^(M-1) + (v >> s).
  size_t index_of(int64_t v) const {
    const int s = shift_of(v);
    return (size_t(s) << (sub_bucket_bits_ - 1)) - index_base_ + size_t(v >> s);
  }
  int64_t value_at_index(size_t index) const;

  int64_t lowest_;
  int64_t highest_;
  int digits_;
  int unit_bits_;        // u = floor(log2(lowest))
  int sub_bucket_bits_;  // M: 2^M = next power of two >= 2 * 10^digits
  int bucket_count_;
  uint64_t mask_;        // (2^M - 1) << u
  size_t index_base_;    // u << (M - 1), folded out of index_of()

  std::vector<int64_t> counts_;
  int64_t total_ = 0;
  int64_t clamped_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
};

// The hot path: clamp, one index computation, four stores, all branch-free
// once record() has folded the count check away.
inline void HdrHistogram::record_n(int64_t value, int64_t count) {
  if (count <= 0) return;
  clamped_ += value > highest_ ? count : 0;
  value = std::clamp(value, lowest_, highest_);
  counts_[index_of(value)] += count;
  total_ += count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

}  // namespace chatd::metrics
