// fanout_client — chatd's second, independent load client (plain C, one thread,
// epoll), for checking loadgen's headline figures. It shares no code with
// loadgen and speaks chatd's JSON mode, Redis pub/sub (RESP) or NATS, so the same
// run can be pointed at each.
//
//   fanout_client --target chatd|redis|nats --port P --members N [--rooms K]
//                 [--publishers P] (--rate R | --window W) [--seconds S]
//                 [--warmup S] [--size B] [--drain S] [--hgrm FILE] [--host ADDR]
//
// N members join K rooms (member i in room i % K); members 0..P-1 also publish
// to their room. Open loop (--rate R, messages/s in total): message k is due at
// t0 + k/R from publisher k % P, and its latency runs from that intended time.
// Closed loop (--window W): each publisher keeps W of its own messages
// unacknowledged; its own echo acknowledges one. Deliveries/s counts the
// deliveries received between --warmup and --seconds; latency covers the
// messages sent in that window. The run_* figures cover every message, as
// loadgen's do. Prints one line of key=value (see report()).
//
// Build (scripts/bench.sh does, into build/bench-tools/):
//   cc -O2 -o fanout_client bench/fanout_client/{main,run,wire,latency_hist}.c -lm
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fanout_client.h"

static void usage(FILE *to) {
  fprintf(to,
          "usage: fanout_client --target chatd|redis|nats --port P --members N [--rooms K]\n"
          "                     [--publishers P] (--rate R | --window W) [--seconds S]\n"
          "                     [--warmup S] [--size B] [--drain S] [--hgrm FILE] [--host ADDR]\n"
          "N members in K rooms (default 1); members 0..P-1 (default all) also publish.\n"
          "--rate R: open loop, R messages/s in total, latency from the intended send time;\n"
          "--window W: closed loop, W unacknowledged messages per publisher.\n"
          "Defaults: --seconds 5 --warmup 1 --size 64 --drain 10 --host 127.0.0.1.\n");
}

static int parse(int argc, char **argv, struct options *o) {
  *o = (struct options){.target = WIRE_CHATD, .host = "127.0.0.1", .rooms = 1, .publishers = -1,
                        .seconds = 5, .warmup = 1, .drain = 10, .size = 64};
  int have_target = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); exit(0); }
    if (i + 1 >= argc) { fprintf(stderr, "fanout_client: %s needs a value\n", a); return -1; }
    const char *v = argv[++i];
    if (!strcmp(a, "--target")) {
      if (!strcmp(v, "chatd")) o->target = WIRE_CHATD;
      else if (!strcmp(v, "redis")) o->target = WIRE_REDIS;
      else if (!strcmp(v, "nats")) o->target = WIRE_NATS;
      else { fprintf(stderr, "fanout_client: --target chatd, redis or nats\n"); return -1; }
      have_target = 1;
    } else if (!strcmp(a, "--host")) o->host = v;
    else if (!strcmp(a, "--port")) o->port = atoi(v);
    else if (!strcmp(a, "--members")) o->members = atoi(v);
    else if (!strcmp(a, "--rooms")) o->rooms = atoi(v);
    else if (!strcmp(a, "--publishers")) o->publishers = atoi(v);
    else if (!strcmp(a, "--rate")) o->rate = atof(v);
    else if (!strcmp(a, "--window")) o->window = atoi(v);
    else if (!strcmp(a, "--seconds")) o->seconds = atof(v);
    else if (!strcmp(a, "--warmup")) o->warmup = atof(v);
    else if (!strcmp(a, "--drain")) o->drain = atof(v);
    else if (!strcmp(a, "--size")) o->size = atoi(v);
    else if (!strcmp(a, "--hgrm")) o->hgrm_path = v;
    else { fprintf(stderr, "fanout_client: unknown option %s\n", a); return -1; }
  }
  if (o->publishers < 0) o->publishers = o->members;
  const char *bad = NULL;
  if (!have_target || o->port <= 0 || o->port > 65535) bad = "--target and --port are required";
  else if (o->members < 1 || o->rooms < 1 || o->rooms > o->members) bad = "need 1 <= --rooms <= --members";
  else if (o->publishers < 1 || o->publishers > o->members) bad = "need 1 <= --publishers <= --members";
  else if ((o->rate > 0) == (o->window > 0)) bad = "give exactly one of --rate and --window";
  else if (o->seconds <= 0 || o->warmup < 0 || o->warmup >= o->seconds) bad = "need 0 <= --warmup < --seconds";
  else if (o->size < 1 || o->size > 4096) bad = "--size is 1..4096";
  if (bad) { fprintf(stderr, "fanout_client: %s\n", bad); return -1; }
  return 0;
}

