// Flags → a plain Config. Pure: no I/O beyond reading the fd limit for a default.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/flag_table.h"
#include "common/log.h"
#include "common/result.h"
#include "common/backend.h"

namespace chatd {

struct Config {
  std::string bind = "0.0.0.0";
  uint16_t port = 7000;
  uint16_t metrics_port = 9400;
  uint32_t shards = 0;  // 0: the CPUs this process may run on
  Backend backend = Backend::auto_select;
  uint32_t max_conns = 0;  // 0: RLIMIT_NOFILE less kFdReserve
  std::size_t max_outbound = 4u << 20;
  Nanos slow_timeout = 10 * kSeconds;
  std::size_t max_frame = 65536;
  std::size_t max_text = 4096;
  uint32_t history = 1000;
  uint32_t rate_limit = 0;  // msgs per second per connection; 0 = off
  Nanos drain_timeout = 5 * kSeconds;
  LogLevel log_level = LogLevel::info;
  std::size_t max_rooms_per_user = 64;
  std::string latency_dump;  // write the broadcast latency .hgrm here at exit
  std::string auth_secret_file;  // empty: auth off (docs/auth.md)
  Nanos login_timeout = 10 * kSeconds;  // until a successful hello, every mode
  uint32_t max_conns_per_ip = 0;        // per IPv4 source address; 0 = no limit
};

// fds kept back from --max-conns for listeners, eventfds, rings, metrics and logs.
constexpr uint32_t kFdReserve = 64;

struct CliParse {
  CliAction action = CliAction::run;
  Config config;
};

// Parses argv (without argv[0]) through chatd's flag table (common/flag_table.h).
// Errors name the flag and what was wrong with it.
Result<CliParse> parse_cli(const std::vector<std::string>& args);
// --help, generated from the same table.
std::string usage();

}  // namespace chatd
