// Choosing a backend (backend.h): the ordered list, the probe and the forced failure
// that tests/backend_test.cc relies on.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "reactor/reactor.h"

namespace chatd::reactor {
namespace {

// Sets CHATD_FORCE_URING_FAILURE for one scope.
class ForcedUringFailure {
 public:
  ForcedUringFailure() { ::setenv("CHATD_FORCE_URING_FAILURE", "1", 1); }
  ~ForcedUringFailure() { ::unsetenv("CHATD_FORCE_URING_FAILURE"); }
};

TEST(ChooseBackend, EpollIsAlwaysAvailable) {
  auto chosen = choose_backend(Backend::epoll);
  ASSERT_TRUE(chosen.ok()) << chosen.error().message;
  EXPECT_EQ(*chosen, Backend::epoll);
}

TEST(ChooseBackend, AutoPicksUringWhenItsProbePasses) {
  if (auto ok = probe_uring(); !ok) GTEST_SKIP() << ok.error().message;
  auto chosen = choose_backend(Backend::auto_select);
  ASSERT_TRUE(chosen.ok()) << chosen.error().message;
  EXPECT_EQ(*chosen, Backend::uring);
}

TEST(ChooseBackend, AutoFallsBackToEpollWhenUringIsRefused) {
  ForcedUringFailure forced;
  auto chosen = choose_backend(Backend::auto_select);
  ASSERT_TRUE(chosen.ok()) << chosen.error().message;
  EXPECT_EQ(*chosen, Backend::epoll);
}

TEST(ChooseBackend, UringAskedForByNameFailsWithTheReason) {
  ForcedUringFailure forced;
  auto chosen = choose_backend(Backend::uring);
  ASSERT_FALSE(chosen.ok());
  // A build without liburing says so instead; either way the reason is named.
  EXPECT_TRUE(chosen.error().message.find("CHATD_FORCE_URING_FAILURE") != std::string::npos ||
              chosen.error().message.find("built without io_uring") != std::string::npos)
      << chosen.error().message;
}

TEST(MakeReactor, MakesTheChosenBackendAndRefusesAnUnresolvedAuto) {
  auto chosen = choose_backend(Backend::auto_select);
  ASSERT_TRUE(chosen.ok());
  auto made = make_reactor(*chosen);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ((*made)->name(), *chosen == Backend::uring ? "uring" : "epoll");
  EXPECT_FALSE(make_reactor(Backend::auto_select).ok());
}

}  // namespace
}  // namespace chatd::reactor
