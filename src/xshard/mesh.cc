#include "xshard/mesh.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

namespace chatd::xshard {

Result<std::unique_ptr<Mesh>> Mesh::create(uint32_t shards, std::size_t ring_capacity) {
  auto mesh = std::make_unique<Mesh>();
  for (uint32_t i = 0; i < shards; ++i) {
    auto box = std::make_unique<Mailbox>(ring_capacity);
    box->wakeup_fd.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!box->wakeup_fd.valid()) return system_error("eventfd", errno);
    mesh->boxes_.push_back(std::move(box));
  }
  return mesh;
}

bool Mesh::prepare_to_sleep(uint32_t shard) {
  Mailbox& box = *boxes_[shard];
  box.sleeping.store(true, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with the fence in wake()
  if (!box.ring.empty()) {
    box.sleeping.store(false, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void Mesh::wake(uint32_t shard) {
  Mailbox& box = *boxes_[shard];
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with prepare_to_sleep()
  if (box.sleeping.load(std::memory_order_relaxed) && box.sleeping.exchange(false, std::memory_order_relaxed)) {
    uint64_t one = 1;
    (void)!::write(box.wakeup_fd.get(), &one, sizeof one);
  }
}

bool Mesh::post_from_outside(uint32_t shard, Envelope e) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (boxes_[shard]->ring.try_push(e)) {
      wake(shard);
      return true;
    }
    usleep(1000);
  }
  return false;
}

}  // namespace chatd::xshard
