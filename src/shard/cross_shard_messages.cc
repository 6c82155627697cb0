#include "shard/cross_shard_messages.h"

#include <cstring>
#include <new>
#include <type_traits>

namespace chatd::shard {

static_assert(std::is_trivially_destructible_v<Publish>, "a Publish block is given back without a destructor");

Publish* Publish::make(net::EventPool& pool, const MessageDraft& m) {
  const std::size_t bytes = sizeof(Publish) + m.room.size() + m.from.size() + m.text.size() + m.id.size();
  auto* p = new (net::EventPool::allocate(&pool, bytes)) Publish();
  p->fields_ = m;
  char* at = p->data_;
  for (std::string_view* field : {&p->fields_.room, &p->fields_.from, &p->fields_.text, &p->fields_.id}) {
    if (!field->empty()) std::memcpy(at, field->data(), field->size());  // an empty view may hold null
    *field = std::string_view(at, field->size());
    at += field->size();
  }
  return p;
}

MessageDraft Publish::draft() const { return fields_; }

}  // namespace chatd::shard
