#define _GNU_SOURCE  // memmem
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- chatd: newline-delimited JSON ----------------------------------------

// The value of "key":"..." in a line, without decoding escapes (the client's own
// texts need none). Key order is not part of the contract, so it is searched for.
static const char *json_string(const char *line, size_t len, const char *key, size_t *out_len) {
  const char *k = memmem(line, len, key, strlen(key));
  if (!k) return NULL;
  const char *v = k + strlen(key);
  const char *end = line + len;
  const char *q = v;
  while (q < end && *q != '"') q += (*q == '\\') ? 2 : 1;
  if (q >= end) return NULL;
  *out_len = (size_t)(q - v);
  return v;
}

static int json_event_is(const char *line, size_t len, const char *ev) {
  char want[48];
  int n = snprintf(want, sizeof want, "\"ev\":\"%s\"", ev);
  return n > 0 && memmem(line, len, want, (size_t)n) != NULL;
}

static long chatd_scan(const char *buf, size_t len, frame_fn fn, void *ctx) {
  size_t done = 0;
  for (;;) {
    const char *line = buf + done;
    const char *nl = memchr(line, '\n', len - done);
    if (!nl) return (long)done;
    size_t n = (size_t)(nl - line);
    done += n + 1;
    if (n == 0 || line[0] != '{') {
      // The 1-second text prompt is the only non-JSON line chatd sends (we talk at once).
      fn(ctx, FRAME_OTHER, line, n);
      continue;
    }
    size_t tlen = 0;
    const char *text;
    if (json_event_is(line, n, "msg") && (text = json_string(line, n, "\"text\":\"", &tlen)))
      fn(ctx, FRAME_MESSAGE, text, tlen);
    else if (json_event_is(line, n, "joined")) fn(ctx, FRAME_READY, line, n);
    else if (json_event_is(line, n, "error")) fn(ctx, FRAME_ERROR, line, n);
    else fn(ctx, FRAME_OTHER, line, n);
  }
}

// ---- Redis: RESP2 and RESP3 --------------------------------------------------

// The first three elements of a top-level aggregate, when they are strings.
struct resp_top {
  const char *s[3];
  size_t n[3];
  int count;
  char type;
};

// Parses one value at p. Returns its length, 0 if incomplete, -1 if not RESP.
static long resp_value(const char *p, const char *end, struct resp_top *top, int depth) {
  if (p >= end) return 0;
  if (depth > 8) return -1;  // nobody nests pub/sub replies this deep
  const char *crlf = memmem(p, (size_t)(end - p), "\r\n", 2);
  if (!crlf) return 0;
  const char type = *p;
  long header = (long)(crlf - p) + 2;
  char *num_end;
  long long n = strtoll(p + 1, &num_end, 10);
  switch (type) {
    case '+': case '-': case ':': case '_': case ',': case '#': case '(':
      return header;
    case '$': case '=': case '!': {  // blob: length, bytes, CRLF (-1 / ? are nulls)
      if (n < 0) return header;
      if (end - (crlf + 2) < n + 2) return 0;
      if (top && depth == 1 && top->count < 3) {
        top->s[top->count] = crlf + 2;
        top->n[top->count] = (size_t)n;
      }
      return header + (long)n + 2;
    }
    case '*': case '>': case '~': case '%': case '|': {
      if (n < 0) return header;
      long long items = (type == '%' || type == '|') ? 2 * n : n;
      long used = header;
      if (top && depth == 0) top->type = type;
      for (long long i = 0; i < items; i++) {
        long got = resp_value(p + used, end, top, depth + 1);
        if (got <= 0) return got;
        if (top && depth == 0 && i < 3) top->count++;
        used += got;
      }
      return used;
    }
    default:
      return -1;
  }
}

static int is(const char *s, size_t n, const char *want) {
  return s && n == strlen(want) && memcmp(s, want, n) == 0;
}

static long redis_scan(const char *buf, size_t len, frame_fn fn, void *ctx) {
  size_t done = 0;
  while (done < len) {
    struct resp_top top = {0};
    long n = resp_value(buf + done, buf + len, &top, 0);
    if (n < 0) return -1;
    if (n == 0) break;
    const char *frame = buf + done;
    done += (size_t)n;
    if (frame[0] == '-' || frame[0] == '!') fn(ctx, FRAME_ERROR, frame, (size_t)n);
    else if ((top.type == '*' || top.type == '>') && top.count >= 3 && is(top.s[0], top.n[0], "message"))
      fn(ctx, FRAME_MESSAGE, top.s[2], top.n[2]);
    else if ((top.type == '*' || top.type == '>') && top.count >= 1 && is(top.s[0], top.n[0], "subscribe"))
      fn(ctx, FRAME_READY, frame, (size_t)n);
    else fn(ctx, FRAME_OTHER, frame, (size_t)n);
  }
  return (long)done;
}

