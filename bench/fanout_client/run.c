// The event loop: one thread, one epoll set, every connection non-blocking.
//
// A message's text is "<ts>.<publisher>." padded with 'x' to --size, where ts is
// CLOCK_MONOTONIC in ns: in the open loop the message's intended send time
// (message k of the run is due at t0 + k/rate, from publisher k % publishers), so
// time it spent held back anywhere counts (coordinated omission corrected); in
// the closed loop the moment it is written. Latency = receipt - ts, the receipt
// time read once per read(2).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fanout_client.h"

#define READ_CHUNK (256u * 1024u)
#define MAX_IN (1u << 20)    // longest incomplete frame kept between reads
#define MAX_OUT (4u << 20)   // a publisher's unsent bytes; past it the run stops
#define MAX_EVENTS 1024

static char read_buf[READ_CHUNK];

int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double unix_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec * 1e-6;
}

static void room_name(const struct run *r, int room, char *buf, size_t cap) {
  snprintf(buf, cap, "%sr%d", r->run_tag, room);
}

// ---- output ------------------------------------------------------------------

static void arm(struct run *r, struct conn *c, int want_out) {
  if (c->want_out == want_out) return;
  struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.u32 = (uint32_t)c->index};
  epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = want_out;
}

static int flush(struct run *r, struct conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) break;
    if (w < 0) {
      fprintf(stderr, "fanout_client: send on member %d: %s\n", c->index, strerror(errno));
      return -1;
    }
    c->out_off += (size_t)w;
  }
  if (c->out_off == c->out_len) c->out_off = c->out_len = 0;
  arm(r, c, c->out_len > 0);
  return 0;
}

// Appends bytes to c's output and puts c on the flush list.
static int queue_out(struct run *r, struct conn *c, const char *bytes, size_t n) {
  if (c->out_off > 0 && c->out_off == c->out_len) c->out_off = c->out_len = 0;
  if (c->out_len + n > c->out_cap) {
    if (c->out_len - c->out_off + n > MAX_OUT) {
      fprintf(stderr, "fanout_client: member %d has %u MiB unsent: the server stopped reading; stopping\n",
              c->index, MAX_OUT >> 20);
      return -1;
    }
    memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
    c->out_len -= c->out_off;
    c->out_off = 0;
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + n) cap *= 2;
    if (cap != c->out_cap) {
      c->out = realloc(c->out, cap);
      c->out_cap = cap;
    }
  }
  memcpy(c->out + c->out_len, bytes, n);
  c->out_len += n;
  if (!c->dirty) {
    c->dirty = 1;
    r->flush_list[r->flush_len++] = c->index;
  }
  return 0;
}

static int flush_all(struct run *r) {
  for (int i = 0; i < r->flush_len; i++) {
    struct conn *c = &r->conns[r->flush_list[i]];
    c->dirty = 0;
    if (flush(r, c) < 0) return -1;
  }
  r->flush_len = 0;
  return 0;
}

static int publish(struct run *r, struct conn *c, int64_t ts) {
  char text[4200], frame[4400], room[48];
  int head = snprintf(text, sizeof text, "%lld.%d.", (long long)ts, c->index);
  int len = head < r->opt.size ? r->opt.size : head;
  memset(text + head, 'x', (size_t)(len - head));
  room_name(r, c->room, room, sizeof room);
  size_t n = wire_publish(r->opt.target, frame, sizeof frame, room, text, (size_t)len);
  if (n == 0 || queue_out(r, c, frame, n) < 0) return -1;
  if (r->tally.sent++ == 0) r->tally.first_send = now_ns();
  r->tally.expected += (uint64_t)r->room_size[c->room];
  c->inflight++;
  return 0;
}

// ---- input -------------------------------------------------------------------

struct frame_ctx {
  struct run *r;
  struct conn *c;
  int64_t received_at;
  int failed;
};

