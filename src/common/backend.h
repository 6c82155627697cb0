// Which event API a shard's reactor uses: a vocabulary word shared by Config (the
// user's choice) and src/reactor/ (which resolves auto and builds the reactor).
#pragma once

namespace chatd {

enum class Backend { auto_select, uring, epoll };

}  // namespace chatd
