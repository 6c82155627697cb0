// What the machine gives the process, and what chatd makes of it: the CPU
// features the build assumes, the CPUs it may run on (one shard each) and the fd
// limit (the connection budget).
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace chatd::server {

// Fails, saying how to rebuild, when the build's -march baseline (meson option
// cpu_baseline) uses instructions this CPU lacks; a portable build always passes.
Result<void> check_cpu_baseline();

struct Sizing {
  std::vector<int> cpus;   // the CPUs this process may run on, in order
  uint32_t shards = 1;     // --shards, or one per CPU
  uint32_t max_conns = 1;  // --max-conns, or the fd limit less kFdReserve
};

// Raises the fd limit to its hard limit and sizes the server from the config.
// Warns when --max-conns exceeds what the fd limit allows.
Sizing size_for_machine(const Config& config);

}  // namespace chatd::server
