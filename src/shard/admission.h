// What a connection carries from its accept until it has logged in, and with it
// when it moves to its home shard after hello (shard/login.cc): so that moving
// neither buys time against --login-timeout, nor resets the count of refused
// tokens, nor loses the --max-conns-per-ip slot it holds.
#pragma once

#include <cstdint>

#include "common/clock.h"

namespace chatd::shard {

struct Admission {
  // Monotonic time by which a hello must have succeeded; 0 once it has (or never
  // set). CLOCK_MONOTONIC is one clock for every thread, so it travels as is.
  Nanos login_by = 0;
  // The IPv4 source address holding a slot in ServerShared::conns_per_address,
  // released when the fd is closed (--max-conns-per-ip on).
  bool holds_address_slot = false;
  uint32_t address = 0;
  // `hello`s refused as unauthorized; the third closes the connection.
  uint8_t refused_hellos = 0;
};

}  // namespace chatd::shard
