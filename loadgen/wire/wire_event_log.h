// For the wire tests: records a session's events as text, one line each, with
// only the fields an event carries, so expectations read like the protocol.
#pragma once

#include <memory>
#include <string>

#include "loadgen/wire/wire_protocol.h"

namespace chatd::loadgen {

struct WireEventLog final : WireEventSink {
  std::string log;
  bool on_wire_event(const WireEvent& e) override {
    static const char* kinds[] = {"ready", "room", "direct", "accepted", "error", "info", "garbled"};
    log += kinds[int(e.kind)];
    if (!e.id.empty()) log += " id=" + std::string(e.id);
    if (e.has_ts) log += " ts=" + std::to_string(e.ts);
    if (e.seq) log += " seq=" + std::to_string(e.seq);
    if (e.last_seq) log += " last_seq=" + std::to_string(e.last_seq);
    if (e.receivers >= 0) log += " receivers=" + std::to_string(e.receivers);
    if (!e.code.empty()) log += " code=" + std::string(e.code);
    if (!e.op.empty()) log += " op=" + std::string(e.op);
    if (e.shards) log += " shards=" + std::to_string(e.shards);
    if (!e.detail.empty()) log += " detail=" + std::string(e.detail);
    if (!e.version.empty()) log += " version=" + std::string(e.version);
    log += '\n';
    return true;
  }
};

// A session for decoding tests, its greeting dropped.
inline std::unique_ptr<WireSession> open_test_session(WireProtocol& wire, const ClientAddress& client) {
  std::string greeting;
  return wire.open_session(client, greeting);
}

}  // namespace chatd::loadgen
