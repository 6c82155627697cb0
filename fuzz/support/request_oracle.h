// What JsonRequestParser::parse must answer for a frame, worked out another way: a full
// simdjson DOM parse (which validates the whole document up front) followed by the field
// rules of docs/protocol.md, applied to the fields in order, the last of a repeated key
// winning. The parser under test reads the same frame with On Demand, validating only
// what it reads (plus its own checks for the rest), so the two meet only if those checks
// leave no hole.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string_view>

#include "support/parsed_request.h"

namespace chatd::fuzz {

// nullopt when the DOM cannot judge the frame: nesting near the depth bound, where the
// two parsers count levels differently (both refuse a frame of ~1000 '[').
std::optional<ParsedRequest> expected_parse(std::string_view frame, simdjson::dom::parser& dom);

}  // namespace chatd::fuzz
