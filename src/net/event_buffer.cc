#include "net/event_buffer.h"

#include <cstring>
#include <new>

#include "net/event_pool.h"

namespace chatd::net {

EventBuffer* EventBuffer::allocate(EventPool* pool, const EventRoute& route, std::size_t json_len,
                                   std::size_t text_len) {
  // The frame's payload is the JSON line without its newline.
  const std::size_t ws_header = json_len == 0 ? 0 : ws::frame_header_size(json_len - 1);
  const std::size_t bytes = sizeof(EventBuffer) + route.room.size() + ws_header + json_len + text_len;
  auto* b = new (EventPool::allocate(pool, bytes)) EventBuffer();
  b->refs_.store(1, std::memory_order_relaxed);
  b->room_len_ = uint16_t(route.room.size());
  b->json_len_ = uint32_t(json_len);
  b->text_len_ = uint32_t(text_len);
  b->ws_header_len_ = uint8_t(ws_header);
  b->exclude_session_ = route.exclude_session;
  b->arrived_ = route.arrived;
  b->is_message_ = route.is_message;
  b->credit_ = route.credit;
  // An empty view may carry a null pointer, which memcpy must never see.
  if (!route.room.empty()) std::memcpy(b->data_, route.room.data(), route.room.size());
  if (json_len > 0) ws::prepend_frame_header(ws::Opcode::text, b->json_bytes(), json_len - 1);
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
