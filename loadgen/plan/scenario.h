// The named scenarios and the verdict tiers: plain tables, so the docs, the
// --help text and the tests all read the same numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/clock.h"

namespace chatd::loadgen {

struct Scenario {
  std::string_view name;
  uint32_t users;
  uint32_t rooms;
  Nanos duration;
  // Steady traffic: every user sends this many room messages per second, open
  // loop, so the offered inbound rate is users * per_user_rate.
  double per_user_rate;
  double offered_rate() const { return users * per_user_rate; }
};

std::span<const Scenario> scenarios();
const Scenario* find_scenario(std::string_view name);

// A tier is met when the sustained inbound rate (messages the server accepted
// per second) reaches min_rate and the p95 end-to-end latency stays at or below
// max_p95, with at most kMaxLossRatio of the expected deliveries lost.
struct Tier {
  std::string_view name;
  double min_rate;
  Nanos max_p95;
};

std::span<const Tier> tiers();  // weakest first
constexpr double kMaxLossRatio = 0.001;

// The best tier met, or none.
std::optional<Tier> verdict(double inbound_rate, Nanos p95, uint64_t expected, uint64_t lost);

}  // namespace chatd::loadgen
