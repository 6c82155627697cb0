// How chatd learns it must stop: SIGTERM or SIGINT, read through a signalfd.
//
// Both signals are blocked in every thread (install() runs before any thread
// starts, and threads inherit the mask) and read by main through a signalfd: no
// handler runs on a shard thread and none is deferred by a sanitizer's signal
// interception. A handler stays installed as a fallback for a library thread that
// unblocks them for itself (else the default action there would kill the process
// without a drain); it only writes an eventfd that wait() also watches.
#pragma once

#include "common/result.h"
#include "common/unique_fd.h"

namespace chatd::server {

class StopSignals {
 public:
  // Blocks SIGINT and SIGTERM for this thread and every thread it starts later,
  // installs the fallback handler and ignores SIGPIPE. Once per process.
  static Result<StopSignals> install();

  // Blocks until SIGTERM or SIGINT arrives; returns its number.
  int wait();

 private:
  StopSignals() = default;
  UniqueFd signal_fd_;
};

}  // namespace chatd::server
