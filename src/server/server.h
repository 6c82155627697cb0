// The chatd process once its flags are read: one listening socket per shard, the
// mesh of mailboxes, the shard threads, /metrics, and the stop sequence.
//
// Layering: the top of the tree. It may include shard/ and everything below it;
// nothing includes it but main.cc.
#pragma once

#include <memory>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "config/config.h"
#include "server/machine.h"
#include "server/metrics_endpoint.h"
#include "server/stop_signals.h"
#include "shard/shard.h"
#include "xshard/mesh.h"

namespace chatd::server {

class Server {
 public:
  // Opens one listening socket per shard on one port (port 0: the first picks it,
  // the rest share it) and builds the mesh. Nothing runs yet. `auth_secret`: the
  // key of --auth-secret-file, already checked (empty: auth off).
  static Result<std::unique_ptr<Server>> open(const Config& config, const Sizing& sizing, reactor::Backend backend,
                                              std::string auth_secret = {});

  // Starts every shard on its CPU and waits until each has armed its listener;
  // then serves /metrics. False if a shard failed (logged): the caller stops.
  bool start();

  // Logs the ready line that scripts and tests wait for, blocks until SIGTERM or
  // SIGINT, then writes --latency-dump if asked.
  void serve_until_stopped(StopSignals& signals);

  // Tells every shard to drain and stop (each bounded by --drain-timeout) and joins them.
  void stop();

  // Ends the process with `code` without tearing down what outlives the shards
  // (the metrics exposer: see MetricsEndpoint::leave_running_at_exit).
  [[noreturn]] void exit_process(int code);

 private:
  Server(const Config& config, const Sizing& sizing, reactor::Backend backend, std::string auth_secret);

  shard::ServerShared shared_;  // every shard holds a reference: declared first, destroyed last
  std::vector<int> cpus_;
  std::vector<UniqueFd> listeners_;
  uint16_t port_ = 0;
  std::unique_ptr<xshard::Mesh> mesh_;
  std::vector<std::unique_ptr<shard::Shard>> shards_;
  std::unique_ptr<MetricsEndpoint> metrics_;
};

}  // namespace chatd::server
