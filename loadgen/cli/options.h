// loadgen's command line → a plain Options struct. Pure: no I/O, unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/flag_table.h"
#include "common/result.h"
#include "loadgen/wire/wire_protocol.h"
#include "reactor/backend.h"

namespace chatd::loadgen {

enum class Mode { ramp, interactive, scenario, sink };

// A server to connect clients to: an IPv4 address and a port.
struct Endpoint {
  std::string host;
  uint16_t port = 0;
  std::string name() const { return host + ":" + std::to_string(port); }  // "127.0.0.1:7000"
  bool operator==(const Endpoint&) const = default;
};

struct Options {
  Mode mode = Mode::ramp;

  // What to load, where it is, and how to reach it.
  Target target = Target::chatd;
  bool websocket = false;  // --ws: chatd over WebSocket (GET /ws), not JSON lines
  std::string auth_secret_file;  // --auth-secret-file: every hello carries a token minted with its key
  std::string auth_secret;       // that key, read by main() before the run; never printed
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // after parse_options: the target's default unless --port
  bool host_given = false;     // --host was on the command line (it and --hosts exclude each other)
  std::vector<Endpoint> hosts;  // --hosts: the nodes clients are spread over; empty: --host:--port

  // Every server clients connect to, in --hosts order (one: --host:--port).
  std::vector<Endpoint> servers() const { return hosts.empty() ? std::vector<Endpoint>{{host, port}} : hosts; }
  // "h:p" or "h:p,h:p,...": how the report names them.
  std::string servers_text() const;

  std::vector<uint32_t> source_ips;  // host byte order; empty: the kernel picks
  std::string source_ips_text;
  Nanos connect_timeout = 5 * kSeconds;
  uint32_t threads = 0;  // 0: every CPU this process may run on
  reactor::Backend backend = reactor::Backend::auto_select;  // loadgen's own reactor (--backend)

  // The ramp.
  uint32_t ramp = 100;
  uint32_t msgs = 100;
  uint32_t steps = 0;        // 0 with max_clients 0: kDefaultSteps
  uint32_t max_clients = 0;  // 0: no limit but --steps
  uint32_t rooms = 25;
  uint32_t size = 64;
  uint64_t seed = 1;
  double rate = 0;  // total msgs/s; 0: closed loop
  uint32_t window = 16;
  uint32_t publishers = 0;  // --publishers K: only clients 0..K-1 send; 0: every client sends
  bool whisper = false;     // --whisper: each message to a random other client, not the room
  std::string room_prefix;  // empty: rooms are lg-<run>-r<k>
  Nanos step_timeout = 30 * kSeconds;
  Nanos settle = 0;  // --settle: pause between a step's connects and its traffic
  std::optional<Nanos> slo_p99;

  // Scenarios.
  std::string scenario;
  std::optional<Nanos> duration;

  // Observation and output.
  std::string metrics_url;
  std::optional<uint16_t> metrics_port;
  std::string out_dir;  // empty: results/<UTC timestamp>-<mode>/
  bool progress = true;  // also needs a TTY on stderr

  bool interactive = false;  // --interactive was given (`mode` says what runs)

  // Sink mode: a trivial loopback server to measure loadgen's own ceiling.
  uint16_t sink_port = 0;

  uint32_t effective_steps() const { return steps == 0 && max_clients == 0 ? kDefaultSteps : steps; }
  static constexpr uint32_t kDefaultSteps = 10;
  static constexpr uint32_t kMaxText = 4096;  // chatd's default --max-text
};

struct CliParse {
  CliAction action = CliAction::run;
  Options options;
};

// Parses argv (without argv[0]). Errors name the flag and what was wrong with it.
Result<CliParse> parse_options(const std::vector<std::string>& args);
std::string usage();

// "auto", "uring" or "epoll": a backend as --backend spells it.
std::string_view backend_flag_value(reactor::Backend b);

// "127.0.0.1:7001,127.0.0.1:7002": IPv4 address and port pairs, comma-separated
// (at most kMaxHosts).
Result<std::vector<Endpoint>> parse_hosts(const std::string& text);
constexpr std::size_t kMaxHosts = 1024;

// "127.0.0.2-127.0.0.50,127.0.1.1": ranges and single IPv4 addresses, comma-separated.
Result<std::vector<uint32_t>> parse_source_ips(const std::string& text);

}  // namespace chatd::loadgen
