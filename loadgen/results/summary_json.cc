#include "loadgen/results/summary_json.h"

#include <charconv>
#include <cmath>

#include "proto/json_writer.h"

namespace chatd::loadgen {
namespace {

using proto::JsonWriter;

std::string number(double v) {
  std::string s;
  append_json_double(s, v);
  return s;
}

template <class T>
std::string optional_number(const std::optional<T>& v) {
  return v ? number(double(*v)) : "null";
}

std::string optional_string(const std::optional<std::string>& v) {
  if (!v) return "null";
  std::string s;
  proto::append_json_string(s, *v);
  return s;
}

double us_to_ms(int64_t us) { return double(us) / 1000.0; }

// JsonWriter has no keyed nested object: nested objects are written on their own
// and added whole as raw JSON.
template <class Fill>
std::string object_json(Fill&& fill) {
  std::string s;
  JsonWriter w(s);
  w.begin_object();
  fill(w);
  w.end_object();
  return s;
}

std::string latency_json(const LatencySummary& l) {
  return object_json([&](JsonWriter& w) {
    w.field("count", l.count)
        .raw_field("p50_ms", number(us_to_ms(l.p50)))
        .raw_field("p90_ms", number(us_to_ms(l.p90)))
        .raw_field("p95_ms", number(us_to_ms(l.p95)))
        .raw_field("p99_ms", number(us_to_ms(l.p99)))
        .raw_field("p999_ms", number(us_to_ms(l.p999)))
        .raw_field("max_ms", number(us_to_ms(l.max)));
  });
}

std::string errors_json(const ErrorCounts& errors) {
  return object_json([&](JsonWriter& w) {
    for (const auto& [code, n] : errors.entries()) w.field(code, n);
  });
}

void write_tally(JsonWriter& w, const StepTally& t) {
  w.field("messages_sent", t.sent)
      .field("messages_rejected", t.rejected)
      .field("deliveries_expected", t.expected - std::min(t.expected, t.rejected_deliveries))
      .field("deliveries_received", t.received)
      .field("lost", t.lost())
      .field("duplicates", t.duplicates)
      .field("out_of_order", t.out_of_order)
      .field("late", t.late)
      .field("foreign", t.foreign)
      .field("unchecked_whispers", t.unchecked_whispers)
      .field("closed_by_server", t.closed_by_server)
      .raw_field("errors", errors_json(t.errors));
}

std::string step_json(const StepReport& s) {
  return object_json([&](JsonWriter& w) {
    w.field("step", s.step)
        .field("clients", s.clients)
        .field("new_clients", s.new_clients)
        .field("connect_failures", s.connect_failures)
        .raw_field("connect", latency_json(s.connect));
    write_tally(w, s.tally);
    w.raw_field("traffic_seconds", number(s.traffic_seconds))
        .raw_field("sent_per_second", number(s.sent_per_second))
        .raw_field("delivered_per_second", number(s.delivered_per_second))
        .raw_field("latency", latency_json(s.latency))
        .field("timed_out", s.timed_out)
        .raw_field("server_rss_bytes", optional_number(s.server_rss_bytes))
        .raw_field("server_cpu_seconds", optional_number(s.server_cpu_seconds))
        .field("end_unix_ms", s.end_unix_ms)
        .field("publishers", s.publishers)
        .raw_field("first_send_unix_ms", optional_number(s.first_send_unix_ms))
        .raw_field("last_intended_send_unix_ms", optional_number(s.last_intended_send_unix_ms))
        .raw_field("last_delivery_unix_ms", optional_number(s.last_delivery_unix_ms));
  });
}

std::string nodes_json(const std::vector<NodeShare>& nodes) {
  std::string s = "[";
  for (const NodeShare& n : nodes) {
    if (s.size() > 1) s += ',';
    s += object_json([&](JsonWriter& w) { w.field("address", n.address).field("clients", n.clients); });
  }
  return s + "]";
}

void write_info(JsonWriter& w, const RunInfo& i) {
  w.field("command_line", i.command_line)
      .field("loadgen_version", i.loadgen_version)
      .field("mode", i.mode)
      .field("run", i.run_token)
      .field("out_dir", i.out_dir)
      .field("started_utc", i.started_utc)
      .field("finished_utc", i.finished_utc);
  w.raw_field("workload", object_json([&](JsonWriter& o) {
    o.field("ramp", i.ramp)
        .field("msgs", i.msgs)
        .field("steps", i.steps)
        .field("max_clients", i.max_clients)
        .field("rooms", i.rooms)
        .field("size", i.size)
        .raw_field("seed", std::to_string(i.seed))
        .field("traffic", i.traffic)
        .field("room_prefix", i.room_prefix)
        .field("loop", i.rate > 0 ? "open" : "closed")
        .raw_field("rate", i.rate > 0 ? number(i.rate) : "null")
        .field("window", i.window)
        .raw_field("publishers", i.publishers > 0 ? std::to_string(i.publishers) : "null")
        .raw_field("step_timeout_s", number(i.step_timeout_s))
        .raw_field("slo_p99_ms", optional_number(i.slo_p99_ms));
  }));
  w.raw_field("loadgen", object_json([&](JsonWriter& o) {
    o.field("version", i.loadgen_version)
        .field("threads", i.threads)
        .field("backend", i.reactor_backend)
        .field("fd_limit", i.fd_limit);
  }));
  w.raw_field("target", object_json([&](JsonWriter& o) {
    o.field("name", i.server.target)
        .field("address", i.server.address)
        .raw_field("nodes", nodes_json(i.server.nodes))
        .field("transport", i.server.transport)
        .field("auth", i.server.auth)
        .raw_field("version", optional_string(i.server.version));
  }));
  if (i.server.target != "chatd") {
    w.raw_field("chatd", "null");
  } else {
    w.raw_field("chatd", object_json([&](JsonWriter& o) {
      o.raw_field("version", optional_string(i.server.version))
          .raw_field("backend", optional_string(i.server.backend))
          .raw_field("shards", optional_number(i.server.shards))
          .raw_field("metrics_url", i.metrics_url.empty() ? "null" : optional_string(i.metrics_url));
    }));
  }
  w.raw_field("machine", object_json([&](JsonWriter& o) {
    o.field("cpu_model", i.machine.cpu_model)
        .field("cores", i.machine.cores)
        .field("kernel", i.machine.kernel)
        .field("hostname", i.machine.hostname);
  }));
}

}  // namespace

void append_json_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[64];
  // Whole numbers (byte counts, rates rounded by chance) read better as integers
  // than in the shortest form's exponent notation ("10000000", not "1e+07").
  const bool whole = v == std::floor(v) && std::fabs(v) < 1e15;
  auto r = whole ? std::to_chars(buf, buf + sizeof buf, int64_t(v)) : std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

std::string summary_json(const RunReport& report) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  write_info(w, report.info);
  w.field("interrupted", report.interrupted);
  w.begin_array("steps");
  for (const StepReport& s : report.steps) w.raw_element(step_json(s));
  w.end_array();

