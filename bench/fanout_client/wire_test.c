// Tests for wire.c: every frame kind of both protocols, and every way a read can
// cut a stream (each stream is fed in two parts, split at every byte).
// scripts/bench.sh builds and runs it before using fanout_client:
//   cc -O2 -o wire_test bench/fanout_client/wire_test.c bench/fanout_client/wire.c && ./wire_test
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static int failures;

#define CHECK(cond, ...)                        \
  do {                                          \
    if (!(cond)) {                              \
      fprintf(stderr, "wire_test: FAIL ");      \
      fprintf(stderr, __VA_ARGS__);             \
      fprintf(stderr, "\n");                    \
      failures++;                               \
    }                                           \
  } while (0)

struct seen {
  char log[1024];  // one letter per frame (O R M E), message texts in brackets
  size_t len;
};

static void record(void *ctx, enum frame_kind kind, const char *text, size_t len) {
  struct seen *s = ctx;
  static const char letter[] = {'O', 'R', 'M', 'E', 'P'};
  s->len += (size_t)snprintf(s->log + s->len, sizeof s->log - s->len, "%c", letter[kind]);
  if (kind == FRAME_MESSAGE) s->len += (size_t)snprintf(s->log + s->len, sizeof s->log - s->len, "[%.*s]", (int)len, text);
}

// Feeds stream in two reads split at every offset, keeping the unconsumed rest
// as fanout_client does, and checks the frames seen are `want` every time.
static void check_stream(enum wire_target t, const char *name, const char *stream, size_t n, const char *want) {
  for (size_t cut = 0; cut <= n; cut++) {
    struct seen s = {0};
    char buf[2048];
    size_t have = 0;
    const size_t parts[2][2] = {{0, cut}, {cut, n}};
    int bad = 0;
    for (int p = 0; p < 2; p++) {
      memcpy(buf + have, stream + parts[p][0], parts[p][1] - parts[p][0]);
      have += parts[p][1] - parts[p][0];
      long used = wire_scan(t, buf, have, record, &s);
      if (used < 0) { bad = 1; break; }
      memmove(buf, buf + used, have - (size_t)used);
      have -= (size_t)used;
    }
    CHECK(!bad, "%s: not the protocol at cut %zu", name, cut);
    CHECK(have == 0, "%s: %zu bytes left at cut %zu", name, have, cut);
    CHECK(strcmp(s.log, want) == 0, "%s at cut %zu: got %s, want %s", name, cut, s.log, want);
    if (failures) return;
  }
}

static void chatd_frames(void) {
  const char stream[] =
      "{\"ev\":\"welcome\",\"user\":\"a\",\"shard\":0,\"shards\":1}\n"
      "{\"ev\":\"joined\",\"room\":\"r\",\"members\":1,\"seq\":0,\"epoch\":1}\n"
      "{\"ev\":\"user_joined\",\"room\":\"r\",\"user\":\"b\"}\n"
      "{\"ev\":\"msg\",\"room\":\"r\",\"from\":\"a\",\"text\":\"12.3.xx\",\"seq\":1}\r\n"
      "{\"seq\":2,\"text\":\"x\\\"y\",\"ev\":\"msg\"}\n"
      "{\"ev\":\"error\",\"code\":\"not_in_room\",\"msg\":\"...\"}\n";
  check_stream(WIRE_CHATD, "chatd", stream, sizeof stream - 1, "ORO" "M[12.3.xx]" "M[x\\\"y]" "E");
}

static void redis_frames(void) {
  const char resp3[] =
      "%1\r\n$6\r\nserver\r\n$5\r\nredis\r\n"                               // HELLO 3's map
      ">3\r\n$9\r\nsubscribe\r\n$1\r\nr\r\n:1\r\n"                          // confirmation
      ">3\r\n$7\r\nmessage\r\n$1\r\nr\r\n$7\r\n12.3.xx\r\n"                 // a message
      ":1000\r\n"                                                           // PUBLISH's reply
      "-ERR unknown command\r\n";
  check_stream(WIRE_REDIS, "resp3", resp3, sizeof resp3 - 1, "ORM[12.3.xx]OE");
  const char resp2[] =
      "*3\r\n$9\r\nsubscribe\r\n$1\r\nr\r\n:1\r\n"
      "*3\r\n$7\r\nmessage\r\n$1\r\nr\r\n$0\r\n\r\n"
      "*3\r\n$7\r\nmessage\r\n$1\r\nr\r\n$4\r\na\r\nb\r\n";  // CRLF inside a payload
  check_stream(WIRE_REDIS, "resp2", resp2, sizeof resp2 - 1, "RM[]M[a\r\nb]");
  struct seen s = {0};
  CHECK(wire_scan(WIRE_REDIS, "?x\r\n", 4, record, &s) == -1, "a frame that is not RESP is refused");
}

static void nats_frames(void) {
  const char stream[] =
      "INFO {\"server_id\":\"x\",\"max_payload\":1048576}\r\n"
      "+OK\r\n"
      "PONG\r\n"
      "MSG r 1 7\r\n12.3.xx\r\n"
      "MSG r 1 reply.to 4\r\na\r\nb\r\n"  // a reply subject, CRLF inside the payload
      "PING\r\n"
      "-ERR 'Unknown Protocol Operation'\r\n";
  check_stream(WIRE_NATS, "nats", stream, sizeof stream - 1, "OORM[12.3.xx]M[a\r\nb]PE");
  char buf[256];
  size_t n = wire_publish(WIRE_NATS, buf, sizeof buf, "r0", "12.3.x", 6);
  CHECK(n > 0 && strncmp(buf, "PUB r0 6\r\n12.3.x\r\n", n) == 0, "nats pub: %.*s", (int)n, buf);
}

static void encoders(void) {
  char buf[512];
  size_t n = wire_greeting(WIRE_CHATD, buf, sizeof buf, "u1", "r0", 1);
  CHECK(n > 0 && strncmp(buf, "{\"op\":\"hello\",\"user\":\"u1\"}\n{\"op\":\"join\",\"room\":\"r0\"}\n", n) == 0,
        "chatd greeting: %.*s", (int)n, buf);
  n = wire_greeting(WIRE_REDIS, buf, sizeof buf, "u1", "r0", 1);
  const char want[] = "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nr0\r\n";
  CHECK(n == sizeof want - 1 && memcmp(buf, want, n) == 0, "redis publisher greeting");
  n = wire_publish(WIRE_REDIS, buf, sizeof buf, "r0", "12.3.x", 6);
  const char pub[] = "*3\r\n$7\r\nPUBLISH\r\n$2\r\nr0\r\n$6\r\n12.3.x\r\n";
  CHECK(n == sizeof pub - 1 && memcmp(buf, pub, n) == 0, "redis publish");
  n = wire_publish(WIRE_CHATD, buf, sizeof buf, "r0", "12.3.x", 6);
  CHECK(n > 0 && strncmp(buf, "{\"op\":\"msg\",\"room\":\"r0\",\"text\":\"12.3.x\"}\n", n) == 0, "chatd msg");
  CHECK(wire_publish(WIRE_CHATD, buf, 8, "r0", "12.3.x", 6) == 0, "a full buffer is refused");
}

int main(void) {
  chatd_frames();
  redis_frames();
  nats_frames();
  encoders();
  if (failures) return 1;
  printf("wire_test: ok\n");
  return 0;
}
