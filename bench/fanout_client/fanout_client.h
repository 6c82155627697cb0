// fanout_client's run: the options, the connections and the tallies shared by
// main.c (options, report) and run.c (the event loop).
#ifndef FANOUT_CLIENT_H
#define FANOUT_CLIENT_H

#include <stdint.h>
#include <stdio.h>

#include "latency_hist.h"
#include "wire.h"

struct options {
  enum wire_target target;
  const char *host;
  int port;
  int members;     // connections, each a member of one room
  int rooms;       // member i is in room i % rooms
  int publishers;  // members 0..publishers-1 also publish (to their own room)
  double rate;     // open loop: messages/s in total (0: closed loop)
  int window;      // closed loop: messages in flight per publisher
  double seconds;  // publishing time
  double warmup;   // first part of it left out of the figures
  double drain;    // longest wait for the last deliveries after publishing stops
  int size;        // message text bytes
  const char *hgrm_path;
};

struct conn {
  int fd;
  int index;
  int room;
  int ready;
  int dirty;          // has unsent output and is on the flush list
  int want_out;       // EPOLLOUT armed
  uint32_t inflight;  // closed loop: own messages not yet echoed
  char *in;           // the incomplete frame from the last read
  size_t in_len, in_cap;
  char *out;          // bytes the kernel did not take yet
  size_t out_off, out_len, out_cap;
};

struct tally {
  uint64_t sent;
  uint64_t expected;       // sum over sent messages of their room's size
  uint64_t received;       // deliveries of this run's messages
  uint64_t window_deliveries;  // received inside [measure_from, measure_to)
  uint64_t errors;         // error frames from the server
  uint64_t foreign;        // message texts not in this client's format
  struct latency_hist hist;  // messages sent inside the measured window
  // The whole run, defined as loadgen defines a step's figures (every message;
  // deliveries/s = received / (first send -> last delivery)), for the agreement check.
  struct latency_hist hist_all;
  int64_t first_send, last_delivery;
  double cpu_seconds;      // this process, over the measured window
  double window_start_unix, window_end_unix;  // CLOCK_REALTIME, for outside meters
};

struct run {
  struct options opt;
  struct conn *conns;
  int *room_size;
  char run_tag[24];
  int epfd;
  int *flush_list;
  int flush_len;
  int ready;
  int64_t t0, measure_from, measure_to;  // CLOCK_MONOTONIC ns
  struct tally tally;
};

int64_t now_ns(void);
// Connects every member, greets, and waits until all are ready (0) or fails (-1,
// having said why on stderr).
int run_setup(struct run *r);
// Publishes for opt.seconds, then drains; fills r->tally.
int run_traffic(struct run *r);

#endif
