#include "loadgen/results/text_report.h"

#include <cstdio>

namespace chatd::loadgen {
namespace {

std::string errors_text(const ErrorCounts& errors) {
  if (errors.total() == 0) return "none";
  std::string s;
  for (const auto& [code, n] : errors.entries()) {
    if (!s.empty()) s += ' ';
    s += code + "=" + std::to_string(n);
  }
  return s;
}

uint64_t due(const StepTally& t) { return t.expected - std::min(t.expected, t.rejected_deliveries); }

}  // namespace

std::string format_ms(int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", double(us) / 1000.0);
  return buf;
}

std::string format_rate(double v) {
  char buf[32];
  if (v >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e4)
    std::snprintf(buf, sizeof buf, "%.0fk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string step_line(const StepReport& s) {
  const StepTally& t = s.tally;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "step %u | clients %u (+%u, %u failed, connect p50 %s p99 %s ms) | sent %llu | delivered "
                "%llu/%llu lost %llu dup %llu ooo %llu | %s deliv/s | p50 %s p90 %s p99 %s p99.9 %s max %s ms%s",
                s.step, s.clients, s.new_clients, s.connect_failures, format_ms(s.connect.p50).c_str(),
                format_ms(s.connect.p99).c_str(), (unsigned long long)t.sent, (unsigned long long)t.received,
                (unsigned long long)due(t), (unsigned long long)t.lost(), (unsigned long long)t.duplicates,
                (unsigned long long)t.out_of_order, format_rate(s.delivered_per_second).c_str(),
                format_ms(s.latency.p50).c_str(), format_ms(s.latency.p90).c_str(), format_ms(s.latency.p99).c_str(),
                format_ms(s.latency.p999).c_str(), format_ms(s.latency.max).c_str(),
                s.timed_out ? " | TIMED OUT" : "");
  std::string line = buf;
  if (t.errors.total() > 0) line += " | errors " + errors_text(t.errors);
  return line;
}

std::string steps_table(const RunReport& report) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%4s %7s %8s %9s %10s %10s %6s %4s %4s %9s %8s %8s %8s %8s %8s  %s\n", "step",
                "clients", "conn p99", "sent", "expected", "received", "lost", "dup", "ooo", "deliv/s", "p50 ms",
                "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors");
  out += buf;
  for (const StepReport& s : report.steps) {
    const StepTally& t = s.tally;
    std::snprintf(buf, sizeof buf, "%4u %7u %8s %9llu %10llu %10llu %6llu %4llu %4llu %9s %8s %8s %8s %8s %8s  %s\n",
                  s.step, s.clients, format_ms(s.connect.p99).c_str(), (unsigned long long)t.sent,
                  (unsigned long long)due(t), (unsigned long long)t.received, (unsigned long long)t.lost(),
                  (unsigned long long)t.duplicates, (unsigned long long)t.out_of_order,
                  format_rate(s.delivered_per_second).c_str(), format_ms(s.latency.p50).c_str(),
                  format_ms(s.latency.p90).c_str(), format_ms(s.latency.p99).c_str(),
                  format_ms(s.latency.p999).c_str(), format_ms(s.latency.max).c_str(), errors_text(t.errors).c_str());
    out += buf;
  }
  return out;
}

std::string run_conclusion(const RunReport& report) {
  std::string out;
  if (report.saturation) {
    out += "saturation: step " + std::to_string(report.saturation->step) + " (" + report.saturation->reason + ")\n";
  } else if (!report.verdict && !report.interrupted) {
    out += "saturation: none within " + std::to_string(report.steps.size()) + " step(s)\n";
  }
  if (report.verdict) {
    const Verdict& v = *report.verdict;
    char buf[256];
    std::snprintf(buf, sizeof buf, "verdict: %s (scenario %s: %.0f msg/s accepted of %.0f offered, p95 %s ms)\n",
                  v.tier ? v.tier->c_str() : "no tier", v.scenario.c_str(), v.inbound_rate, v.offered_rate,
                  format_ms(v.p95_us).c_str());
    out += buf;
  }
  if (report.interrupted) out += "interrupted: results hold the completed steps only\n";
  return out;
}

std::string totals_line(const RunReport& report, uint32_t clients) {
  const StepTally t = report.totals();
  const LatencySummary l = summarize(report.total_latency);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "clients %u | sent %llu | expected %llu | received %llu | lost %llu | dup %llu | out-of-order %llu | "
                "latency p50 %s p90 %s p99 %s max %s ms | errors %s",
                clients, (unsigned long long)t.sent, (unsigned long long)due(t), (unsigned long long)t.received,
                (unsigned long long)t.lost(), (unsigned long long)t.duplicates, (unsigned long long)t.out_of_order,
                format_ms(l.p50).c_str(), format_ms(l.p90).c_str(), format_ms(l.p99).c_str(),
                format_ms(l.max).c_str(), errors_text(t.errors).c_str());
  return buf;
}

}  // namespace chatd::loadgen
