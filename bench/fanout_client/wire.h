// The two wire protocols fanout_client speaks, bytes in and bytes out, no I/O:
//
//   chatd  JSON mode (docs/protocol.md): one object per line. A member sends
//          hello + join and is ready at `joined`; a publisher sends `msg` to its
//          room and gets its own message back like every member.
//   redis  RESP pub/sub: a member SUBSCRIBEs to the room's channel and is ready
//          at the subscribe confirmation. A publisher first switches to RESP3
//          (`HELLO 3`, in which a subscribed connection may still PUBLISH) and
//          publishes on the same connection, so it too gets its own message back
//          through its subscription (the same echo chatd sends).
//   nats   NATS text protocol: a member CONNECTs (non-verbose), SUBs to the room's
//          subject and PINGs; it is ready at the PONG. A publisher PUBs on the same
//          connection; NATS echoes a connection's own messages by default.
//
// Only the message text matters to the client: it carries the send timestamp
// and the publisher's number (see main.c). Everything else is classified and
// skipped without being decoded.
#ifndef FANOUT_CLIENT_WIRE_H
#define FANOUT_CLIENT_WIRE_H

#include <stddef.h>

enum wire_target { WIRE_CHATD, WIRE_REDIS, WIRE_NATS };

enum frame_kind {
  FRAME_OTHER,    // anything the client ignores (user_joined, PUBLISH's reply, HELLO's map)
  FRAME_READY,    // chatd `joined`, Redis subscribe confirmation
  FRAME_MESSAGE,  // a room message: text/len is its text (chatd) or payload (Redis)
  FRAME_ERROR,    // chatd `error` event, Redis or NATS error reply: text/len is the frame
  FRAME_PING,     // NATS server PING: answer with wire_pong()
};

typedef void (*frame_fn)(void *ctx, enum frame_kind kind, const char *text, size_t len);

// What a member sends on connecting. Returns the bytes written to buf, or 0 if
// cap is too small.
size_t wire_greeting(enum wire_target t, char *buf, size_t cap, const char *user, const char *room,
                     int publisher);

// One room message whose text is text/len (plain ASCII: no JSON escaping needed).
// Returns the bytes written, or 0 if cap is too small.
size_t wire_publish(enum wire_target t, char *buf, size_t cap, const char *room, const char *text,
                    size_t len);

// Calls fn for every complete frame at the start of buf/len and returns the bytes
// they took (the rest is an incomplete frame, to be completed by the next read),
// or -1 if the bytes are not the protocol (the caller closes the connection).
long wire_scan(enum wire_target t, const char *buf, size_t len, frame_fn fn, void *ctx);

// The answer to FRAME_PING (NATS: "PONG\r\n").
extern const char wire_pong[];

#endif
