#include "net/event_buffer.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace chatd::net {

EventBuffer* EventBuffer::create(std::string_view json, std::string_view text, const EventRoute& route,
                                 uint32_t refs) {
  const std::size_t bytes = sizeof(EventBuffer) + route.room.size() + json.size() + text.size();
  void* mem = std::malloc(bytes);
  if (mem == nullptr) throw std::bad_alloc();
  auto* b = new (mem) EventBuffer();
  b->refs_.store(refs, std::memory_order_relaxed);
  b->room_len_ = uint16_t(route.room.size());
  b->json_len_ = uint32_t(json.size());
  b->text_len_ = uint32_t(text.size());
  b->exclude_session_ = route.exclude_session;
  b->arrived_ = route.arrived;
  b->is_message_ = route.is_message;
  // An empty view may carry a null pointer, which memcpy must never see.
  char* at = b->data_;
  for (std::string_view part : {route.room, json, text}) {
    if (!part.empty()) std::memcpy(at, part.data(), part.size());
    at += part.size();
  }
  return b;
}

void EventBuffer::destroy() {
  this->~EventBuffer();
  std::free(this);
}

}  // namespace chatd::net
