// The standard process metrics, read from /proc (Linux).
#pragma once

#include <cstdint>

namespace chatd::metrics {

struct ProcessStats {
  double resident_bytes = 0;
  double cpu_seconds = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

ProcessStats read_process_stats();

// The memory this process may use: the cgroup's memory.max, else physical RAM.
double memory_limit_bytes();

// jemalloc's allocated/resident bytes; both 0 when jemalloc is not linked.
struct AllocatorStats {
  double allocated = 0;
  double resident = 0;
};
AllocatorStats read_allocator_stats();

}  // namespace chatd::metrics
