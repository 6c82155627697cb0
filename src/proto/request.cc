#include "proto/request.h"

namespace chatd::proto {
namespace {

constexpr std::string_view kOpNames[kOpCount] = {"hello", "join",    "leave",  "msg",  "whisper", "users",
                                                 "rooms", "history", "typing", "ping", "bye"};

}  // namespace

std::string_view op_name(Op op) { return kOpNames[int(op)]; }

bool parse_op(std::string_view name, Op* out) {
  for (int i = 0; i < kOpCount; ++i) {
    if (kOpNames[i] == name) {
      *out = Op(i);
      return true;
    }
  }
  return false;
}

}  // namespace chatd::proto
