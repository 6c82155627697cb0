// What one step measured, and the run around it: the figures every output file
// (summary.json, steps.csv, steps.om, the stdout table) is written from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/stats/delivery_ledger.h"
#include "metrics/hdr_histogram.h"

namespace chatd::loadgen {

// Latencies are recorded in microseconds, 1 µs .. 60 s at 3 significant digits.
constexpr int64_t kLatencyLowestUs = 1;
constexpr int64_t kLatencyHighestUs = 60'000'000;
inline metrics::HdrHistogram make_latency_histogram() {
  return metrics::HdrHistogram(kLatencyLowestUs, kLatencyHighestUs, 3);
}

struct LatencySummary {  // microseconds
  uint64_t count = 0;
  int64_t p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0;
};
LatencySummary summarize(const metrics::HdrHistogram& h);

struct StepReport {
  uint32_t step = 0;
  uint32_t clients = 0;           // connected when the step's traffic began
  uint32_t publishers = 0;        // of those, the ones that send (--publishers; else all)
  uint32_t new_clients = 0;       // joined during this step
  uint32_t connect_failures = 0;  // tried this step and never joined
  LatencySummary connect;         // connect + hello + join, per new client
  StepTally tally;
  double traffic_seconds = 0;     // first send → last delivery (the step timeout if it hit)
  double sent_per_second = 0;     // accepted messages / traffic_seconds
  double delivered_per_second = 0;
  LatencySummary latency;         // end to end, per delivery
  bool timed_out = false;
  std::optional<double> server_rss_bytes;
  std::optional<double> server_cpu_seconds;
  int64_t end_unix_ms = 0;
  // The traffic window on the wall clock (Unix ms), for a harness that meters
  // the server over exactly that time: the first message written, the last
  // one's intended send time (open loop: its schedule; closed loop: when it was
  // written) and the last delivery. nullopt when nothing was sent or received.
  std::optional<int64_t> first_send_unix_ms;
  std::optional<int64_t> last_intended_send_unix_ms;
  std::optional<int64_t> last_delivery_unix_ms;
};

// Fills the rates and latency of `r` from its tally and histogram.
void finish_step_report(StepReport& r, const metrics::HdrHistogram& latency);

// One node of --hosts (or the one server) and the clients loadgen sent to it.
struct NodeShare {
  std::string address;  // host:port
  uint64_t clients = 0;
};

struct ServerInfo {
  std::string target = "chatd";        // chatd, redis, nats
  std::string address;                 // host:port (--hosts: every node's, comma-separated)
  std::vector<NodeShare> nodes;        // in --hosts order; one without it
  std::string transport = "tcp";       // tcp, or websocket (chatd with --ws)
  bool auth = false;                   // hellos carry tokens (--auth-secret-file)
  std::optional<int64_t> shards;       // chatd: from welcome
  // chatd: from chatd_build_info, when --metrics-url answers; Redis: HELLO's
  // reply; NATS: INFO.
  std::optional<std::string> version;
  std::optional<std::string> backend;  // chatd: from chatd_build_info
};

struct MachineInfo {
  std::string cpu_model;
  int cores = 0;
  std::string kernel;
  std::string hostname;
};

struct RunInfo {
  std::string command_line;
  std::string loadgen_version;
  std::string mode;  // ramp, interactive, scenario:<name>
  std::string run_token;
  std::string out_dir;
  std::string started_utc;
  std::string finished_utc;
  std::string reactor_backend;  // loadgen's own
  uint32_t threads = 0;
  uint64_t fd_limit = 0;
  // The workload as configured.
  uint32_t ramp = 0, msgs = 0, steps = 0, max_clients = 0, rooms = 0, size = 0, window = 0;
  uint64_t seed = 0;
  std::string traffic = "room";  // room, or whisper (--whisper)
  std::string room_prefix;       // the rooms' names are <room_prefix><k>
  double rate = 0;  // 0: closed loop
  uint32_t publishers = 0;  // --publishers; 0: every client sends
  double step_timeout_s = 0;
  std::optional<double> slo_p99_ms;
  std::string metrics_url;
  ServerInfo server;
  MachineInfo machine;
};

struct Saturation {
  uint32_t step = 0;
  std::string reason;
};

struct Verdict {
  std::string scenario;
  uint32_t users = 0;
  double offered_rate = 0;
  double inbound_rate = 0;
  int64_t p95_us = 0;
  std::optional<std::string> tier;  // nullopt: no tier met
};

// A room's share of the run, so another client in that room can check loadgen's
// figures (docs/loadgen.md, "Checked against an independent client").
struct RoomTotal {
  std::string name;
  uint32_t members = 0;   // loadgen's clients in it at the last step's end
  uint64_t messages = 0;  // room messages loadgen's clients sent to it and the server did not refuse
};
// summary.json lists rooms only up to this many (a huge --rooms would swamp it).
constexpr std::size_t kMaxRoomsReported = 10'000;

struct RunReport {
  RunInfo info;
  std::vector<RoomTotal> rooms;  // empty when there are more than kMaxRoomsReported
  std::vector<StepReport> steps;
  std::vector<metrics::HdrHistogram> step_latency;  // one per step, same order
  metrics::HdrHistogram total_latency = make_latency_histogram();
  std::optional<Saturation> saturation;
  std::optional<Verdict> verdict;
  bool interrupted = false;
  std::vector<std::string> warnings;

  void add_step(StepReport r, metrics::HdrHistogram latency);
  StepTally totals() const;
};

}  // namespace chatd::loadgen