// ---- NATS: text control lines, MSG carries a sized payload ----------------------

// MSG <subject> <sid> [reply-to] <#bytes>\r\n<payload>\r\n
static long nats_scan(const char *buf, size_t len, frame_fn fn, void *ctx) {
  size_t done = 0;
  while (done < len) {
    const char *line = buf + done;
    const char *crlf = memmem(line, len - done, "\r\n", 2);
    if (!crlf) break;
    size_t n = (size_t)(crlf - line);
    if (n >= 4 && memcmp(line, "MSG ", 4) == 0) {
      const char *last = line + n;  // the byte count is the control line's last field
      while (last > line && last[-1] != ' ') last--;
      char *end;
      long bytes = strtol(last, &end, 10);
      if (bytes < 0 || end != crlf) return -1;
      if (len - done < n + 2 + (size_t)bytes + 2) break;
      fn(ctx, FRAME_MESSAGE, crlf + 2, (size_t)bytes);
      done += n + 2 + (size_t)bytes + 2;
      continue;
    }
    if (n >= 4 && memcmp(line, "PONG", 4) == 0) fn(ctx, FRAME_READY, line, n);
    else if (n >= 4 && memcmp(line, "PING", 4) == 0) fn(ctx, FRAME_PING, line, n);
    else if (n >= 4 && memcmp(line, "-ERR", 4) == 0) fn(ctx, FRAME_ERROR, line, n);
    else if (n >= 3 && (memcmp(line, "+OK", 3) == 0 || memcmp(line, "INFO", 4) == 0)) fn(ctx, FRAME_OTHER, line, n);
    else return -1;
    done += n + 2;
  }
  return (long)done;
}

const char wire_pong[] = "PONG\r\n";

static size_t resp_command(char *buf, size_t cap, int argc, const char **argv, const size_t *lens) {
  size_t used = 0;
  int w = snprintf(buf, cap, "*%d\r\n", argc);
  if (w < 0 || (size_t)w >= cap) return 0;
  used = (size_t)w;
  for (int i = 0; i < argc; i++) {
    w = snprintf(buf + used, cap - used, "$%zu\r\n", lens[i]);
    if (w < 0 || used + (size_t)w + lens[i] + 2 > cap) return 0;
    used += (size_t)w;
    memcpy(buf + used, argv[i], lens[i]);
    used += lens[i];
    memcpy(buf + used, "\r\n", 2);
    used += 2;
  }
  return used;
}

// ---- the interface -------------------------------------------------------------

size_t wire_greeting(enum wire_target t, char *buf, size_t cap, const char *user, const char *room,
                     int publisher) {
  if (t == WIRE_CHATD || t == WIRE_NATS) {
    int w = t == WIRE_CHATD
                ? snprintf(buf, cap, "{\"op\":\"hello\",\"user\":\"%s\"}\n{\"op\":\"join\",\"room\":\"%s\"}\n", user, room)
                : snprintf(buf, cap, "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"%s\"}\r\n"
                                     "SUB %s 1\r\nPING\r\n", user, room);
    return (w < 0 || (size_t)w >= cap) ? 0 : (size_t)w;
  }
  size_t used = 0;
  if (publisher) {
    const char *hello[] = {"HELLO", "3"};
    const size_t hello_len[] = {5, 1};
    used = resp_command(buf, cap, 2, hello, hello_len);
    if (used == 0) return 0;
  }
  const char *sub[] = {"SUBSCRIBE", room};
  const size_t sub_len[] = {9, strlen(room)};
  size_t w = resp_command(buf + used, cap - used, 2, sub, sub_len);
  return w ? used + w : 0;
}

size_t wire_publish(enum wire_target t, char *buf, size_t cap, const char *room, const char *text,
                    size_t len) {
  if (t == WIRE_CHATD) {
    int w = snprintf(buf, cap, "{\"op\":\"msg\",\"room\":\"%s\",\"text\":\"%.*s\"}\n", room, (int)len, text);
    return (w < 0 || (size_t)w >= cap) ? 0 : (size_t)w;
  }
  if (t == WIRE_NATS) {
    int w = snprintf(buf, cap, "PUB %s %zu\r\n%.*s\r\n", room, len, (int)len, text);
    return (w < 0 || (size_t)w >= cap) ? 0 : (size_t)w;
  }
  const char *pub[] = {"PUBLISH", room, text};
  const size_t pub_len[] = {7, strlen(room), len};
  return resp_command(buf, cap, 3, pub, pub_len);
}

long wire_scan(enum wire_target t, const char *buf, size_t len, frame_fn fn, void *ctx) {
  switch (t) {
    case WIRE_CHATD: return chatd_scan(buf, len, fn, ctx);
    case WIRE_REDIS: return redis_scan(buf, len, fn, ctx);
    case WIRE_NATS: return nats_scan(buf, len, fn, ctx);
  }
  return -1;
}