static void on_frame(void *arg, enum frame_kind kind, const char *text, size_t len) {
  struct frame_ctx *f = arg;
  struct run *r = f->r;
  if (kind == FRAME_READY) {
    if (!f->c->ready) r->ready++;
    f->c->ready = 1;
  } else if (kind == FRAME_ERROR) {
    if (r->tally.errors++ < 5) fprintf(stderr, "fanout_client: server error: %.*s\n", (int)(len > 200 ? 200 : len), text);
  } else if (kind == FRAME_PING) {
    if (queue_out(r, f->c, wire_pong, strlen(wire_pong)) < 0) f->failed = 1;
  } else if (kind == FRAME_MESSAGE) {
    char *end;
    long long ts = strtoll(text, &end, 10);
    if (end == text || end >= text + len || *end != '.') {
      r->tally.foreign++;
      return;
    }
    long from = strtol(end + 1, NULL, 10);
    struct tally *t = &r->tally;
    t->received++;
    t->last_delivery = f->received_at;
    int64_t all_us = (f->received_at - ts) / 1000;
    hist_record(&t->hist_all, all_us > 0 ? (uint64_t)all_us : 0);
    if (f->received_at >= r->measure_from && f->received_at < r->measure_to) t->window_deliveries++;
    if (ts >= r->measure_from && ts < r->measure_to) {
      int64_t us = (f->received_at - ts) / 1000;
      hist_record(&t->hist, us > 0 ? (uint64_t)us : 0);
    }
    if (from == f->c->index && f->c->inflight > 0) {
      f->c->inflight--;
      // Closed loop: the echo acknowledges one message and lets the next go.
      if (r->opt.rate == 0 && f->received_at < r->measure_to && publish(r, f->c, f->received_at) < 0) f->failed = 1;
    }
  }
}

static int on_readable(struct run *r, struct conn *c) {
  ssize_t n = recv(c->fd, read_buf, sizeof read_buf, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  if (n <= 0) {
    fprintf(stderr, "fanout_client: member %d: %s\n", c->index, n == 0 ? "closed by the server" : strerror(errno));
    return -1;
  }
  struct frame_ctx f = {.r = r, .c = c, .received_at = now_ns()};
  const char *data = read_buf;
  size_t len = (size_t)n;
  if (c->in_len > 0) {  // complete the frame the last read cut
    if (c->in_len + len > MAX_IN) {
      fprintf(stderr, "fanout_client: member %d: a frame over %u KiB\n", c->index, MAX_IN >> 10);
      return -1;
    }
    if (c->in_len + len > c->in_cap) {
      c->in_cap = c->in_len + len;
      c->in = realloc(c->in, c->in_cap);
    }
    memcpy(c->in + c->in_len, read_buf, len);
    data = c->in;
    len += c->in_len;
  }
  long used = wire_scan(r->opt.target, data, len, on_frame, &f);
  if (used < 0) {
    fprintf(stderr, "fanout_client: member %d: bytes that are not the protocol\n", c->index);
    return -1;
  }
  size_t rest = len - (size_t)used;
  if (rest > c->in_cap) {
    c->in_cap = rest;
    c->in = realloc(c->in, rest);
  }
  memmove(c->in, data + used, rest);
  c->in_len = rest;
  return f.failed ? -1 : 0;
}

// One epoll_pwait2 and what it reports; waits at most timeout_ns.
static int poll_once(struct run *r, int64_t timeout_ns) {
  struct epoll_event events[MAX_EVENTS];
  if (timeout_ns < 0) timeout_ns = 0;
  struct timespec ts = {.tv_sec = timeout_ns / 1000000000LL, .tv_nsec = timeout_ns % 1000000000LL};
  int n = epoll_pwait2(r->epfd, events, MAX_EVENTS, &ts, NULL);
  if (n < 0 && errno != EINTR) {
    perror("fanout_client: epoll_pwait2");
    return -1;
  }
  for (int i = 0; i < n; i++) {
    struct conn *c = &r->conns[events[i].data.u32];
    if ((events[i].events & EPOLLOUT) && flush(r, c) < 0) return -1;
    if ((events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && on_readable(r, c) < 0) return -1;
  }
  return flush_all(r);
}

// ---- setup and traffic -------------------------------------------------------------

static int connect_member(struct run *r, struct conn *c, const struct sockaddr_in *sa) {
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0 || connect(c->fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
    fprintf(stderr, "fanout_client: connect member %d to %s:%d: %s\n", c->index, r->opt.host, r->opt.port,
            strerror(errno));
    return -1;
  }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) != 0) return -1;
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)c->index};
  if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) return -1;
  char greeting[512], user[48], room[48];
  snprintf(user, sizeof user, "%su%d", r->run_tag, c->index);
  room_name(r, c->room, room, sizeof room);
  size_t n = wire_greeting(r->opt.target, greeting, sizeof greeting, user, room, c->index < r->opt.publishers);
  return n ? queue_out(r, c, greeting, n) : -1;
}

