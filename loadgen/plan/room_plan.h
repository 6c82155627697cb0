// Who is called what and sits in which room: a pure function of the run's name,
// --rooms and --seed, so every thread (and a re-run with the same seed) agrees.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chatd::loadgen {

class RoomPlan {
 public:
  // `run` is a short token that keeps concurrent runs' names and rooms apart.
  // `room_prefix` names the rooms "<prefix><k>" instead of "lg-<run>-r<k>", so
  // that another client (an independent observer) can find them.
  RoomPlan(std::string run, uint32_t rooms, uint64_t seed, std::string room_prefix = {});

  // Clients are dealt over a seeded permutation of the rooms, so rooms stay
  // within one member of each other in size whatever the client count.
  uint32_t room_of(uint64_t client) const { return order_[client % order_.size()]; }
  uint32_t rooms() const { return uint32_t(order_.size()); }
  // The client's place among its room's members (0, 1, 2, ... in joining order):
  // a dense index for per-sender state kept by each receiver.
  uint32_t member_index(uint64_t client) const { return uint32_t(client / order_.size()); }
  // --hosts: the node (0 .. nodes-1) the client connects to. Each room's members
  // are dealt round robin over the nodes, the room in slot s starting at node
  // s, so every room of at least `nodes` members spans every node (which a plain
  // client % nodes would not when the room count and the node count share a
  // factor), and the nodes' client counts differ by at most half the node count.
  uint32_t node_of(uint64_t client, uint32_t nodes) const {
    return nodes <= 1 ? 0 : uint32_t((client / order_.size() + client % order_.size()) % nodes);
  }
  std::string room_name(uint32_t room) const;     // "lg-<run>-r<k>" or "<prefix><k>"
  std::string user_name(uint64_t client) const;   // "lg-<run>-<n>"
  void append_user_name(std::string& out, uint64_t client) const;  // no allocation once `out` has grown
  const std::string& run() const { return run_; }

  // --whisper: the receiver of message n of `sender` in `step`, uniformly among
  // the other clients [0, clients); a pure function of the seed, so a re-run
  // sends the same whispers. With fewer than two clients, the sender itself.
  uint32_t random_peer(uint32_t step, uint32_t sender, uint32_t n, uint32_t clients) const;

  // Members of each room once clients [0, clients) have joined.
  std::vector<uint32_t> room_sizes(uint64_t clients) const;

 private:
  std::string run_;
  std::string room_prefix_;
  uint64_t seed_;
  std::vector<uint32_t> order_;
};

// splitmix64: the one PRNG step loadgen uses, so seeds mean the same everywhere.
uint64_t splitmix64(uint64_t& state);

// A run token of 6 base-36 characters from the seed and a per-run nonce (time, pid).
std::string make_run_token(uint64_t seed, uint64_t nonce);

}  // namespace chatd::loadgen
