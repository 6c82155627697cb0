// Per-room total order (docs/protocol.md, "Guarantees"): with 4 shards, senders
// and receivers homed on different shards, every member sees one room's
// messages in the same order, seq 1..N without gaps, and each sender's own
// messages in the order it sent them.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

class Ordering : public FreshServerTest {};

INSTANTIATE_TEST_SUITE_P(Backends, Ordering, testing::ValuesIn(backends_x({4})), param_name);

// Logs in one client per shard (`per_shard` of them), probing names
// "<prefix>N" until every shard is covered.
std::vector<Client> one_per_shard(uint16_t port, const std::string& prefix, int shards) {
  std::map<int64_t, Client> found;
  for (int i = 0; i < 400 && int(found.size()) < shards; ++i) {
    std::string name = prefix + std::to_string(i);
    Json w;
    Client c = login(port, name, &w);
    int64_t s = w.i64("shard");
    if (!found.count(s)) found.emplace(s, std::move(c));
  }
  if (int(found.size()) < shards)
    throw HarnessError("400 names did not cover all " + std::to_string(shards) + " shards");
  std::vector<Client> out;
  for (auto& [s, c] : found) out.push_back(std::move(c));
  return out;
}

struct Seen {
  int64_t seq;
  std::string room, from, id, text;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{seq " << s.seq << " room " << s.room << " from " << s.from << " id " << s.id
            << "}";
}

// Reads until `expected` msg events arrived; other events are skipped.
std::vector<Seen> collect(Client& c, size_t expected) {
  std::vector<Seen> out;
  while (out.size() < expected) {
    Json j = c.read_json(10s);
    const std::string& ev = j.str("ev");
    if (ev == "error") throw HarnessError("[" + c.label() + "] unexpected error: " + j.raw());
    if (ev != "msg") continue;
    out.push_back({j.i64("seq"), j.str("room"), j.str("from"), j.has("id") ? j.str("id") : "",
                   j.str("text")});
  }
  return out;
}

void check_room_order(const std::map<std::string, std::vector<Seen>>& by_client,
                      const std::vector<std::string>& senders, int per_sender) {
  const auto& [first_name, reference] = *by_client.begin();
  ASSERT_EQ(reference.size(), senders.size() * per_sender);
  for (size_t i = 0; i < reference.size(); ++i)
    ASSERT_EQ(reference[i].seq, int64_t(i + 1)) << first_name << " saw a gap or a duplicate";
  for (auto& [name, seen] : by_client) {
    ASSERT_EQ(seen.size(), reference.size()) << name;
    for (size_t i = 0; i < seen.size(); ++i)
      ASSERT_EQ(seen[i], reference[i]) << name << " and " << first_name << " disagree at " << i;
  }
  for (auto& s : senders) {
    int next = 0;
    for (auto& m : reference) {
      if (m.from != s) continue;
      ASSERT_EQ(m.id, s + "-" + std::to_string(next)) << "messages of " << s << " reordered";
      ++next;
    }
    EXPECT_EQ(next, per_sender) << s;
  }
}

// Runs body(client, is_sender) on one thread per client, all released at once;
// an exception on any thread becomes a test failure.
void run_together(std::vector<Client>& receivers, std::vector<Client>& senders,
                  const std::function<void(Client&, bool)>& body) {
  std::atomic<bool> go{false};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  auto run = [&](Client* c, bool sends) {
    try {
      while (!go) std::this_thread::yield();
      body(*c, sends);
    } catch (const std::exception& e) {
      std::lock_guard lock(mu);
      failures.push_back(e.what());
    }
  };
  for (auto& c : receivers) threads.emplace_back(run, &c, false);
  for (auto& c : senders) threads.emplace_back(run, &c, true);
  go = true;
  for (auto& t : threads) t.join();
  for (auto& f : failures) ADD_FAILURE() << f;
  ASSERT_TRUE(failures.empty());
}

TEST_P(Ordering, OneRoomIsTotallyOrderedAcrossShards) {
  const int shards = GetParam().shards;
  const int kPerSender = 300;
  std::string room = uniq("order");
  std::vector<Client> receivers = one_per_shard(server_->port(), "rcv", shards);
  std::vector<Client> senders = one_per_shard(server_->port(), "snd", shards);
  std::vector<std::string> sender_names;
  for (auto& c : receivers) join(c, room);
  for (auto& c : senders) {
    join(c, room);
    sender_names.push_back(c.label());
  }
  const size_t total = size_t(kPerSender) * senders.size();

  std::mutex mu;
  std::map<std::string, std::vector<Seen>> seen;
  run_together(receivers, senders, [&](Client& c, bool sends) {
    if (sends)
      for (int k = 0; k < kPerSender; ++k)
        c.send(op("msg").s("room", room).s("text", "m" + std::to_string(k)).s("id", c.label() + "-" + std::to_string(k)));
    auto got = collect(c, total);
    std::lock_guard lock(mu);
    seen[c.label()] = std::move(got);
  });
  if (HasFatalFailure()) return;
  check_room_order(seen, sender_names, kPerSender);
}

TEST_P(Ordering, TwoRoomsAreEachTotallyOrdered) {
  const int shards = GetParam().shards;
  const int kPerSenderPerRoom = 150;
  std::string r1 = uniq("ra"), r2 = uniq("rb");
  std::vector<Client> receivers = one_per_shard(server_->port(), "two_r", shards);
  std::vector<Client> senders = one_per_shard(server_->port(), "two_s", shards);
  std::vector<std::string> sender_names;
  for (auto* group : {&receivers, &senders})
    for (auto& c : *group) {
      join(c, r1);
      join(c, r2);
    }
  for (auto& c : senders) sender_names.push_back(c.label());
  const size_t total = size_t(kPerSenderPerRoom) * 2 * senders.size();

  std::mutex mu;
  std::map<std::string, std::map<std::string, std::vector<Seen>>> seen;  // room → client
  run_together(receivers, senders, [&](Client& c, bool sends) {
    if (sends)
      for (int k = 0; k < kPerSenderPerRoom; ++k)
        for (auto* r : {&r1, &r2})
          c.send(op("msg").s("room", *r).s("text", "x").s("id", c.label() + "-" + std::to_string(k)));
    auto got = collect(c, total);
    std::lock_guard lock(mu);
    for (auto& m : got) seen[m.room][c.label()].push_back(m);
  });
  if (HasFatalFailure()) return;
  for (auto* r : {&r1, &r2}) {
    SCOPED_TRACE(*r);
    check_room_order(seen[*r], sender_names, kPerSenderPerRoom);
  }
}

}  // namespace
}  // namespace chatd_it
