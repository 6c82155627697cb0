// The per-process fd limit: raised to its hard limit once at start (chatd, loadgen).
#pragma once

#include <cstdint>

namespace chatd {

// Raises RLIMIT_NOFILE's soft limit to the hard one; returns the limit in force.
uint64_t raise_fd_limit();

}  // namespace chatd
