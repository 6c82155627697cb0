// chatd's JSON mode (PROTOCOL.md) behind the wire interface: hello + join as
// the greeting, `joined` as ready, msg/whisper as deliveries, whisper_sent as
// the acceptance of a whisper (it names the whisper's id), error events with
// their code and op.
#pragma once

#include "loadgen/wire/wire_protocol.h"

namespace chatd::loadgen {

std::unique_ptr<WireProtocol> make_chatd_wire();

}  // namespace chatd::loadgen
