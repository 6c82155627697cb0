// Parameterised fixtures that run each test against a real chatd.
//
// Starting a server per test is cheap but not free (and much slower under
// ASAN), so SharedServerTest keeps one server per (backend, shards, flags)
// for the whole test binary; tests on it use unique user and room names
// (uniq()) so they cannot see each other. A test that needs exact global
// state (the full user list, the full room list) starts its own server.
// After every test the fixture checks that the server is still alive, so a
// crash is reported against the test that caused it, with chatd's stderr.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "chatd_process.h"

namespace chatd_it {

struct ServerParam {
  std::string backend;
  int shards;
};

std::ostream& operator<<(std::ostream& os, const ServerParam& p);
std::string param_name(const testing::TestParamInfo<ServerParam>& info);

// {uring, epoll} × shards.
std::vector<ServerParam> backends_x(std::vector<int> shards);

// The shared server for this configuration, started on first use.
ChatdProcess& shared_server(const std::string& backend, int shards,
                            const std::vector<std::string>& extra = {});

// The last `n` bytes of the server's stderr, for failure messages.
std::string stderr_tail(const ChatdProcess& p, size_t n = 4000);

class SharedServerTest : public testing::TestWithParam<ServerParam> {
 protected:
  // Extra flags for this suite's server.
  virtual std::vector<std::string> extra_flags() const { return {}; }

  void SetUp() override;
  void TearDown() override;

  ChatdProcess& server() { return *server_; }
  uint16_t port() const { return server_->port(); }
  int shards() const { return GetParam().shards; }

  // A server of this suite's configuration owned by this test alone.
  std::unique_ptr<ChatdProcess> fresh_server(const std::vector<std::string>& extra = {});

 private:
  ChatdProcess* server_ = nullptr;
};

// A server of the parameter's configuration started for each test, for tests
// that need the whole server to themselves; TearDown reports a crash with
// chatd's stderr.
class FreshServerTest : public testing::TestWithParam<ServerParam> {
 protected:
  void SetUp() override { server_ = ChatdProcess::start(GetParam().backend, GetParam().shards); }
  void TearDown() override;

  uint16_t port() const { return server_->port(); }
  int shards() const { return GetParam().shards; }

  std::unique_ptr<ChatdProcess> server_;
};

}  // namespace chatd_it