int run_setup(struct run *r) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)r->opt.port)};
  if (inet_pton(AF_INET, r->opt.host, &sa.sin_addr) != 1) {
    fprintf(stderr, "fanout_client: --host %s is not an IPv4 address\n", r->opt.host);
    return -1;
  }
  r->epfd = epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < r->opt.members; i++) {
    struct conn *c = &r->conns[i];
    c->index = i;
    c->room = i % r->opt.rooms;
    r->room_size[c->room]++;
    if (connect_member(r, c, &sa) < 0) return -1;
    // Read as we go: chatd tells every member about each later join.
    if (i % 64 == 63 && poll_once(r, 0) < 0) return -1;
  }
  const int64_t deadline = now_ns() + 30 * 1000000000LL;
  while (r->ready < r->opt.members) {
    if (now_ns() > deadline) {
      fprintf(stderr, "fanout_client: %d of %d members ready after 30 s\n", r->ready, r->opt.members);
      return -1;
    }
    if (poll_once(r, 10 * 1000000LL) < 0) return -1;
  }
  // Let the join notices drain so that they do not overlap the measurement.
  const int64_t settle = now_ns() + 300 * 1000000LL;
  while (now_ns() < settle)
    if (poll_once(r, settle - now_ns()) < 0) return -1;
  return 0;
}

int run_traffic(struct run *r) {
  const struct options *o = &r->opt;
  r->t0 = now_ns();
  r->measure_from = r->t0 + (int64_t)(o->warmup * 1e9);
  r->measure_to = r->t0 + (int64_t)(o->seconds * 1e9);
  double cpu_from = -1, cpu_to = -1;
  uint64_t next = 0;  // open loop: the next message's number
  // Every message due before measure_to is sent, late if the client fell behind
  // (its latency then shows it), as an open loop must.
  const uint64_t total = o->rate > 0 ? (uint64_t)ceil(o->seconds * o->rate) : 0;
  if (o->rate == 0) {
    for (int p = 0; p < o->publishers; p++)
      for (int k = 0; k < o->window; k++)
        if (publish(r, &r->conns[p], now_ns()) < 0) return -1;
  }
  for (;;) {
    int64_t now = now_ns();
    if (cpu_from < 0 && now >= r->measure_from) {
      cpu_from = cpu_seconds();
      r->tally.window_start_unix = unix_seconds();
    }
    if (cpu_to < 0 && now >= r->measure_to) {
      cpu_to = cpu_seconds();
      r->tally.window_end_unix = unix_seconds();
    }
    int64_t wait = 10 * 1000000LL;
    if (next < total) {
      for (; next < total; next++) {
        int64_t due = r->t0 + (int64_t)((double)next * 1e9 / o->rate);
        if (due > now) {
          if (due - now < wait) wait = due - now;
          break;
        }
        if (publish(r, &r->conns[next % (uint64_t)o->publishers], due) < 0) return -1;
      }
    }
    if (now >= r->measure_to && next >= total &&
        (r->tally.received >= r->tally.expected || now >= r->measure_to + (int64_t)(o->drain * 1e9)))
      break;
    if (now < r->measure_to && r->measure_to - now < wait) wait = r->measure_to - now;
    if (flush_all(r) < 0 || poll_once(r, wait) < 0) return -1;
  }
  r->tally.cpu_seconds = cpu_to - cpu_from;
  return 0;
}
