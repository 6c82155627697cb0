#include "metrics/hdr_histogram.h"

#include <bit>
#include <cassert>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string_view>

namespace chatd::metrics {

HdrHistogram::HdrHistogram(int64_t lowest, int64_t highest, int significant_digits)
    : lowest_(lowest), highest_(highest), digits_(significant_digits) {
  if (lowest < 1) throw std::invalid_argument("HdrHistogram: lowest must be >= 1");
  if (highest / 2 < lowest) throw std::invalid_argument("HdrHistogram: highest must be >= 2 * lowest");
  if (digits_ < 1 || digits_ > 5) {
    throw std::invalid_argument("HdrHistogram: significant_digits must be 1..5");
  }
  int64_t single_unit_range = 2;  // 2 * 10^digits values recorded exactly
  for (int i = 0; i < digits_; ++i) single_unit_range *= 10;
  sub_bucket_bits_ = int(std::bit_width(uint64_t(single_unit_range - 1)));
  unit_bits_ = int(std::bit_width(uint64_t(lowest))) - 1;
  if (unit_bits_ + sub_bucket_bits_ > 63) {
    throw std::invalid_argument("HdrHistogram: lowest too large for that many significant digits");
  }
  mask_ = ((uint64_t{1} << sub_bucket_bits_) - 1) << unit_bits_;
  index_base_ = size_t(unit_bits_) << (sub_bucket_bits_ - 1);
  bucket_count_ = shift_of(highest) - unit_bits_ + 1;
  // Values are clamped to highest, so its step is the last one ever touched.
  counts_.assign(index_of(highest) + 1, 0);
}

// Inverse of index_of(): the lowest value of the step at `index`.
int64_t HdrHistogram::value_at_index(size_t index) const {
  const int half_bits = sub_bucket_bits_ - 1;
  // Indices below 2^(M-1) are bucket 0's lower half, which has no bucket -1.
  const int bucket = std::max(int(index >> half_bits) - 1, 0);
  const auto step = int64_t(index - (size_t(bucket) << half_bits));
  return step << (bucket + unit_bits_);
}

void HdrHistogram::merge(const HdrHistogram& other) {
  assert(lowest_ == other.lowest_ && highest_ == other.highest_ && digits_ == other.digits_);
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  clamped_ += other.clamped_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void HdrHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  clamped_ = 0;
  min_ = INT64_MAX;
  max_ = 0;
}

double HdrHistogram::mean() const {
  if (total_ == 0) return 0.0;
  double sum = 0.0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const int64_t v = value_at_index(i);
    const int64_t median = v + ((int64_t{1} << shift_of(v)) >> 1);
    sum += double(median) * double(counts_[i]);
  }
  return sum / double(total_);
}

double HdrHistogram::stddev() const {
  if (total_ == 0) return 0.0;
  const double m = mean();
  double sum_sq = 0.0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const int64_t v = value_at_index(i);
    const double dev = double(v + ((int64_t{1} << shift_of(v)) >> 1)) - m;
    sum_sq += dev * dev * double(counts_[i]);
  }
  return std::sqrt(sum_sq / double(total_));
}

int64_t HdrHistogram::value_at_percentile(double percentile) const {
  if (total_ == 0) return 0;
  const double p = percentile > 0.0 ? std::min(percentile, 100.0) : 0.0;  // NaN -> 0
  // p / 100 * total carries a few ulps of error (99.9% of 1000 is 999.0000000000001);
  // the nudge keeps such exact ranks from rounding up to the next one.
  const double fractional = p / 100.0 * double(total_) * (1.0 - 1e-14);
  const int64_t rank = std::max<int64_t>(1, int64_t(std::ceil(fractional)));
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      // HdrHistogram reports the 0th percentile as the bottom of the first bucket.
      const int64_t v = value_at_index(i);
      return p == 0.0 ? v : highest_equivalent(v);
    }
  }
  return highest_equivalent(max_);  // unreachable: the counts sum to total_
}

int64_t HdrHistogram::count_at_or_below(int64_t value) const {
  if (value < 0) return 0;
  const size_t last = index_of(std::min(value, highest_));
  int64_t n = 0;
  for (size_t i = 0; i <= last; ++i) n += counts_[i];
  return n;
}

