// The RFC 6455 opening handshake, server side (§4.2): a complete HTTP head routed to /ws
// in, the response bytes out. No extension and no subprotocol is ever negotiated (a
// client's offer is ignored, which the RFC allows), so every frame chatd sends or accepts
// has its reserved bits clear.
//
// Refusals close the connection: 426 with `Sec-WebSocket-Version: 13` when the version
// is missing or not 13; 400 when the key is missing or is not base64 of 16 bytes, when
// Connection lacks "upgrade", or on HTTP/1.0 (the RFC needs 1.1).
#pragma once

#include <string>
#include <string_view>

#include "http/request_head.h"
#include "http/router.h"

namespace chatd::ws {

// RFC 6455 §1.3: appended to the client's key before hashing.
constexpr std::string_view kHandshakeGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// base64(SHA-1(key + GUID)), with OpenSSL.
std::string accept_key(std::string_view client_key);

// A key is the base64 encoding of 16 bytes: 22 base64 characters then "==".
bool is_valid_client_key(std::string_view key);

// status 101 (close_after false): switch the connection to WebSocket after these bytes;
// any other status: send the refusal, then close.
http::Reply accept_handshake(const http::RequestHead& head);

}  // namespace chatd::ws
