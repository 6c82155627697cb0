#include "server_fixture.h"

#include <map>
#include <mutex>

namespace chatd_it {

std::ostream& operator<<(std::ostream& os, const ServerParam& p) {
  return os << server_label(p.backend, p.shards);
}

std::string param_name(const testing::TestParamInfo<ServerParam>& info) {
  return server_label(info.param.backend, info.param.shards);
}

std::vector<ServerParam> backends_x(std::vector<int> shards) {
  std::vector<ServerParam> out;
  for (const char* b : {"uring", "epoll"})
    for (int s : shards) out.push_back({b, s});
  return out;
}

namespace {

std::map<std::string, std::unique_ptr<ChatdProcess>>& pool() {
  // Destroyed at exit, which kills every shared server.
  static std::map<std::string, std::unique_ptr<ChatdProcess>> servers;
  return servers;
}

std::string key_of(const std::string& backend, int shards, const std::vector<std::string>& extra) {
  std::string key = server_label(backend, shards);
  for (auto& e : extra) key += " " + e;
  return key;
}

}  // namespace

std::string stderr_tail(const ChatdProcess& p, size_t n) {
  std::string err = p.stderr_text();
  return err.size() > n ? "..." + err.substr(err.size() - n) : err;
}

ChatdProcess& shared_server(const std::string& backend, int shards,
                            const std::vector<std::string>& extra) {
  auto& slot = pool()[key_of(backend, shards, extra)];
  if (slot && !slot->running()) slot.reset();  // a crash was reported by TearDown
  if (!slot) slot = ChatdProcess::start(backend, shards, extra);
  return *slot;
}

void SharedServerTest::SetUp() {
  server_ = &shared_server(GetParam().backend, GetParam().shards, extra_flags());
  ASSERT_EQ(server_->backend(), GetParam().backend) << "ready line names another backend";
  ASSERT_EQ(server_->shards(), GetParam().shards) << "ready line names another shard count";
}

void SharedServerTest::TearDown() {
  if (!server_) return;
  std::string reports = server_->take_sanitizer_reports();
  if (!reports.empty())
    ADD_FAILURE() << "chatd (" << GetParam() << ") printed sanitizer reports during this test:\n"
                  << reports;
  if (!server_->running()) {
    auto st = server_->wait_exit(0ms);
    ADD_FAILURE() << "chatd (" << GetParam() << ") died during this test: "
                  << (st ? st->describe() : "?") << "\nstderr:\n"
                  << stderr_tail(*server_);
  }
}

std::unique_ptr<ChatdProcess> SharedServerTest::fresh_server(
    const std::vector<std::string>& extra) {
  std::vector<std::string> flags = extra_flags();
  flags.insert(flags.end(), extra.begin(), extra.end());
  return ChatdProcess::start(GetParam().backend, GetParam().shards, flags);
}

void FreshServerTest::TearDown() {
  if (server_ && !server_->running())
    ADD_FAILURE() << "chatd died during this test: " << server_->wait_exit(0ms)->describe() << "\nstderr:\n"
                  << stderr_tail(*server_);
}

}  // namespace chatd_it
