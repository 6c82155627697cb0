#include "loadgen/cli/options.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

#include "common/cli_flag.h"
#include "config/config.h"  // parse_duration: one duration syntax for chatd and loadgen

namespace chatd::loadgen {
namespace {

Result<uint64_t> parse_uint(const std::string& s, uint64_t min, uint64_t max) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    return Error{"'" + s + "' is not a non-negative integer"};
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
  if (errno == ERANGE || v > max) return Error{"'" + s + "' is too large (max " + std::to_string(max) + ")"};
  if (v < min) return Error{"'" + s + "' is below the minimum " + std::to_string(min)};
  return uint64_t(v);
}

using Setter = std::function<Result<void>(Options&, const std::string&)>;

template <class T>
Setter uint_flag(T Options::*field, uint64_t min, uint64_t max) {
  return [=](Options& o, const std::string& v) -> Result<void> {
    auto r = parse_uint(v, min, max);
    if (!r) return r.error();
    o.*field = T(*r);
    return {};
  };
}

Setter duration_flag(Nanos Options::*field, Nanos min) {
  return [=](Options& o, const std::string& v) -> Result<void> {
    auto r = parse_duration(v);
    if (!r) return r.error();
    if (*r < min) return Error{"'" + v + "' is too short"};
    o.*field = *r;
    return {};
  };
}

Setter optional_duration_flag(std::optional<Nanos> Options::*field) {
  return [=](Options& o, const std::string& v) -> Result<void> {
    auto r = parse_duration(v);
    if (!r) return r.error();
    if (*r <= 0) return Error{"'" + v + "' must be longer than zero"};
    o.*field = *r;
    return {};
  };
}

Setter string_flag(std::string Options::*field) {
  return [=](Options& o, const std::string& v) -> Result<void> {
    if (v.empty()) return Error{"needs a non-empty value"};
    o.*field = v;
    return {};
  };
}

Result<void> set_rate(Options& o, const std::string& v) {
  char* end = nullptr;
  errno = 0;
  double r = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || *end != '\0' || errno != 0 || !std::isfinite(r) || r <= 0 || r > 1e8)
    return Error{"'" + v + "' is not a rate in messages per second (> 0, at most 1e8)"};
  o.rate = r;
  return {};
}

Result<void> set_source_ips(Options& o, const std::string& v) {
  auto ips = parse_source_ips(v);
  if (!ips) return ips.error();
  o.source_ips = std::move(*ips);
  o.source_ips_text = v;
  return {};
}

Result<void> set_metrics_url(Options& o, const std::string& v) {
  if (v.rfind("http://", 0) != 0 || v.size() <= 7)
    return Error{"'" + v + "' is not an http:// URL (like http://127.0.0.1:9400/metrics)"};
  o.metrics_url = v;
  return {};
}

Result<void> set_metrics_port(Options& o, const std::string& v) {
  auto r = parse_uint(v, 1, 65535);
  if (!r) return r.error();
  o.metrics_port = uint16_t(*r);
  return {};
}

Result<void> set_scenario(Options& o, const std::string& v) {
  if (v != "basic" && v != "extreme") return Error{"'" + v + "' is not a scenario (basic or extreme)"};
  o.scenario = v;
  return {};
}

Result<void> set_target(Options& o, const std::string& v) {
  auto t = parse_target(v);
  if (!t) return t.error();
  o.target = *t;
  return {};
}

// Rooms are "<prefix><k>": within chatd's room-name rule (^[A-Za-z0-9_.-]{1,64}$)
// for up to 10-digit k, and a valid Redis channel and NATS subject.
Result<void> set_room_prefix(Options& o, const std::string& v) {
  constexpr std::size_t kMaxPrefix = 54;
  if (v.empty() || v.size() > kMaxPrefix ||
      v.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != std::string::npos)
    return Error{"'" + v + "' is not a room prefix (1 to " + std::to_string(kMaxPrefix) +
                 " of A-Z a-z 0-9 _ . -)"};
  o.room_prefix = v;
  return {};
}

Result<void> set_sink_port(Options& o, const std::string& v) {
  auto r = parse_uint(v, 0, 65535);
  if (!r) return r.error();
  o.sink_port = uint16_t(*r);
  o.mode = Mode::sink;
  return {};
}

