#include "shard/snapshot.h"

#include <chrono>
#include <memory>
#include <thread>

#include "shard/shard.h"

namespace chatd::shard {

std::vector<std::optional<metrics::ShardSnapshot>> snapshot_shards(xshard::Mesh& mesh) {
  const uint32_t n = mesh.shards();
  auto request = std::make_shared<SnapshotRequest>(n);
  std::vector<bool> posted(n, false);
  for (uint32_t i = 0; i < n; ++i) {
    const xshard::Envelope e = Shard::snapshot_envelope(request);
    posted[i] = mesh.post_from_outside(i, e);
    if (!posted[i]) Shard::drop_snapshot_envelope(e);
  }
  std::vector<std::optional<metrics::ShardSnapshot>> out(n);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(250);
  for (uint32_t i = 0; i < n; ++i) {
    while (posted[i] && !request->done[i].load(std::memory_order_acquire) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (request->done[i].load(std::memory_order_acquire)) out[i] = std::move(request->shards[i]);
  }
  return out;
}

}  // namespace chatd::shard
