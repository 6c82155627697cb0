#include "loadgen/cli/options.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "common/flag_table.h"  // one flag syntax, value syntax and --help layout for chatd and loadgen

namespace chatd::loadgen {
namespace {

Result<void> set_host(Options& o, const std::string& v) {
  in_addr a;
  if (inet_pton(AF_INET, v.c_str(), &a) != 1) return Error{"'" + v + "' is not an IPv4 address"};
  o.host = v;
  o.host_given = true;
  return {};
}

Result<void> set_hosts(Options& o, const std::string& v) {
  auto hosts = parse_hosts(v);
  if (!hosts) return hosts.error();
  o.hosts = std::move(*hosts);
  return {};
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

// Zero is refused: a duration that must be longer than zero is optional instead.
FlagSetter<Options> optional_duration(std::optional<Nanos> Options::*field) {
  return [=](Options& o, const std::string& v) -> Result<void> {
    auto r = parse_duration(v);
    if (!r) return r.error();
    if (*r <= 0) return Error{"'" + v + "' must be longer than zero"};
    o.*field = *r;
    return {};
  };
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

Result<void> set_no_progress(Options& o, const std::string&) {
  o.progress = false;
  return {};
}

using F = Flag<Options>;

const FlagTable<Options>& target_flags() {
  static const FlagTable<Options> table = {
      F::heading("Target:"),
      F::value("--target", "NAME",
               "the server to load: chatd (its JSON mode), redis (RESP3 pub/sub:\n"
               "SUBSCRIBE/PUBLISH) or nats (SUB/PUB); the same rooms, clients,\n"
               "payloads and accounting for all three (default chatd)",
               set_target),
      F::toggle("--ws",
                "chatd over WebSocket: each client upgrades with GET /ws, then\n"
                "sends and receives one JSON object per text frame (default:\n"
                "off, JSON lines)",
                set_true(&Options::websocket)),
      F::value("--auth-secret-file", "F",
               "chatd with auth on: every client's hello carries an HS256\n"
               "token for its name, minted with the key in file F (chatd's own\n"
               "--auth-secret-file), valid for an hour (default: no token)",
               string_value(&Options::auth_secret_file, false)),
      F::value("--host", "ADDR", "the server's IPv4 address (default 127.0.0.1)", set_host),
      F::value("--port", "P", "the server's port (default 7000 chatd, 6379 redis, 4222 nats)",
               uint_value(&Options::port, 1, 65535)),
      F::value("--hosts", "H:P,...",
               "several nodes instead of --host/--port: each room's members are\n"
               "dealt round robin over them (a room spans every node); the\n"
               "accounting is per room, so it stays exact across nodes",
               set_hosts),
      F::value("--source-ips", "RANGES",
               "bind clients to these local addresses, round robin, e.g.\n"
               "127.0.0.2-127.0.0.50,127.0.1.1 (default: the kernel picks)",
               set_source_ips),
      F::value("--connect-timeout", "DUR",
               "per client's connect + login + join (subscribe on the peers);\n"
               "also how long an unreachable server is retried before exit\n"
               "code 2 (default 5s)",
               duration_value(&Options::connect_timeout, kMillis)),
      F::value("--threads", "N", "client threads, each with its own reactor (default: all CPUs)",
               uint_value(&Options::threads, 1, 256)),
      F::value("--backend", "NAME",
               "loadgen's reactor: auto (io_uring, else epoll), uring, epoll\n"
               "(default auto)",
               choice_value(&Options::backend, {{"auto", reactor::Backend::auto_select},
                                                {"uring", reactor::Backend::uring},
                                                {"epoll", reactor::Backend::epoll}})),
  };
  return table;
}

const FlagTable<Options>& ramp_flags() {
  static const FlagTable<Options> table = {
      F::heading("Ramp (each step connects --ramp clients, then every client sends --msgs messages):"),
      F::value("--ramp", "N", "new clients per step (default 100)", uint_value(&Options::ramp, 1, 1'000'000)),
      F::value("--msgs", "N", "messages per client per step (default 100)",
               uint_value(&Options::msgs, 1, 100'000'000)),
      F::value("--steps", "N", "number of steps (default 10 unless --max-clients is given)",
               uint_value(&Options::steps, 1, 10'000)),
      F::value("--max-clients", "N", "stop before the step that would pass N clients (default: none)",
               uint_value(&Options::max_clients, 1, 10'000'000)),
      F::value("--rooms", "N",
               "rooms the clients are spread over, evenly (default 25); on\n"
               "redis and nats a room is a channel/subject",
               uint_value(&Options::rooms, 1, 1'000'000)),
      F::value("--room-prefix", "P",
               "name the rooms P0, P1, ... so another client can join one\n"
               "(default lg-<run>-r0, ...: a fresh name each run)",
               set_room_prefix),
      F::value("--size", "BYTES", "message text length, 1..4096 (default 64)",
               uint_value(&Options::size, 1, Options::kMaxText)),
      F::value("--seed", "N", "seeds the room assignment and run names (default 1)",
               uint_value(&Options::seed, 0, UINT64_MAX)),
      F::value("--rate", "R",
               "open loop: R messages/s in total, latency from each message's\n"
               "intended send time (default: closed loop)",
               set_rate),
      F::value("--window", "N", "closed loop: unacknowledged messages per client (default 16)",
               uint_value(&Options::window, 1, 4096)),
      F::value("--publishers", "K",
               "only clients 0..K-1 send (--msgs each, --window each, --rate\n"
               "shared among them); every other client only receives\n"
               "(default: every client sends)",
               uint_value(&Options::publishers, 1, 10'000'000)),
      F::toggle("--whisper",
                "point to point: each message goes to a random other client\n"
                "(chosen from --seed), not to the room; on redis and nats every\n"
                "client subscribes to a channel/subject of its own name\n"
                "(default: off, messages go to the room)",
                set_true(&Options::whisper)),
      F::value("--step-timeout", "DUR", "longest wait for a step's deliveries (default 30s)",
               duration_value(&Options::step_timeout, kMillis)),
      F::value("--settle", "DUR",
               "wait DUR after a step's clients have joined, before its traffic:\n"
               "for clusters that spread subscriptions asynchronously, such\n"
               "as NATS routes (default 0)",
               duration_value(&Options::settle)),
      F::value("--slo-p99", "DUR",
               "stop after the first step whose p99 latency exceeds DUR\n"
               "(default: no SLO; a step that loses messages always stops)",
               optional_duration(&Options::slo_p99)),
  };
  return table;
}

const FlagTable<Options>& other_flags() {
  static const FlagTable<Options> table = {
      F::heading("Scenarios:"),
      F::value("--scenario", "NAME",
               "basic (1000 users, 25 rooms, 180 s) or extreme (10000 users,\n"
               "35 rooms, 600 s); see docs/loadgen.md for the per-user rates",
               set_scenario),
      F::value("--duration", "DUR", "override the scenario's traffic duration", optional_duration(&Options::duration)),
      F::heading("Interactive:"),
      F::toggle("--interactive", "read commands from stdin (a terminal or a pipe); type 'help'",
                set_true(&Options::interactive)),
      F::heading("Observation and output:"),
      F::value("--metrics-url", "URL",
               "scrape chatd's RSS and CPU at each step's end\n"
               "(e.g. http://127.0.0.1:9400/metrics; default: none)",
               set_metrics_url),
      F::value("--metrics-port", "P", "serve loadgen's own Prometheus metrics (default: off)", set_metrics_port),
      F::value("--out", "DIR", "results folder (default results/<UTC timestamp>-<mode>/)",
               string_value(&Options::out_dir, false)),
      F::toggle("--no-progress", "no progress bar (default: a bar when stderr is a terminal)", set_no_progress),
      F::heading("Sink:"),
      F::value("--sink-port", "P",
               "run a sink on --host:P (0 picks a port) with --threads\n"
               "threads: answers hello/join, echoes each msg to its sender",
               set_sink_port),
      F::heading(""),
      F::help_flag("-h", "this text", true),
      F::version_flag("", "loadgen's version"),
  };
  return table;
}

// Every flag of loadgen, in --help order.
const FlagTable<Options>& flags() {
  static const FlagTable<Options> table = [] {
    FlagTable<Options> all;
    for (const auto* part : {&target_flags(), &ramp_flags(), &other_flags()})
      all.insert(all.end(), part->begin(), part->end());
    return all;
  }();
  return table;
}

// Flags that only make sense in some modes are refused elsewhere, so a typo'd
// command line never silently measures something else.
Result<void> check_combination(const Options& o) {
  if (o.interactive && !o.scenario.empty()) return Error{"--interactive and --scenario exclude each other"};
  if (o.mode == Mode::sink && (o.interactive || !o.scenario.empty()))
    return Error{"--sink-port runs a sink server; it takes no --interactive or --scenario"};
  if (o.duration && o.scenario.empty()) return Error{"--duration only applies to --scenario"};
  if (o.whisper && o.interactive)
    return Error{"--whisper applies to the ramp and scenarios; interactive mode has 'whisper N'"};
  if (o.mode == Mode::sink && o.publishers != 0) return Error{"--publishers applies to clients; the sink has none"};
  if (o.websocket && o.target != Target::chatd) return Error{"--ws loads chatd over WebSocket; redis and nats are loaded over TCP only"};
  if (!o.hosts.empty() && (o.host_given || o.port != 0))
    return Error{"--hosts names every node with its port; it takes no --host or --port"};
  if (!o.hosts.empty() && o.mode == Mode::sink) return Error{"--hosts applies to clients; the sink listens on --host"};
  if (!o.auth_secret_file.empty() && o.target != Target::chatd)
    return Error{"--auth-secret-file mints chatd's tokens; redis and nats take none"};
  if (!o.auth_secret_file.empty() && o.mode == Mode::sink)
    return Error{"--auth-secret-file applies to clients; the sink checks no token"};
  if (o.websocket && o.mode == Mode::sink) return Error{"--ws applies to clients; the sink speaks JSON lines only"};
  if (o.mode == Mode::sink && o.target != Target::chatd)
    return Error{"--sink-port runs a sink that speaks chatd's protocol; it takes no --target"};
  return {};
}

}  // namespace

std::string Options::servers_text() const {
  std::string text;
  for (const Endpoint& e : servers()) text += (text.empty() ? "" : ",") + e.name();
  return text;
}

Result<std::vector<Endpoint>> parse_hosts(const std::string& text) {
  std::vector<Endpoint> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const std::size_t colon = item.rfind(':');
    in_addr a;
    const std::string host = item.substr(0, colon);
    auto port = colon == std::string::npos ? Result<uint64_t>(Error{""}) : parse_uint(item.substr(colon + 1), 1, 65535);
    if (colon == std::string::npos || inet_pton(AF_INET, host.c_str(), &a) != 1 || !port)
      return Error{"'" + item + "' is not an IPv4 address and port (like 127.0.0.1:7001)"};
    if (out.size() == kMaxHosts) return Error{"'" + text + "' names more than " + std::to_string(kMaxHosts) + " nodes"};
    out.push_back({host, uint16_t(*port)});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

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
  auto action = parse_flags(flags(), args, o);
  if (!action) return action.error();
  p.action = *action;
  if (p.action != CliAction::run) return p;
  if (o.mode == Mode::ramp && o.interactive) o.mode = Mode::interactive;
  if (o.mode == Mode::ramp && !o.scenario.empty()) o.mode = Mode::scenario;
  if (auto r = check_combination(o); !r) return r.error();
  if (o.port == 0) o.port = default_port(o.target);
  return p;
}

std::string_view backend_flag_value(reactor::Backend b) {
  switch (b) {
    case reactor::Backend::uring: return "uring";
    case reactor::Backend::epoll: return "epoll";
    case reactor::Backend::auto_select: break;
  }
  return "auto";
}

std::string usage() {
  return "usage: loadgen [--ramp N --msgs N ...]     step ramp (the default mode)\n"
         "       loadgen --interactive [...]             a prompt: spawn, broadcast, whisper, summary\n"
         "       loadgen --scenario basic|extreme [...]  steady traffic and a tier verdict\n"
         "       loadgen --sink-port P                   a trivial server, to measure loadgen itself\n"
         "The first three load chatd, Redis or NATS alike: --target chatd|redis|nats.\n" +
         flag_usage(flags(), 25) +
         "\n"
         "Durations: 500ms, 5s, 2m. Exit codes: 0 done, 1 failed, 2 bad flags or server\n"
         "unreachable, 130 interrupted (results of completed steps are still written).\n";
}

}  // namespace chatd::loadgen