namespace {

void append_padded(std::string& out, std::string_view text, int width) {
  if (int(text.size()) < width) out.append(size_t(width) - text.size(), ' ');
  out.append(text);
}

// HdrHistogram prints through Java's Formatter, which rounds the shortest
// round-trip decimal form of a double half-up (0.595 -> "0.60") where printf
// rounds the exact binary value (0.59499.. -> "0.59"). Doing as Java does keeps
// our .hgrm byte-identical to HdrHistogram's; std::to_chars also keeps it
// independent of the C locale.
void append_fixed(std::string& out, double v, int width, int precision) {
  char buf[400];  // enough for any finite double in fixed notation
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  std::string s(buf, r.ptr);
  if (std::isfinite(v) && v >= 0) {  // anything else never reaches a .hgrm
    if (s.find('.') == std::string::npos) s += '.';
    const size_t keep = s.find('.') + 1 + size_t(precision);
    const bool round_up = s.size() > keep && s[keep] >= '5';
    s.resize(keep, '0');
    if (round_up) {  // carry leftwards: 9s become 0s, the '.' is stepped over
      size_t i = keep;
      for (; i > 0 && (s[i - 1] == '9' || s[i - 1] == '.'); --i) {
        if (s[i - 1] == '9') s[i - 1] = '0';
      }
      if (i == 0) s.insert(s.begin(), '1');
      else ++s[i - 1];
    }
  }
  append_padded(out, s, width);
}

void append_int(std::string& out, int64_t v, int width) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  append_padded(out, std::string_view(buf, size_t(r.ptr - buf)), width);
}

// HdrHistogram's percentile ticks: `ticks` steps to reach 50%, then the step
// halves each time the remaining distance to 100% halves (75%, 87.5%, ...).
double next_percentile_level(double level, int ticks) {
  const auto halvings = int64_t(std::log(100.0 / (100.0 - level)) / std::log(2.0));
  return level + 100.0 / (double(ticks) * std::ldexp(1.0, int(halvings) + 1));
}

}  // namespace

std::string HdrHistogram::percentile_distribution(double unit_scale,
                                                  int ticks_per_half_distance) const {
  std::string out = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n";
  const int ticks = std::max(ticks_per_half_distance, 1);
  auto row = [&](size_t index, double level, int64_t count_to_here) {
    append_fixed(out, double(highest_equivalent(value_at_index(index))) / unit_scale, 12, digits_);
    out += ' ';
    append_fixed(out, level / 100.0, 2, 12);
    out += ' ';
    append_int(out, count_to_here, 10);
    if (level != 100.0) {
      out += ' ';
      append_fixed(out, 1.0 / (1.0 - level / 100.0), 14, 2);
    }
    out += '\n';
  };

  if (total_ > 0) {
    double level = 0.0;
    int64_t seen = 0;
    size_t index = 0;
    // A bucket is printed once for every level it reaches, so dense buckets
    // repeat; once the last bucket has been printed only the 100% row is left.
    for (size_t i = 0; i < counts_.size() && seen < total_; ++i) {
      if (counts_[i] == 0) continue;
      seen += counts_[i];
      index = i;
      const double reached = 100.0 * double(seen) / double(total_);
      while (reached >= level && level < 100.0) {
        row(i, level, seen);
        level = next_percentile_level(level, ticks);
        if (seen == total_) break;
      }
    }
    row(index, 100.0, total_);
  }

  const double max_scaled = double(total_ == 0 ? 0 : highest_equivalent(max_)) / unit_scale;
  out += "#[Mean    = ";
  append_fixed(out, mean() / unit_scale, 12, digits_);
  out += ", StdDeviation   = ";
  append_fixed(out, stddev() / unit_scale, 12, digits_);
  out += "]\n#[Max     = ";
  append_fixed(out, max_scaled, 12, digits_);
  out += ", Total count    = ";
  append_int(out, total_, 12);
  out += "]\n#[Buckets = ";
  append_int(out, bucket_count_, 12);
  out += ", SubBuckets     = ";
  append_int(out, sub_bucket_count(), 12);
  out += "]\n";
  return out;
}

}  // namespace chatd::metrics
