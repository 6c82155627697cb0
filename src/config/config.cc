#include "config/config.h"

namespace chatd {
namespace {

using F = Flag<Config>;

// Every flag of chatd, in --help order. Defaults are the Config's; the help text
// states them in brackets.
const FlagTable<Config>& flags() {
  static const FlagTable<Config> table = {
      F::heading("Options (defaults in brackets):"),
      F::value("--port", "N", "TCP port for chat clients [7000]; 0 picks a free port",
               uint_value(&Config::port, 0, 65535)),
      F::value("--bind", "ADDR", "IPv4 address to listen on [0.0.0.0]", string_value(&Config::bind, true)),
      F::value("--metrics-port", "N", "Prometheus metrics on http://BIND:N/metrics [9400]; 0 picks a free port",
               uint_value(&Config::metrics_port, 0, 65535)),
      F::value("--shards", "N", "shard threads, one per CPU [the CPUs this process may run on]",
               uint_value(&Config::shards, 1, 256)),
      F::value("--backend", "B", "auto | uring | epoll [auto: io_uring, or epoll if refused]",
               choice_value(&Config::backend, {{"auto", Backend::auto_select},
                                               {"uring", Backend::uring},
                                               {"epoll", Backend::epoll}})),
      F::value("--max-conns", "N", "connections held at once [RLIMIT_NOFILE - 64]",
               uint_value(&Config::max_conns, 1, 100'000'000)),
      F::value("--max-outbound", "SIZE",
               "per-connection outbound queue bound [4M]; over it,\n"
               "broadcasts to that connection are dropped and counted",
               size_value(&Config::max_outbound, 1024)),
      F::value("--slow-timeout", "DUR",
               "time a connection may stay over --max-outbound before it\n"
               "gets slow_consumer and is closed [10s]",
               duration_value(&Config::slow_timeout)),
      F::value("--max-frame", "SIZE", "longest frame (JSON line / text line) [65536]",
               size_value(&Config::max_frame, 256)),
      F::value("--max-text", "SIZE", "longest message text in bytes once decoded [4096]",
               size_value(&Config::max_text, 1)),
      F::value("--history", "N", "messages kept per room for `history` [1000], at least 1000",
               uint_value(&Config::history, 1000, 10'000'000)),
      F::value("--rate-limit", "N", "msg/whisper/typing per second per connection, burst 2N [0 = off]",
               uint_value(&Config::rate_limit, 0, 10'000'000)),
      F::value("--auth-secret-file", "FILE",
               "HS256 key (>= 32 bytes): hello must carry a token\n"
               "signed with it (docs/auth.md) [off]",
               string_value(&Config::auth_secret_file, false)),
      F::value("--login-timeout", "DUR", "close a connection not logged in by then [10s]",
               duration_value(&Config::login_timeout, kMillis)),
      F::value("--max-conns-per-ip", "N", "connections one IPv4 address may hold [0 = off]",
               uint_value(&Config::max_conns_per_ip, 0, 100'000'000)),
      F::value("--drain-timeout", "DUR", "on SIGTERM/SIGINT, time to flush queued events [5s]",
               duration_value(&Config::drain_timeout)),
      F::value("--log-level", "L", "debug | info | warn | error [info]",
               choice_value(&Config::log_level, {{"debug", LogLevel::debug},
                                                 {"info", LogLevel::info},
                                                 {"warn", LogLevel::warn},
                                                 {"error", LogLevel::error}})),
      F::value("--latency-dump", "FILE", "at exit, write the broadcast latency histogram (.hgrm, ms) [off]",
               string_value(&Config::latency_dump, true)),
      F::help_flag("-h", "this text", false),
      F::version_flag("-V", "print the version"),
  };
  return table;
}

}  // namespace

Result<CliParse> parse_cli(const std::vector<std::string>& args) {
  CliParse out;
  auto action = parse_flags(flags(), args, out.config);
  if (!action) return action.error();
  out.action = *action;
  return out;
}

std::string usage() {
  return "chatd — a shard-per-core chat server (newline JSON and text mode on one port)\n"
         "\n"
         "Usage: chatd [options]\n" +
         flag_usage(flags(), 26) +
         "\n"
         "SIZE takes K, M, G suffixes (binary); DUR takes ms, s, m (default s).\n";
}

}  // namespace chatd