static void raise_fd_limit(int members) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t)members + 16)
    fprintf(stderr, "fanout_client: the open-file limit (%llu) is below --members\n", (unsigned long long)rl.rlim_cur);
}

static void report(const struct run *r) {
  const struct options *o = &r->opt;
  const struct tally *t = &r->tally;
  const double window = o->seconds - o->warmup;
  const struct latency_hist *h = &t->hist;
  const double run_seconds = (double)(t->last_delivery - t->first_send) / 1e9;
  printf("fanout_client target=%s members=%d rooms=%d publishers=%d loop=%s rate=%g window=%d size=%d "
         "seconds=%.2f warmup=%.2f sent=%llu expected=%llu received=%llu lost=%lld errors=%llu foreign=%llu "
         "deliveries_per_second=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f "
         "latency_count=%llu cpu_seconds=%.3f cpu_per_second=%.3f window_start_unix=%.6f window_end_unix=%.6f "
         "run_deliveries_per_second=%.0f run_p50_ms=%.3f run_p99_ms=%.3f\n",
         o->target == WIRE_CHATD ? "chatd" : o->target == WIRE_REDIS ? "redis" : "nats", o->members, o->rooms, o->publishers,
         o->rate > 0 ? "open" : "closed", o->rate, o->window, o->size, o->seconds, o->warmup,
         (unsigned long long)t->sent, (unsigned long long)t->expected, (unsigned long long)t->received,
         (long long)(t->expected - t->received), (unsigned long long)t->errors, (unsigned long long)t->foreign,
         (double)t->window_deliveries / window, hist_quantile_us(h, 0.5) / 1e3, hist_quantile_us(h, 0.9) / 1e3,
         hist_quantile_us(h, 0.99) / 1e3, hist_quantile_us(h, 0.999) / 1e3, (double)h->max_us / 1e3,
         (unsigned long long)h->total, t->cpu_seconds, t->cpu_seconds / window, t->window_start_unix,
         t->window_end_unix, run_seconds > 0 ? (double)t->received / run_seconds : 0.0,
         hist_quantile_us(&t->hist_all, 0.5) / 1e3, hist_quantile_us(&t->hist_all, 0.99) / 1e3);
  fflush(stdout);
  if (o->hgrm_path) {
    FILE *f = fopen(o->hgrm_path, "w");
    if (!f) { perror(o->hgrm_path); return; }
    hist_write_hgrm(h, f);
    fclose(f);
  }
}

int main(int argc, char **argv) {
  static struct run r;  // the histogram is large: not on the stack
  if (parse(argc, argv, &r.opt) < 0) { usage(stderr); return 2; }
  raise_fd_limit(r.opt.members);
  r.conns = calloc((size_t)r.opt.members, sizeof *r.conns);
  r.room_size = calloc((size_t)r.opt.rooms, sizeof *r.room_size);
  r.flush_list = calloc((size_t)r.opt.members, sizeof *r.flush_list);
  snprintf(r.run_tag, sizeof r.run_tag, "fc%dt%lld", (int)getpid(), (long long)(now_ns() / 1000000 % 100000));
  if (run_setup(&r) < 0) return 1;
  if (run_traffic(&r) < 0) return 1;
  report(&r);
  return r.tally.received == r.tally.expected && r.tally.errors == 0 ? 0 : 1;
}
