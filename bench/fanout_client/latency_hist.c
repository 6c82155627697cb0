#include "latency_hist.h"

#include <math.h>

static unsigned bucket_of(uint64_t us) {
  if (us < HIST_EXACT) return (unsigned)us;
  unsigned msb = 63u - (unsigned)__builtin_clzll(us);
  unsigned shift = msb - 9u;  // us >> shift lands in [512, 1024)
  if (shift > HIST_MAX_SHIFT) return HIST_BUCKETS - 1u;
  return HIST_EXACT + (shift - 1u) * HIST_SUB + (unsigned)((us >> shift) - HIST_SUB);
}

static double bucket_middle(unsigned b) {
  if (b < HIST_EXACT) return (double)b;
  unsigned shift = (b - HIST_EXACT) / HIST_SUB + 1u;
  uint64_t low = (uint64_t)((b - HIST_EXACT) % HIST_SUB + HIST_SUB) << shift;
  return (double)low + (double)(1ull << shift) / 2.0;
}

void hist_record(struct latency_hist *h, uint64_t us) {
  h->counts[bucket_of(us)]++;
  h->total++;
  if (us > h->max_us) h->max_us = us;
}

double hist_quantile_us(const struct latency_hist *h, double q) {
  if (h->total == 0) return 0.0;
  uint64_t rank = (uint64_t)ceil(q * (double)h->total);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (unsigned b = 0; b < HIST_BUCKETS; b++) {
    seen += h->counts[b];
    if (seen >= rank) {
      double v = bucket_middle(b);
      return v > (double)h->max_us ? (double)h->max_us : v;
    }
  }
  return (double)h->max_us;
}

void hist_write_hgrm(const struct latency_hist *h, FILE *out) {
  fprintf(out, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
  uint64_t seen = 0;
  for (unsigned b = 0; b < HIST_BUCKETS; b++) {
    if (h->counts[b] == 0) continue;
    seen += h->counts[b];
    double p = (double)seen / (double)h->total;
    double ms = bucket_middle(b) / 1000.0;
    if (p < 1.0) fprintf(out, "%12.3f %14.12f %10llu %14.2f\n", ms, p, (unsigned long long)seen, 1.0 / (1.0 - p));
    else fprintf(out, "%12.3f %14.12f %10llu\n", ms, p, (unsigned long long)seen);
  }
  double sum = 0, squares = 0;
  for (unsigned b = 0; b < HIST_BUCKETS; b++) {
    double ms = bucket_middle(b) / 1000.0;
    sum += ms * (double)h->counts[b];
    squares += ms * ms * (double)h->counts[b];
  }
  double n = h->total ? (double)h->total : 1.0;
  double mean = sum / n, var = squares / n - mean * mean;
  fprintf(out, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean, var > 0 ? sqrt(var) : 0.0);
  fprintf(out, "#[Max     = %12.3f, Total count    = %12llu]\n", (double)h->max_us / 1000.0,
          (unsigned long long)h->total);
  fprintf(out, "#[Buckets = %12u, SubBuckets     = %12u]\n", HIST_BUCKETS, HIST_SUB);
}
