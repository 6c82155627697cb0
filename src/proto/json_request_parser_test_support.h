// The fixture shared by the JsonRequestParser tests: every input lives in an allocation
// of exactly its size + kFramePadding, and the padding holds bytes that would complete a
// truncated object ('}'), so reading past a frame shows up as a wrong answer, and past
// the padding as an ASAN report.
#pragma once

#include "proto/json_request_parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proto/line_framer.h"

namespace chatd::proto {

class JsonRequestParserTest : public ::testing::Test {
 protected:
  ParseOutcome parse(std::string_view json) {
    input_.reset(new char[json.size() + kFramePadding]);
    if (!json.empty()) std::memcpy(input_.get(), json.data(), json.size());
    std::memset(input_.get() + json.size(), '}', kFramePadding);
    return parser_.parse(std::string_view(input_.get(), json.size()), req_);
  }
  ParseError error_of(std::string_view json) { return parse(json).error; }

  JsonRequestParser parser_;
  Request req_;
  std::unique_ptr<char[]> input_;
};

}  // namespace chatd::proto
