// Non-blocking TCP connects, many at once. The reactor has no connect verb, so a
// worker starts connects here and asks poll(2), once per loop turn and without
// waiting, which of them have finished; a finished socket is then handed to the
// reactor. At most `limit` connects are in flight per worker: enough to keep the
// server's accept queue busy without a SYN flood.
#pragma once

#include <netinet/in.h>
#include <poll.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"

namespace chatd::loadgen {

struct ConnectDone {
  uint32_t slot;      // the worker's client slot
  int fd;             // connected socket, or -1
  std::string error;  // empty on success, else an error code like "connect_refused"
};

class Connector {
 public:
  Connector(std::vector<uint32_t> source_ips, Nanos timeout, uint32_t limit);

  bool has_room() const { return pending_.size() < limit_; }
  bool idle() const { return pending_.empty(); }
  // Starts connecting client `number` to `server` (its source address is picked
  // by number); an immediate failure comes back from the next poll_done().
  void start(uint32_t slot, uint32_t number, const sockaddr_in& server, Nanos now);
  // Connects that finished, failed or timed out since the last call.
  std::vector<ConnectDone> poll_done(Nanos now);
  // Abandons every connect in flight (their sockets are closed); returns them.
  std::vector<ConnectDone> abandon_all();

 private:
  struct Pending {
    uint32_t slot;
    Nanos deadline;
  };
  std::vector<uint32_t> source_ips_;
  Nanos timeout_;
  uint32_t limit_;
  std::vector<pollfd> fds_;  // parallel to pending_
  std::vector<Pending> pending_;
  std::vector<ConnectDone> failed_now_;  // failed inside start()
};

// "connect_refused" for ECONNREFUSED and so on: error codes for the report.
std::string connect_error_code(int err);

}  // namespace chatd::loadgen