const std::map<std::string, Setter>& value_flags() {
  static const std::map<std::string, Setter> m = {
      {"--host", [](Options& o, const std::string& v) -> Result<void> {
         in_addr a;
         if (inet_pton(AF_INET, v.c_str(), &a) != 1) return Error{"'" + v + "' is not an IPv4 address"};
         o.host = v;
         return {};
       }},
      {"--target", set_target},
      {"--port", uint_flag(&Options::port, 1, 65535)},
      {"--source-ips", set_source_ips},
      {"--connect-timeout", duration_flag(&Options::connect_timeout, kMillis)},
      {"--threads", uint_flag(&Options::threads, 1, 256)},
      {"--backend", [](Options& o, const std::string& v) -> Result<void> {
         if (v != "auto" && v != "uring" && v != "epoll") return Error{"'" + v + "' is not one of auto, uring, epoll"};
         o.backend = v;
         return {};
       }},
      {"--ramp", uint_flag(&Options::ramp, 1, 1'000'000)},
      {"--msgs", uint_flag(&Options::msgs, 1, 100'000'000)},
      {"--steps", uint_flag(&Options::steps, 1, 10'000)},
      {"--max-clients", uint_flag(&Options::max_clients, 1, 10'000'000)},
      {"--rooms", uint_flag(&Options::rooms, 1, 1'000'000)},
      {"--size", uint_flag(&Options::size, 1, Options::kMaxText)},
      {"--seed", uint_flag(&Options::seed, 0, UINT64_MAX)},
      {"--rate", set_rate},
      {"--window", uint_flag(&Options::window, 1, 4096)},
      {"--room-prefix", set_room_prefix},
      {"--step-timeout", duration_flag(&Options::step_timeout, kMillis)},
      {"--slo-p99", optional_duration_flag(&Options::slo_p99)},
      {"--scenario", set_scenario},
      {"--duration", optional_duration_flag(&Options::duration)},
      {"--metrics-url", set_metrics_url},
      {"--metrics-port", set_metrics_port},
      {"--out", string_flag(&Options::out_dir)},
      {"--sink-port", set_sink_port},
  };
  return m;
}

// Flags that only make sense in some modes are refused elsewhere, so a typo'd
// command line never silently measures something else.
Result<void> check_combination(const Options& o, bool saw_interactive) {
  if (saw_interactive && !o.scenario.empty()) return Error{"--interactive and --scenario exclude each other"};
  if (o.mode == Mode::sink && (saw_interactive || !o.scenario.empty()))
    return Error{"--sink-port runs a sink server; it takes no --interactive or --scenario"};
  if (o.duration && o.scenario.empty()) return Error{"--duration only applies to --scenario"};
  if (o.whisper && saw_interactive)
    return Error{"--whisper applies to the ramp and scenarios; interactive mode has 'whisper N'"};
  if (o.mode == Mode::sink && o.target != Target::chatd)
    return Error{"--sink-port runs a sink that speaks chatd's protocol; it takes no --target"};
  return {};
}

}  // namespace

Result<std::vector<uint32_t>> parse_source_ips(const std::string& text) {
  std::vector<uint32_t> out;
  constexpr std::size_t kMaxSourceIps = 65536;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    std::size_t dash = item.find('-');
    std::string first = item.substr(0, dash);
    std::string last = dash == std::string::npos ? first : item.substr(dash + 1);
    in_addr a, b;
    if (inet_pton(AF_INET, first.c_str(), &a) != 1 || inet_pton(AF_INET, last.c_str(), &b) != 1)
      return Error{"'" + item + "' is not an IPv4 address or range (like 127.0.0.2-127.0.0.50)"};
    uint32_t lo = ntohl(a.s_addr), hi = ntohl(b.s_addr);
    if (hi < lo) return Error{"'" + item + "' is a range that ends before it starts"};
    if (out.size() + (hi - lo) + 1 > kMaxSourceIps)
      return Error{"'" + text + "' names more than " + std::to_string(kMaxSourceIps) + " addresses"};
    for (uint64_t ip = lo; ip <= hi; ++ip) out.push_back(uint32_t(ip));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<CliParse> parse_options(const std::vector<std::string>& args) {
  CliParse p;
  Options& o = p.options;
  bool saw_interactive = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    if (flag == "-h" || flag == "--help") {
      p.action = CliAction::help;
      return p;
    }
    if (flag == "--version") {
      p.action = CliAction::version;
      return p;
    }
    if (flag == "--interactive") {
      saw_interactive = true;
      if (o.mode != Mode::sink) o.mode = Mode::interactive;
      continue;
    }
    if (flag == "--no-progress") {
      o.progress = false;
      continue;
    }
    if (flag == "--whisper") {
      o.whisper = true;
      continue;
    }
    auto it = value_flags().find(flag.substr(0, flag.find('=')));
    if (it == value_flags().end()) return Error{"unknown flag '" + args[i] + "' (see --help)"};
    auto taken = take_flag_value(args, &i);
    if (!taken) return taken.error();
    if (auto r = it->second(o, taken->value); !r) return Error{taken->flag + ": " + r.error().message};
  }
  if (!o.scenario.empty() && o.mode == Mode::ramp) o.mode = Mode::scenario;
  if (auto r = check_combination(o, saw_interactive); !r) return r.error();
  if (o.port == 0) o.port = default_port(o.target);
  return p;
}

std::string usage() {
  return R"(usage: loadgen [--ramp N --msgs N ...]     step ramp (the default mode)
       loadgen --interactive [...]             a prompt: spawn, broadcast, whisper, summary
       loadgen --scenario basic|extreme [...]  steady traffic and a tier verdict
       loadgen --sink-port P                   a trivial server, to measure loadgen itself
The first three load chatd, Redis or NATS alike: --target chatd|redis|nats.

Target:
  --target NAME          the server to load: chatd (its JSON mode), redis (RESP3 pub/sub:
                         SUBSCRIBE/PUBLISH) or nats (SUB/PUB); the same rooms, clients,
                         payloads and accounting for all three (default chatd)
  --host ADDR            the server's IPv4 address (default 127.0.0.1)
  --port P               the server's port (default 7000 chatd, 6379 redis, 4222 nats)
  --source-ips RANGES    bind clients to these local addresses, round robin, e.g.
                         127.0.0.2-127.0.0.50,127.0.1.1 (default: the kernel picks)
  --connect-timeout DUR  per client's connect + login + join (subscribe on the peers);
                         also how long an unreachable server is retried before exit
                         code 2 (default 5s)
  --threads N            client threads, each with its own reactor (default: all CPUs)
  --backend NAME         loadgen's reactor: auto (io_uring, else epoll), uring, epoll
                         (default auto)

Ramp (each step connects --ramp clients, then every client sends --msgs messages):
  --ramp N               new clients per step (default 100)
  --msgs N               messages per client per step (default 100)
  --steps N              number of steps (default 10 unless --max-clients is given)
  --max-clients N        stop before the step that would pass N clients (default: none)
  --rooms N              rooms the clients are spread over, evenly (default 25); on
                         redis and nats a room is a channel/subject
  --room-prefix P        name the rooms P0, P1, ... so another client can join one
                         (default lg-<run>-r0, ...: a fresh name each run)
  --size BYTES           message text length, 1..4096 (default 64)
  --seed N               seeds the room assignment and run names (default 1)
  --rate R               open loop: R messages/s in total, latency from each message's
                         intended send time (default: closed loop)
  --window N             closed loop: unacknowledged messages per client (default 16)
  --whisper              point to point: each message goes to a random other client
                         (chosen from --seed), not to the room; on redis and nats every
                         client subscribes to a channel/subject of its own name
                         (default: off, messages go to the room)
  --step-timeout DUR     longest wait for a step's deliveries (default 30s)
  --slo-p99 DUR          stop after the first step whose p99 latency exceeds DUR
                         (default: no SLO; a step that loses messages always stops)

Scenarios:
  --scenario NAME        basic (1000 users, 25 rooms, 180 s) or extreme (10000 users,
                         35 rooms, 600 s); see docs/loadgen.md for the per-user rates
  --duration DUR         override the scenario's traffic duration

Interactive:
  --interactive          read commands from stdin (a terminal or a pipe); type 'help'

Observation and output:
  --metrics-url URL      scrape chatd's RSS and CPU at each step's end
                         (e.g. http://127.0.0.1:9400/metrics; default: none)
  --metrics-port P       serve loadgen's own Prometheus metrics (default: off)
  --out DIR              results folder (default results/<UTC timestamp>-<mode>/)
  --no-progress          no progress bar (default: a bar when stderr is a terminal)

Sink:
  --sink-port P          run a sink on --host:P (0 picks a port) with --threads
                         threads: answers hello/join, echoes each msg to its sender

  -h, --help             this text
  --version              loadgen's version

Durations: 500ms, 5s, 2m. Exit codes: 0 done, 1 failed, 2 bad flags or server
unreachable, 130 interrupted (results of completed steps are still written).
)";
}

}  // namespace chatd::loadgen
