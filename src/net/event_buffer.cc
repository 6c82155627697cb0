#include "net/event_buffer.h"

#include <cstring>
#include <new>

#include "net/event_pool.h"

namespace chatd::net {

EventBuffer* EventBuffer::allocate(EventPool* pool, const EventRoute& route, std::size_t json_len,
                                   std::size_t text_len) {
  const std::size_t bytes = sizeof(EventBuffer) + route.room.size() + json_len + text_len;
  auto* b = new (EventPool::allocate(pool, bytes)) EventBuffer();
  b->refs_.store(1, std::memory_order_relaxed);
  b->room_len_ = uint16_t(route.room.size());
  b->json_len_ = uint32_t(json_len);
  b->text_len_ = uint32_t(text_len);
  b->exclude_session_ = route.exclude_session;
  b->arrived_ = route.arrived;
  b->is_message_ = route.is_message;
  b->credit_ = route.credit;
  // An empty view may carry a null pointer, which memcpy must never see.
  if (!route.room.empty()) std::memcpy(b->data_, route.room.data(), route.room.size());
  return b;
}

EventBuffer* EventBuffer::create(EventPool* pool, std::string_view json, std::string_view text,
                                 const EventRoute& route, uint32_t refs) {
  EventBuffer* b = allocate(pool, route, json.size(), text.size());
  b->refs_.store(refs, std::memory_order_relaxed);
  if (!json.empty()) std::memcpy(b->json_bytes(), json.data(), json.size());
  if (!text.empty()) std::memcpy(b->text_bytes(), text.data(), text.size());
  return b;
}

void EventBuffer::destroy() {
  this->~EventBuffer();
  EventPool::release(this);
}

}  // namespace chatd::net
