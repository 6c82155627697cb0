#include "ws/reader.h"

namespace chatd::ws {

void WsReader::hold(const WsEvent& event) {
  // The payload lives in a receive chunk or the decoder's message buffer, both gone by
  // resume(): keep a copy (padded, like every text the reader hands out).
  held_bytes_.clear();
  held_bytes_.append(event.payload.data(), event.payload.size());
  held_event_ = event;
  held_event_.payload = held_bytes_.view();
  held_ = true;
}

}  // namespace chatd::ws
