// Where an HTTP request head ends, by the rule src/http/request_head.h states, written as
// a plain scan: lines end in CRLF, the first empty line ends the head, only the first
// kMaxHeadBytes are looked at. Here, uninstrumented, so that the scan over every received
// prefix does not drown the parser's coverage signal.
#pragma once

#include <cstddef>
#include <string_view>

namespace chatd::fuzz {

// reference_head_end's answer for a refusal of the framing itself: a bare LF, an empty
// request line, or kMaxHeadBytes without the empty line.
constexpr std::size_t kHeadRefused = std::string_view::npos;

// The length of the head at the start of `buffered`, 0 while no verdict is due, or
// kHeadRefused.
std::size_t reference_head_end(std::string_view buffered);

}  // namespace chatd::fuzz
