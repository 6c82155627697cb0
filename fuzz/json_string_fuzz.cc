// Fuzz target: the JSON writer's escaping (json_writer.h) round-tripped through simdjson
// and through chatd's own request parser.
//
// The input is one string. Invariants checked (docs/fuzzing.md):
//   - append_json_string writes a quoted string with no raw control byte in it;
//   - for valid UTF-8 (the writer's precondition: the parser has checked every string that
//     reaches it), the DOM parser reads back exactly the input, and so do On Demand and
//     JsonRequestParser when it is a request's text and rid; the rid comes back encoded
//     exactly as the writer encodes it;
//   - append_int writes what std::from_chars and the DOM parser read back as the same
//     int64 (the first 8 input bytes as the number).
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "proto/json_request_parser.h"
#include "proto/json_writer.h"
#include "support/check.h"
#include "support/padded_bytes.h"

namespace chatd::fuzz {
namespace {

simdjson::dom::parser& dom_parser() {
  static simdjson::dom::parser parser;
  return parser;
}

void check_encoding_shape(std::string_view s, std::string_view encoded) {
  FUZZ_CHECK(encoded.size() >= 2 && encoded.front() == '"' && encoded.back() == '"',
             "not quoted: " + printable(encoded));
  for (unsigned char c : encoded) {
    FUZZ_CHECK(c >= 0x20, "raw control byte in \"" + printable(encoded) + "\" from \"" + printable(s) + "\"");
  }
}

void check_dom_round_trip(std::string_view s, const std::string& encoded) {
  std::string_view back;
  const auto e = dom_parser().parse(encoded).get_string().get(back);
  FUZZ_CHECK(e == simdjson::SUCCESS, "DOM refused " + printable(encoded) + ": " + simdjson::error_message(e));
  FUZZ_CHECK(back == s, "DOM read \"" + printable(back) + "\" from " + printable(encoded) + ", wrote \"" +
                            printable(s) + "\"");
}

void check_on_demand_round_trip(std::string_view s, const std::string& encoded) {
  static simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(encoded);
  std::string_view back;
  auto doc = parser.iterate(padded);
  const auto e = doc.get_string().get(back);
  FUZZ_CHECK(e == simdjson::SUCCESS, "On Demand refused " + printable(encoded) + ": " + simdjson::error_message(e));
  FUZZ_CHECK(back == s, "On Demand read \"" + printable(back) + "\", wrote \"" + printable(s) + "\"");
}

// A msg request carrying the string as its text and its rid, as a client would write it.
void check_request_round_trip(std::string_view s, const std::string& encoded) {
  static proto::JsonRequestParser parser;
  std::string frame;
  proto::JsonWriter w(frame);
  w.begin_object().field("op", "msg").field("room", "lobby").field("text", s).raw_field("rid", encoded).end_object();
  const PaddedBytes padded(frame, '"');
  proto::Request r;
  const proto::ParseOutcome outcome = parser.parse(padded.view(), r);
  FUZZ_CHECK(outcome.ok(), "request refused (" + std::string(outcome.message) + "): " + printable(frame));
  FUZZ_CHECK(r.op == proto::Op::msg && r.room == "lobby", "request misread: " + printable(frame));
  FUZZ_CHECK(r.text_state == proto::FieldState::present && r.text == s,
             "text read as \"" + printable(r.text) + "\" from " + printable(frame));
  FUZZ_CHECK(r.rid == encoded, "rid re-encoded as " + printable(r.rid) + ", sent " + printable(encoded));
}

void check_int_round_trip(int64_t n) {
  std::string text;
  proto::append_int(text, n);
  int64_t back = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), back);
  FUZZ_CHECK(ec == std::errc() && end == text.data() + text.size() && back == n,
             "append_int(" + std::to_string(n) + ") wrote \"" + text + "\"");
  int64_t dom_back = 0;
  FUZZ_CHECK(dom_parser().parse(text).get_int64().get(dom_back) == simdjson::SUCCESS && dom_back == n,
             "DOM did not read " + text + " back");
}

}  // namespace
}  // namespace chatd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace chatd::fuzz;
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  std::string encoded;
  chatd::proto::append_json_string(encoded, s);
  check_encoding_shape(s, encoded);
  if (simdjson::validate_utf8(s.data(), s.size())) {
    check_dom_round_trip(s, encoded);
    check_on_demand_round_trip(s, encoded);
    check_request_round_trip(s, encoded);
  }
  int64_t n = 0;
  if (size > 0) std::memcpy(&n, data, size < sizeof n ? size : sizeof n);
  check_int_round_trip(n);
  return 0;
}
