// A latency histogram in microseconds: exact below 1024 µs, then 512 buckets per
// power of two (relative error under 0.2%), up to 2^40 µs (values above are
// counted in the top bucket). Plain data: zero-initialise it and record.
#ifndef FANOUT_CLIENT_LATENCY_HIST_H
#define FANOUT_CLIENT_LATENCY_HIST_H

#include <stdint.h>
#include <stdio.h>

#define HIST_EXACT 1024u     /* values below are their own bucket */
#define HIST_SUB 512u        /* buckets per power of two above */
#define HIST_MAX_SHIFT 31u   /* top octave: [2^39, 2^40) µs */
#define HIST_BUCKETS (HIST_EXACT + HIST_MAX_SHIFT * HIST_SUB)

struct latency_hist {
  uint64_t counts[HIST_BUCKETS];
  uint64_t total;
  uint64_t max_us;
};

void hist_record(struct latency_hist *h, uint64_t us);
// The value (µs) at quantile q in [0, 1]: the middle of the bucket holding it.
double hist_quantile_us(const struct latency_hist *h, double q);
// HdrHistogram's percentile-distribution text, values in milliseconds, so the
// same tools read it as loadgen's .hgrm files.
void hist_write_hgrm(const struct latency_hist *h, FILE *out);

#endif
