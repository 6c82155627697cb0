#include "loadgen/results/step_series.h"

#include <charconv>
#include <functional>
#include <optional>

#include "loadgen/results/summary_json.h"

namespace chatd::loadgen {
namespace {

std::string num(double v) {
  std::string s;
  append_json_double(s, v);  // shortest round-trip form; "null" never reaches here for finite input
  return s;
}

std::string ms(int64_t us) { return num(double(us) / 1000.0); }

std::string optional_num(const std::optional<double>& v) { return v ? num(*v) : ""; }
std::string optional_ms(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : ""; }

// "code:n;code:n": no commas, so the column needs no quoting.
std::string errors_cell(const ErrorCounts& errors) {
  std::string s;
  for (const auto& [code, n] : errors.entries()) {
    if (!s.empty()) s += ';';
    s += code + ":" + std::to_string(n);
  }
  return s;
}

// OpenMetrics timestamps are seconds since the epoch.
std::string timestamp(int64_t unix_ms) {
  std::string s = std::to_string(unix_ms / 1000) + ".";
  std::string frac = std::to_string(unix_ms % 1000);
  s.append(3 - frac.size(), '0');
  return s + frac;
}

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string steps_csv(const RunReport& report) {
  std::string out =
      "step,clients,new_clients,connect_failures,connect_p50_ms,connect_p99_ms,messages_sent,"
      "messages_rejected,deliveries_expected,deliveries_received,lost,duplicates,out_of_order,late,"
      "closed_by_server,errors,traffic_seconds,sent_per_second,delivered_per_second,latency_p50_ms,"
      "latency_p90_ms,latency_p99_ms,latency_p999_ms,latency_max_ms,timed_out,server_rss_bytes,"
      "server_cpu_seconds,publishers,first_send_unix_ms,last_intended_send_unix_ms,last_delivery_unix_ms\n";
  for (const StepReport& s : report.steps) {
    const StepTally& t = s.tally;
    const std::string cells[] = {
        std::to_string(s.step), std::to_string(s.clients), std::to_string(s.new_clients),
        std::to_string(s.connect_failures), ms(s.connect.p50), ms(s.connect.p99), std::to_string(t.sent),
        std::to_string(t.rejected), std::to_string(t.expected - std::min(t.expected, t.rejected_deliveries)),
        std::to_string(t.received), std::to_string(t.lost()), std::to_string(t.duplicates),
        std::to_string(t.out_of_order), std::to_string(t.late), std::to_string(t.closed_by_server),
        errors_cell(t.errors), num(s.traffic_seconds), num(s.sent_per_second), num(s.delivered_per_second),
        ms(s.latency.p50), ms(s.latency.p90), ms(s.latency.p99), ms(s.latency.p999), ms(s.latency.max),
        s.timed_out ? "true" : "false", optional_num(s.server_rss_bytes), optional_num(s.server_cpu_seconds),
        std::to_string(s.publishers), optional_ms(s.first_send_unix_ms), optional_ms(s.last_intended_send_unix_ms),
        optional_ms(s.last_delivery_unix_ms),
    };
    bool first = true;
    for (const std::string& c : cells) {
      if (!first) out += ',';
      out += c;
      first = false;
    }
    out += '\n';
  }
  return out;
}

std::string steps_openmetrics(const RunReport& report, std::string_view run) {
  const std::string label = "run=\"" + escape_label(run) + "\"";
  std::string out;
  // Every family is a gauge: each point is that step's own value, not a running total.
  auto family = [&](const char* name, const char* help,
                    const std::function<std::optional<double>(const StepReport&)>& value) {
    out += std::string("# TYPE ") + name + " gauge\n# HELP " + name + " " + help + "\n";
    for (const StepReport& s : report.steps) {
      std::optional<double> v = value(s);
      if (!v) continue;  // a missing scrape is a missing point, not a zero
      out += std::string(name) + "{" + label + "} " + num(*v) + " " + timestamp(s.end_unix_ms) + "\n";
    }
  };
  family("loadgen_step_clients", "Clients connected during the step.",
         [](const StepReport& s) { return double(s.clients); });
  family("loadgen_step_messages_sent", "Messages sent in the step.",
         [](const StepReport& s) { return double(s.tally.sent); });
  family("loadgen_step_deliveries_received", "Deliveries of the step's messages received.",
         [](const StepReport& s) { return double(s.tally.received); });
  family("loadgen_step_lost", "Expected deliveries that did not arrive before the step ended.",
         [](const StepReport& s) { return double(s.tally.lost()); });
  family("loadgen_step_delivered_per_second", "Deliveries received per second of step traffic.",
         [](const StepReport& s) { return s.delivered_per_second; });

  out += "# TYPE loadgen_step_latency_seconds gauge\n"
         "# HELP loadgen_step_latency_seconds End-to-end latency quantiles of the step's deliveries.\n";
  const std::pair<const char*, int64_t LatencySummary::*> quantiles[] = {
      {"0.5", &LatencySummary::p50}, {"0.9", &LatencySummary::p90}, {"0.99", &LatencySummary::p99},
      {"0.999", &LatencySummary::p999}, {"1", &LatencySummary::max}};
  for (const auto& [q, field] : quantiles) {
    for (const StepReport& s : report.steps) {
      if (s.latency.count == 0) continue;
      out += "loadgen_step_latency_seconds{" + label + ",quantile=\"" + q + "\"} " +
             num(double(s.latency.*field) / 1e6) + " " + timestamp(s.end_unix_ms) + "\n";
    }
  }
  family("loadgen_step_server_rss_bytes", "chatd's resident memory at the step's end (from --metrics-url).",
         [](const StepReport& s) { return s.server_rss_bytes; });
  family("loadgen_step_server_cpu_seconds", "chatd's CPU seconds at the step's end (from --metrics-url).",
         [](const StepReport& s) { return s.server_cpu_seconds; });
  out += "# EOF\n";
  return out;
}

}  // namespace chatd::loadgen
