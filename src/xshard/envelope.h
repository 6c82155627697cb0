// What travels in a shard's ring: a function to run on the receiving shard and its
// argument. The transport moves these 16 bytes and never looks inside; the sender
// picks the function, so the route is in the type the sender names, not in a tag
// the receiver switches on. Who owns `body` is the sender's and receiver's affair
// (src/shard/cross_shard_messages.h says it for chatd's messages).
#pragma once

namespace chatd::xshard {

struct Envelope {
  // Runs on the receiving shard's thread; `receiver` is whatever that shard passed
  // to its drain (chatd passes the Shard). Called with a null receiver, it must
  // only free the body: that is how an envelope nobody will run is let go.
  using Deliver = void (*)(void* receiver, void* body);

  Deliver deliver = nullptr;
  void* body = nullptr;

  void open(void* receiver) const { deliver(receiver, body); }
  // For envelopes still queued when the rings and outboxes go away (a server
  // torn down in-process, in tests): frees the body without running anything.
  void discard() const {
    if (deliver) deliver(nullptr, body);
  }
};

}  // namespace chatd::xshard
