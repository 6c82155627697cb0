// The slack an in-place parser needs after the bytes it parses.
//
// simdjson's On Demand parser reads up to 64 bytes (SIMDJSON_PADDING) past the end of
// its input, so JSON frames are parsed where they were received only if that many
// readable bytes follow them. Two siblings share the promise and neither may include
// the other, so the number lives here, below both:
//   reactor::kRecvPadding >= kParsePadding  (every receive buffer has it after its data)
//   proto::kFramePadding  <= kParsePadding  (a frame handed out in place has only that)
// Each side asserts its half at compile time, so together they assert
// kRecvPadding >= kFramePadding in every build.
#pragma once

#include <cstddef>

namespace chatd {

constexpr std::size_t kParsePadding = 64;

}  // namespace chatd