  w.begin_array("rooms");
  for (const RoomTotal& r : report.rooms) {
    w.raw_element(object_json([&](JsonWriter& o) {
      o.field("room", r.name).field("members", r.members).field("messages_sent", r.messages);
    }));
  }
  w.end_array();

  w.raw_field("total", object_json([&](JsonWriter& o) {
    write_tally(o, report.totals());
    o.raw_field("latency", latency_json(summarize(report.total_latency)));
  }));
  if (report.saturation) {
    w.raw_field("saturation", object_json([&](JsonWriter& o) {
      o.field("step", report.saturation->step).field("reason", report.saturation->reason);
    }));
  } else {
    w.raw_field("saturation", "null");
  }
  if (report.verdict) {
    const Verdict& v = *report.verdict;
    w.raw_field("verdict", object_json([&](JsonWriter& o) {
      o.field("scenario", v.scenario)
          .field("users", v.users)
          .raw_field("offered_rate", number(v.offered_rate))
          .raw_field("inbound_rate", number(v.inbound_rate))
          .raw_field("p95_ms", number(us_to_ms(v.p95_us)))
          .raw_field("tier", optional_string(v.tier));
    }));
  } else {
    w.raw_field("verdict", "null");
  }
  w.begin_array("warnings");
  for (const std::string& warning : report.warnings) w.element(warning);
  w.end_array();
  w.end_object().newline();
  return out;
}

}  // namespace chatd::loadgen
