// chatd's JSON mode (docs/protocol.md) behind the wire interface: hello + join as
// the greeting, `joined` as ready, msg/whisper as deliveries, whisper_sent as
// the acceptance of a whisper (it names the whisper's id), error events with
// their code and op. The same JSON objects travel one per line here and one
// per WebSocket text message in chatd_ws_wire.h, which shares the helpers below.
#pragma once

#include <string>
#include <string_view>

#include "loadgen/wire/event_parser.h"
#include "loadgen/wire/wire_protocol.h"

namespace chatd::loadgen {

// `auth_secret`: see WireOptions::auth_secret.
std::unique_ptr<WireProtocol> make_chatd_wire(std::string auth_secret = {});

// hello (with a token minted from `auth_secret` when it is not empty) and join,
// as two JSON lines.
void append_chatd_greeting(std::string& out, const ClientAddress& client, std::string_view auth_secret);

// How long a minted token is valid, from the greeting.
constexpr int64_t kTokenLifetimeSeconds = 3600;

// A message's JSON object (no newline): the head, then the receiver (whispers),
// the id and the ts.
void append_chatd_message_json(std::string& out, const MessageHead& head, std::string_view to, MessageId id,
                               Nanos ts);

// One server event (a JSON object followed by simdjson's padding) reported to
// `sink` as the engine sees it; events loadgen does not measure are skipped.
// Returns the sink's answer (false: stop decoding this connection).
bool report_chatd_event(EventParser& parser, std::string_view json, WireEventSink& sink);

}  // namespace chatd::loadgen
