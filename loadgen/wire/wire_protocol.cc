#include "loadgen/wire/wire_protocol.h"

#include "loadgen/wire/chatd_wire.h"
#include "loadgen/wire/chatd_ws_wire.h"
#include "loadgen/wire/nats_wire.h"
#include "loadgen/wire/resp_wire.h"

namespace chatd::loadgen {

std::string_view target_name(Target t) {
  switch (t) {
    case Target::chatd: return "chatd";
    case Target::redis: return "redis";
    case Target::nats: return "nats";
  }
  return "?";
}

Result<Target> parse_target(std::string_view name) {
  for (Target t : {Target::chatd, Target::redis, Target::nats})
    if (target_name(t) == name) return t;
  return Error{"'" + std::string(name) + "' is not a target (chatd, redis or nats)"};
}

uint16_t default_port(Target t) {
  switch (t) {
    case Target::chatd: return 7000;
    case Target::redis: return 6379;
    case Target::nats: return 4222;
  }
  return 0;
}

std::unique_ptr<WireProtocol> make_wire_protocol(Target target, const WireOptions& options) {
  switch (target) {
    case Target::redis: return make_resp_wire(options.whisper_acks);
    case Target::nats: return make_nats_wire(options.whisper_acks);
    case Target::chatd: break;
  }
  return options.websocket ? make_chatd_ws_wire(options.auth_secret) : make_chatd_wire(options.auth_secret);
}

}  // namespace chatd::loadgen
