// What the chat port answers to a complete HTTP request head (docs/protocol.md, "Ports and
// modes"): `GET /` and the page's files, `GET /healthz`, `GET /ws` + Upgrade: websocket,
// and 404 for every other path. Values in, bytes out; no I/O.
#pragma once

#include <cstdint>
#include <string>

#include "http/request_head.h"
#include "http/static_assets.h"

namespace chatd::http {

enum class RouteKind : uint8_t {
  asset,             // an embedded file ("/" is the page)
  healthz,           // 200 "ok\n"
  websocket,         // /ws asking for Upgrade: websocket: ws::accept_handshake answers it
  upgrade_required,  // /ws without Upgrade: websocket: 426 naming the protocol to ask for
  not_found,         // anything else: 404
};

struct Route {
  RouteKind kind = RouteKind::not_found;
  const StaticAsset* asset = nullptr;  // kind == asset
};

Route route(const RequestHead& head);

struct Reply {
  std::string bytes;
  uint16_t status = 0;       // for the HTTP-responses-by-status metric
  bool close_after = false;  // send the bytes, then close: no further request is read
};

// The reply to a complete head whose route is not `websocket`. Keeps the connection
// open when the request allows it (keep-alive), the 404 included.
Reply serve(const RequestHead& head, const Route& route);

// The reply to a refused head (HeadStatus::bad): the status with its reason as the body,
// then close — whatever follows a malformed head cannot be trusted to start a request.
Reply refuse(const HeadParse& bad);

}  // namespace chatd::http
