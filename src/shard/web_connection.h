// What an HTTP or WebSocket connection keeps beyond a JSON one (docs/web.md, "How the
// shard serves it"). Held behind pointers in Connection, so the common JSON and text
// connections carry two null pointers and nothing else.
#pragma once

#include <cstddef>
#include <string>

#include "common/clock.h"
#include "http/request_head.h"
#include "ws/reader.h"

namespace chatd::shard {

// A keep-alive connection that has sent nothing since its last response is closed after
// this long, so idle page fetches cannot pin descriptors.
constexpr Nanos kHttpIdleTimeout = 30 * kSeconds;

// Mode::http: request heads, one after another on a keep-alive connection.
struct HttpInput {
  http::RequestHeadParser parser;
  // Unconsumed bytes, starting at a request's first byte. Bounded: a head over
  // http::kMaxHeadBytes is refused, so what stays after a receive is one unfinished
  // head, plus pipelined requests while the outbound queue is over its bound (then the
  // connection is not read past kMaxHttpBuffered).
  std::string buffered;
  // Closed without a reply when this passes: the head's first byte + kHeadTimeout
  // (slowloris), or the last response + kHttpIdleTimeout while nothing is buffered.
  Nanos deadline = 0;
};
constexpr std::size_t kMaxHttpBuffered = 4 * http::kMaxHeadBytes;

// Mode::ws: the frame reader and whether our close frame has gone into the queue (after
// it nothing more may be sent, RFC 6455 §5.5.1).
struct WebSocket {
  explicit WebSocket(std::size_t max_message) : reader(max_message) {}
  ws::WsReader reader;
  bool close_queued = false;
};

}  // namespace chatd::shard
