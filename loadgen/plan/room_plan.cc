#include "loadgen/plan/room_plan.h"

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

RoomPlan::RoomPlan(std::string run, uint32_t rooms, uint64_t seed) : run_(std::move(run)) {
  order_.resize(rooms == 0 ? 1 : rooms);
  for (uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
  uint64_t state = seed;
  for (std::size_t i = order_.size(); i > 1; --i) {  // Fisher-Yates
    std::size_t j = splitmix64(state) % i;
    std::swap(order_[i - 1], order_[j]);
  }
}

std::string RoomPlan::room_name(uint32_t room) const { return "lg-" + run_ + "-r" + std::to_string(room); }

std::string RoomPlan::user_name(uint64_t client) const { return "lg-" + run_ + "-" + std::to_string(client); }

std::vector<uint32_t> RoomPlan::room_sizes(uint64_t clients) const {
  std::vector<uint32_t> sizes(order_.size(), 0);
  for (uint64_t c = 0; c < clients; ++c) ++sizes[room_of(c)];
  return sizes;
}

}  // namespace chatd::loadgen
