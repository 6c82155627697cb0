#include "config/config.h"

#include "common/cli_flag.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

namespace chatd {
namespace {

Result<uint64_t> parse_uint(const std::string& s, uint64_t max) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    return Error{"'" + s + "' is not a non-negative integer"};
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
  if (errno == ERANGE || v > max) return Error{"'" + s + "' is too large (max " + std::to_string(max) + ")"};
  return uint64_t(v);
}

using Setter = std::function<Result<void>(Config&, const std::string&)>;

template <class T>
Setter uint_flag(T Config::*field, uint64_t min, uint64_t max) {
  return [=](Config& c, const std::string& v) -> Result<void> {
    auto r = parse_uint(v, max);
    if (!r) return r.error();
    if (*r < min) return Error{"'" + v + "' is below the minimum " + std::to_string(min)};
    c.*field = T(*r);
    return {};
  };
}

Setter size_flag(std::size_t Config::*field, std::size_t min) {
  return [=](Config& c, const std::string& v) -> Result<void> {
    auto r = parse_size(v);
    if (!r) return r.error();
    if (*r < min) return Error{"'" + v + "' is below the minimum " + std::to_string(min) + " bytes"};
    c.*field = *r;
    return {};
  };
}

Setter duration_flag(Nanos Config::*field) {
  return [=](Config& c, const std::string& v) -> Result<void> {
    auto r = parse_duration(v);
    if (!r) return r.error();
    c.*field = *r;
    return {};
  };
}

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> m = {
      {"--bind", [](Config& c, const std::string& v) -> Result<void> { c.bind = v; return {}; }},
      {"--port", uint_flag(&Config::port, 0, 65535)},
      {"--metrics-port", uint_flag(&Config::metrics_port, 0, 65535)},
      {"--shards", uint_flag(&Config::shards, 1, 256)},
      {"--backend",
       [](Config& c, const std::string& v) -> Result<void> {
         if (v == "auto") c.backend = reactor::Backend::auto_select;
         else if (v == "uring") c.backend = reactor::Backend::uring;
         else if (v == "epoll") c.backend = reactor::Backend::epoll;
         else return Error{"'" + v + "' is not one of auto, uring, epoll"};
         return {};
       }},
      {"--max-conns", uint_flag(&Config::max_conns, 1, 100'000'000)},
      {"--max-outbound", size_flag(&Config::max_outbound, 1024)},
      {"--slow-timeout", duration_flag(&Config::slow_timeout)},
      {"--max-frame", size_flag(&Config::max_frame, 256)},
      {"--max-text", size_flag(&Config::max_text, 1)},
      {"--history", uint_flag(&Config::history, 1000, 10'000'000)},
      {"--rate-limit", uint_flag(&Config::rate_limit, 0, 10'000'000)},
      {"--drain-timeout", duration_flag(&Config::drain_timeout)},
      {"--latency-dump", [](Config& c, const std::string& v) -> Result<void> { c.latency_dump = v; return {}; }},
      {"--log-level",
       [](Config& c, const std::string& v) -> Result<void> {
         if (!parse_log_level(v, &c.log_level)) return Error{"'" + v + "' is not one of debug, info, warn, error"};
         return {};
       }},
  };
  return m;
}

}  // namespace

Result<std::size_t> parse_size(const std::string& s) {
  std::size_t unit = 1;
  std::string digits = s;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K': case 'k': unit = std::size_t(1) << 10; break;
      case 'M': case 'm': unit = std::size_t(1) << 20; break;
      case 'G': case 'g': unit = std::size_t(1) << 30; break;
      default: break;
    }
    if (unit != 1) digits.pop_back();
  }
  auto r = parse_uint(digits, (uint64_t(1) << 40) / unit);
  if (!r) return Error{"'" + s + "' is not a size (bytes, or with K, M, G)"};
  return std::size_t(*r * unit);
}

Result<Nanos> parse_duration(const std::string& s) {
  const char* p = s.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(p, &end);
  if (end == p || errno != 0 || !std::isfinite(v) || v < 0)
    return Error{"'" + s + "' is not a duration (like 10s, 500ms, 2m)"};
  std::string unit(end);
  double scale;
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "us") scale = 1e3;
  else if (unit == "m") scale = 60e9;
  else return Error{"'" + s + "' has an unknown unit (use ms, s or m)"};
  if (v * scale > 1e18) return Error{"'" + s + "' is too long"};
  return Nanos(v * scale);
}

Result<CliParse> parse_cli(const std::vector<std::string>& args) {
  CliParse out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    if (flag == "--help" || flag == "-h") {
      out.action = CliAction::help;
      return out;
    }
    if (flag == "--version" || flag == "-V") {
      out.action = CliAction::version;
      return out;
    }
    auto it = setters().find(flag.substr(0, flag.find('=')));
    if (it == setters().end()) return Error{"unknown option '" + flag + "' (see --help)"};
    auto taken = take_flag_value(args, &i);
    if (!taken) return taken.error();
    if (auto r = it->second(out.config, taken->value); !r)
      return Error{"option " + taken->flag + ": " + r.error().message};
  }
  return out;
}

std::string usage() {
  return R"(chatd — a shard-per-core chat server (newline JSON and text mode on one port)

Usage: chatd [options]

Options (defaults in brackets):
  --port N            TCP port for chat clients [7000]; 0 picks a free port
  --bind ADDR         IPv4 address to listen on [0.0.0.0]
  --metrics-port N    Prometheus metrics on http://BIND:N/metrics [9400]; 0 picks a free port
  --shards N          shard threads, one per CPU [the CPUs this process may run on]
  --backend B         auto | uring | epoll [auto: io_uring, or epoll if refused]
  --max-conns N       connections held at once [RLIMIT_NOFILE - 64]
  --max-outbound SIZE per-connection outbound queue bound [4M]; over it,
                      broadcasts to that connection are dropped and counted
  --slow-timeout DUR  time a connection may stay over --max-outbound before it
                      gets slow_consumer and is closed [10s]
  --max-frame SIZE    longest frame (JSON line / text line) [65536]
  --max-text SIZE     longest message text in bytes once decoded [4096]
  --history N         messages kept per room for `history` [1000], at least 1000
  --rate-limit N      msg/whisper/typing per second per connection, burst 2N [0 = off]
  --drain-timeout DUR on SIGTERM/SIGINT, time to flush queued events [5s]
  --log-level L       debug | info | warn | error [info]
  --latency-dump FILE at exit, write the broadcast latency histogram (.hgrm, ms) [off]
  --help              this text
  --version           print the version

SIZE takes K, M, G suffixes (binary); DUR takes ms, s, m (default s).
)";
}

}  // namespace chatd
