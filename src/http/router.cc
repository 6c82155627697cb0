#include "http/router.h"

#include <array>

#include "http/response.h"

namespace chatd::http {

Route route(const RequestHead& head) {
  if (head.path == "/healthz") return {RouteKind::healthz};
  if (head.path == "/ws") return {head.upgrade_websocket ? RouteKind::websocket : RouteKind::upgrade_required};
  if (const StaticAsset* asset = static_asset(head.path)) return {RouteKind::asset, asset};
  return {RouteKind::not_found};
}

Reply serve(const RequestHead& head, const Route& route) {
  Reply reply;
  switch (route.kind) {
    case RouteKind::asset:
      reply.bytes = asset_response(*route.asset, head);
      reply.status = asset_unchanged(*route.asset, head) ? 304 : 200;
      break;
    case RouteKind::healthz:
      reply.bytes = text_response(200, "ok\n", head.keep_alive);
      reply.status = 200;
      break;
    case RouteKind::upgrade_required: {
      // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to.
      const std::array<Header, 1> upgrade = {{{"Upgrade", "websocket"}}};
      reply.bytes = text_response(426, "426 Upgrade Required: /ws speaks WebSocket only\n", head.keep_alive, upgrade);
      reply.status = 426;
      break;
    }
    case RouteKind::websocket:  // not ours to answer: the caller's bug, said as a 500
      reply.bytes = text_response(500, "500 Internal Server Error: upgrade not handled\n", false);
      reply.status = 500;
      break;
    case RouteKind::not_found:
      reply.bytes = text_response(404, "404 Not Found\n", head.keep_alive);
      reply.status = 404;
      break;
  }
  reply.close_after = !head.keep_alive || reply.status == 500;
  return reply;
}

Reply refuse(const HeadParse& bad) {
  Reply reply;
  reply.status = bad.error_status;
  std::string body = std::to_string(bad.error_status) + " " + std::string(reason_phrase(bad.error_status)) + ": " +
                     std::string(bad.error) + "\n";
  const std::array<Header, 1> allow = {{{"Allow", "GET"}}};
  reply.bytes = text_response(bad.error_status, body, false,
                              bad.error_status == 405 ? std::span<const Header>(allow) : std::span<const Header>());
  reply.close_after = true;
  return reply;
}

}  // namespace chatd::http
