// Ways to cut one input into the chunks a stream parser receives, for targets that check
// "the same result whatever the split" (line_json, http_head, ws_frames).
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <string_view>
#include <vector>

namespace chatd::fuzz {

// Cuts where `plan` says: each chunk 1..rest bytes long. Once `plan` runs dry the rest is
// one chunk (an exhausted provider answers the minimum forever). The views point into
// `input`; copy each into a PaddedBytes before feeding it, so that the parser sees each
// chunk in a block of its own, as it would from recv().
inline std::vector<std::string_view> fuzzed_chunks(std::string_view input, FuzzedDataProvider& plan) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < input.size()) {
    std::size_t len = input.size() - pos;
    if (plan.remaining_bytes() > 0) len = plan.ConsumeIntegralInRange<std::size_t>(1, len);
    out.push_back(input.substr(pos, len));
    pos += len;
  }
  return out;
}

}  // namespace chatd::fuzz
