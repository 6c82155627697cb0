#include "support/http_head_reference.h"

#include <algorithm>

#include "http/request_head.h"

namespace chatd::fuzz {

std::size_t reference_head_end(std::string_view buffered) {
  const std::size_t limit = std::min(buffered.size(), http::kMaxHeadBytes);
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < limit; ++i) {
    if (buffered[i] != '\n') continue;
    if (i == line_start || buffered[i - 1] != '\r') return kHeadRefused;
    if (i - line_start == 1) return line_start == 0 ? kHeadRefused : i + 1;
    line_start = i + 1;
  }
  return buffered.size() >= http::kMaxHeadBytes ? kHeadRefused : 0;
}

}  // namespace chatd::fuzz
