// SIGTERM in the middle of a burst (issue 11, "Faults"): the graceful stop of
// docs/protocol.md ("Guarantees") may not lose what it already accepted.
// Every message that got a seq must reach every member that reads as fast as
// it can before chatd exits, and chatd exits 0 within --drain-timeout + 1 s.
//
// The sender keeps at most 400 messages (~90 KiB) ahead of the slowest
// member, so no member is ever near --max-outbound (4 MiB): a loss here is
// the stop's fault, not the bound's. An unpaced burst also overflows members
// that keep up until the sender is pushed back; burst_test.cc has
// that case.
#include <gtest/gtest.h>

#include "sigterm_burst.h"

namespace chatd_it {
namespace {

class ShutdownBurst : public testing::TestWithParam<ServerParam> {};

INSTANTIATE_TEST_SUITE_P(Backends, ShutdownBurst, testing::ValuesIn(backends_x({1, 4})),
                         param_name);

TEST_P(ShutdownBurst, EverySequencedMessageReachesEveryMemberBeforeExit) {
  sigterm_in_a_burst(GetParam(), 400);
}

}  // namespace
}  // namespace chatd_it
