// Listening sockets: one per shard on the same port (SO_REUSEPORT), so the kernel
// spreads new connections over the shards with no shared accept queue.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace chatd::net {

// Binds and listens on addr:port with SO_REUSEPORT. Port 0 picks a free port; read it
// back with bound_port() and open the other shards' sockets on that port.
Result<UniqueFd> open_listener(const std::string& addr, uint16_t port, int backlog = 4096);
Result<uint16_t> bound_port(int fd);

}  // namespace chatd::net
