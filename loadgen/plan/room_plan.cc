#include "loadgen/plan/room_plan.h"

#include <charconv>
#include <utility>

namespace chatd::loadgen {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string make_run_token(uint64_t seed, uint64_t nonce) {
  uint64_t state = seed ^ (nonce * 0x2545f4914f6cdd1dULL);
  uint64_t v = splitmix64(state);
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string token;
  for (int i = 0; i < 6; ++i, v /= 36) token += kDigits[v % 36];
  return token;
}

RoomPlan::RoomPlan(std::string run, uint32_t rooms, uint64_t seed, std::string room_prefix)
    : run_(std::move(run)), room_prefix_(std::move(room_prefix)), seed_(seed) {
  if (room_prefix_.empty()) room_prefix_ = "lg-" + run_ + "-r";
  order_.resize(rooms == 0 ? 1 : rooms);
  for (uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
  uint64_t state = seed;
  for (std::size_t i = order_.size(); i > 1; --i) {  // Fisher-Yates
    std::size_t j = splitmix64(state) % i;
    std::swap(order_[i - 1], order_[j]);
  }
}

std::string RoomPlan::room_name(uint32_t room) const { return room_prefix_ + std::to_string(room); }

std::string RoomPlan::user_name(uint64_t client) const {
  std::string name;
  append_user_name(name, client);
  return name;
}

void RoomPlan::append_user_name(std::string& out, uint64_t client) const {
  out += "lg-";
  out += run_;
  out += '-';
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, client);
  out.append(digits, r.ptr);
}

uint32_t RoomPlan::random_peer(uint32_t step, uint32_t sender, uint32_t n, uint32_t clients) const {
  if (clients < 2) return sender;
  uint64_t state =
      seed_ ^ ((uint64_t(step) << 32 | sender) * 0x9e3779b97f4a7c15ULL) ^ (uint64_t(n) * 0xc2b2ae3d27d4eb4fULL);
  // One of the clients - 1 others: draw below that and step over the sender.
  const auto k = uint32_t(splitmix64(state) % (clients - 1));
  return k >= sender ? k + 1 : k;
}

std::vector<uint32_t> RoomPlan::room_sizes(uint64_t clients) const {
  std::vector<uint32_t> sizes(order_.size(), 0);
  for (uint64_t c = 0; c < clients; ++c) ++sizes[room_of(c)];
  return sizes;
}

}  // namespace chatd::loadgen
