// A metrics scrape's view of the shards: each shard copies its own histogram and
// queue gauges on its own thread when asked through its mailbox, so no lock guards
// them.
#pragma once

#include <optional>
#include <vector>

#include "metrics/shard_stats.h"
#include "xshard/mesh.h"

namespace chatd::shard {

// Asks every shard for its snapshot and waits briefly (250 ms); nullopt for a
// shard that did not answer in time. From any thread but a shard's.
std::vector<std::optional<metrics::ShardSnapshot>> snapshot_shards(xshard::Mesh& mesh);

}  // namespace chatd::shard
