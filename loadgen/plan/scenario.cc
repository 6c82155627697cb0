#include "loadgen/plan/scenario.h"

#include <array>

namespace chatd::loadgen {
namespace {

// basic offers 5,000 msg/s (so Silver is the best it can show), extreme 50,000
// msg/s (every tier is reachable); see docs/loadgen.md.
constexpr std::array kScenarios = {
    Scenario{"basic", 1000, 25, 180 * kSeconds, 5.0},
    Scenario{"extreme", 10000, 35, 600 * kSeconds, 5.0},
};

constexpr std::array kTiers = {
    Tier{"Bronze", 1000, 100 * kMillis},
    Tier{"Silver", 5000, 50 * kMillis},
    Tier{"Gold", 10000, 20 * kMillis},
    Tier{"Platinum", 50000, 10 * kMillis},
};

}  // namespace

std::span<const Scenario> scenarios() { return kScenarios; }

const Scenario* find_scenario(std::string_view name) {
  for (const Scenario& s : kScenarios)
    if (s.name == name) return &s;
  return nullptr;
}

std::span<const Tier> tiers() { return kTiers; }

std::optional<Tier> verdict(double inbound_rate, Nanos p95, uint64_t expected, uint64_t lost) {
  if (expected == 0 || double(lost) > kMaxLossRatio * double(expected)) return std::nullopt;
  std::optional<Tier> best;
  // Offered rates carry float noise (1000 users * 5.0/s measured over a run that
  // took a few ms longer than planned): allow half a percent below a threshold.
  for (const Tier& t : kTiers)
    if (inbound_rate >= t.min_rate * 0.995 && p95 <= t.max_p95) best = t;
  return best;
}

}  // namespace chatd::loadgen
