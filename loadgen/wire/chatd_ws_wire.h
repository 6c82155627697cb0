// chatd over WebSocket (--ws; RFC 6455, docs/protocol.md "HTTP"): the connection
// opens with `GET /ws` and a random Sec-WebSocket-Key (ws_upgrade.h); once the
// 101 and its Sec-WebSocket-Accept check out, hello and join go out as two text
// messages. From then on every request is one masked client text frame carrying
// one JSON object (a fresh random masking key per frame, as §5.3 requires), and
// every server text message is one JSON event, decoded exactly as chatd_wire.h
// decodes a line. Pings are answered with pongs; a close is echoed and ends the
// stream (a close code other than 1000, 1001 or none is reported as an error
// "ws_close_<code>"). A refused upgrade breaks the stream with
// "ws_upgrade_status_<status>" (chatd without WebSocket answers 501).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "loadgen/wire/wire_protocol.h"

namespace chatd::loadgen {

// `auth_secret`: see WireOptions::auth_secret. `seed` 0: the masking keys and
// handshake keys come from std::random_device.
std::unique_ptr<WireProtocol> make_chatd_ws_wire(std::string auth_secret = {}, uint64_t seed = 0);

}  // namespace chatd::loadgen
