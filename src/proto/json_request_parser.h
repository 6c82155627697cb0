// Parses one JSON frame into a Request with simdjson On Demand, in place: the frame must be
// followed by kFramePadding readable bytes (see line_framer.h), so no frame is copied.
#pragma once

#include <simdjson.h>

#include <string_view>

#include "proto/line_framer.h"
#include "proto/request.h"

namespace chatd::proto {

static_assert(kFramePadding == simdjson::SIMDJSON_PADDING);

class JsonRequestParser {
 public:
  JsonRequestParser();
  // `frame` has at least kFramePadding readable bytes after its end.
  ParseOutcome parse(std::string_view frame, Request& out);

 private:
  simdjson::ondemand::parser parser_;
  simdjson::dom::parser validator_;  // only for frames with a wrong-typed field
};

}  // namespace chatd::proto
