#include "loadgen/stats/step_report.h"

#include <algorithm>

namespace chatd::loadgen {

LatencySummary summarize(const metrics::HdrHistogram& h) {
  LatencySummary s;
  s.count = uint64_t(h.total_count());
  if (s.count == 0) return s;
  // Percentiles are bucket tops (within 0.1%); capped at the exact max so a
  // table never shows a p99.9 above its max.
  s.max = h.max();
  auto at = [&](double p) { return std::min(h.value_at_percentile(p), s.max); };
  s.p50 = at(50);
  s.p90 = at(90);
  s.p95 = at(95);
  s.p99 = at(99);
  s.p999 = at(99.9);
  return s;
}

void finish_step_report(StepReport& r, const metrics::HdrHistogram& latency) {
  r.latency = summarize(latency);
  const StepTally& t = r.tally;
  if (r.traffic_seconds > 0) {
    r.sent_per_second = double(t.sent - t.rejected) / r.traffic_seconds;
    r.delivered_per_second = double(t.received) / r.traffic_seconds;
  }
}

void RunReport::add_step(StepReport r, metrics::HdrHistogram latency) {
  total_latency.merge(latency);
  steps.push_back(std::move(r));
  step_latency.push_back(std::move(latency));
}

StepTally RunReport::totals() const {
  StepTally t;
  for (const StepReport& s : steps) t.merge(s.tally);
  return t;
}

}  // namespace chatd::loadgen
