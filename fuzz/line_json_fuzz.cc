// Fuzz target: the JSON-mode input path, LineFramer (line_framer.h) feeding
// JsonRequestParser (json_request_parser.h), as a connection drives them.
//
// The whole input is one received byte stream. It is fed three ways:
//   1. whole, in one chunk;
//   2. one byte per chunk;
//   3. in chunks whose sizes, and the consumer's verdicts (next / pause / hold), are
//      drawn from the input itself with FuzzedDataProvider, some chunks held before the
//      first feed (as while a connection's mode is undecided) and some fed while paused.
// Invariants checked (docs/fuzzing.md):
//   - every way yields the same frames, and the same frame_too_large verdict, as a plain
//     reference splitter;
//   - every frame handed out has kFramePadding readable bytes after it (each chunk is a
//     heap block of exactly its size + padding: ASAN reports a read past it);
//   - parsing a frame gives ok, bad_json or unknown_op, the same whichever memory the
//     frame sits in and whatever the padding holds, and the same request as a reference
//     model built on simdjson's DOM parser (support/request_oracle.h).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/json_request_parser.h"
#include "proto/line_framer.h"
#include "support/check.h"
#include "support/chunks.h"
#include "support/padded_bytes.h"
#include "support/parsed_request.h"
#include "support/request_oracle.h"

namespace chatd::fuzz {
namespace {

using proto::FeedResult;
using proto::FrameVerdict;

constexpr std::size_t kDefaultMaxFrame = 65536;  // chatd's --max-frame default

// What every way of feeding must yield: the frames (views into the input), whether the
// stream ends refused, and what parsing each frame gave the first time (whole).
struct Expectation {
  std::vector<std::string_view> frames;
  bool too_large = false;
  std::vector<ParsedRequest> parsed;
};

// The framing rule of docs/protocol.md, written plainly: a frame ends at '\n', one '\r'
// before it is dropped; a line longer than max_frame (or an unfinished one longer than
// max_frame + 1, which no "\r\n" can bring back under) ends the stream.
Expectation reference_frames(std::string_view s, std::size_t max_frame) {
  Expectation out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) {
      out.too_large = s.size() - pos > max_frame + 1;
      return out;
    }
    std::size_t len = nl - pos;
    if (len > 0 && s[nl - 1] == '\r') --len;
    if (len > max_frame) {
      out.too_large = true;
      return out;
    }
    out.frames.push_back(s.substr(pos, len));
    pos = nl + 1;
  }
}

// The parsers live as long as the process, as a shard's do: allocated once, reused.
proto::JsonRequestParser& request_parser() {
  static proto::JsonRequestParser parser;
  return parser;
}

simdjson::dom::parser& dom_parser() {
  static simdjson::dom::parser parser;
  return parser;
}

ParsedRequest parse_frame(std::string_view frame) {
  touch_padding(frame);
  proto::Request request;
  const proto::ParseOutcome outcome = request_parser().parse(frame, request);
  FUZZ_CHECK(outcome.message != nullptr, "no message for frame \"" + printable(frame) + "\"");
  return snapshot(outcome, request);
}

void check_against_reference_model(std::string_view frame, const ParsedRequest& parsed) {
  const std::optional<ParsedRequest> expected = expected_parse(frame, dom_parser());
  if (!expected) return;
  FUZZ_CHECK(expected->same_meaning(parsed), "frame \"" + printable(frame) + "\"\n  parser: " + describe(parsed) +
                                                 "\n  reference (DOM): " + describe(*expected));
}

enum class Role { record, repeat };

// What a connection's frame callback does: takes or holds each frame, parses what it
// takes. It checks each frame as it comes against the expectation; the first way (whole)
// records the parses that the others must then repeat.
class Consumer {
 public:
  // verdicts == nullptr: take every frame (FrameVerdict::next).
  Consumer(const char* way, Role role, Expectation& want, FuzzedDataProvider* verdicts)
      : way_(way), want_(want), verdicts_(verdicts), record_(role == Role::record) {}

  FrameVerdict operator()(std::string_view frame) {
    const FrameVerdict v = next_verdict();
    if (v == FrameVerdict::hold) {
      touch_padding(frame);
      held_ = true;
      return v;
    }
    held_ = false;
    FUZZ_CHECK(taken_ < want_.frames.size() && frame == want_.frames[taken_],
               way_ + ": frame " + std::to_string(taken_) + " is \"" + printable(frame) + "\", reference: " +
                   (taken_ < want_.frames.size() ? "\"" + printable(want_.frames[taken_]) + "\"" : "none"));
    ParsedRequest parsed = parse_frame(frame);
    if (record_) {
      check_against_reference_model(frame, parsed);
      want_.parsed.push_back(std::move(parsed));
    } else {
      FUZZ_CHECK(parsed == want_.parsed[taken_], way_ + ": frame \"" + printable(frame) + "\" parsed as " +
                                                     describe(parsed) + ", whole: " + describe(want_.parsed[taken_]));
    }
    ++taken_;
    return v;
  }

  void check_end(bool refused) const {
    FUZZ_CHECK(taken_ == want_.frames.size() && refused == want_.too_large,
               way_ + ": " + std::to_string(taken_) + " frames then " + (refused ? "frame_too_large" : "ok") +
                   ", reference: " + std::to_string(want_.frames.size()) + " frames then " +
                   (want_.too_large ? "frame_too_large" : "ok"));
  }

 private:
  FrameVerdict next_verdict() {
    if (verdicts_ == nullptr) return FrameVerdict::next;
    // An exhausted provider gives 0: next. A held frame is taken on its next delivery,
    // as a connection does once its replies are out, so resume() always makes progress.
    const uint8_t b = verdicts_->ConsumeIntegral<uint8_t>();
    if (b % 8 == 7) return FrameVerdict::pause;
    if (b % 8 == 6 && !held_) return FrameVerdict::hold;
    return FrameVerdict::next;
  }

  std::string way_;
  Expectation& want_;
  FuzzedDataProvider* verdicts_;
  bool record_;
  bool held_ = false;
  std::size_t taken_ = 0;
};

// Feeds one chunk, in a block of its own that is freed on return (the framer must have
// copied whatever it keeps), then resumes until the consumer stops pausing.
// Returns false once the stream is refused (frame_too_large).
bool feed_chunk(proto::LineFramer& framer, std::string_view bytes, char pad, Consumer& consumer,
                bool resume_now) {
  FeedResult r;
  {
    const PaddedBytes chunk(bytes, pad);
    r = framer.feed(chunk.view(), consumer);
  }
  while (r == FeedResult::paused && resume_now) r = framer.resume(consumer);
  return r != FeedResult::frame_too_large;
}

bool finish(proto::LineFramer& framer, Consumer& consumer) {
  FeedResult r = FeedResult::paused;
  while (r == FeedResult::paused) r = framer.resume(consumer);
  return r != FeedResult::frame_too_large;
}

// Each returns whether the stream ended refused.
bool feed_whole(std::string_view input, std::size_t max_frame, Consumer& consumer) {
  proto::LineFramer framer(max_frame);
  return !feed_chunk(framer, input, '}', consumer, true);
}

bool feed_bytewise(std::string_view input, std::size_t max_frame, Consumer& consumer) {
  proto::LineFramer framer(max_frame);
  bool ok = true;
  for (std::size_t i = 0; i < input.size() && ok; ++i) ok = feed_chunk(framer, input.substr(i, 1), '"', consumer, true);
  return !ok;
}

bool feed_split(std::string_view input, std::size_t max_frame, FuzzedDataProvider& plan, Consumer& consumer) {
  proto::LineFramer framer(max_frame);
  // A connection whose mode is undecided holds its first chunks unframed (hold()).
  std::size_t held_chunks = plan.ConsumeIntegralInRange<std::size_t>(0, 2);
  bool ok = true;
  for (std::string_view bytes : fuzzed_chunks(input, plan)) {
    if (!ok) break;
    if (held_chunks > 0) {
      --held_chunks;
      framer.hold(bytes);
      continue;
    }
    // Sometimes more input arrives while paused: it queues behind the paused lines.
    ok = feed_chunk(framer, bytes, '\0', consumer, plan.ConsumeBool());
  }
  if (ok) ok = finish(framer, consumer);
  return !ok;
}

}  // namespace
}  // namespace chatd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace chatd::fuzz;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzedDataProvider plan(data, size);
  // The control bytes come from the input's end; a seed that ends in '\n' or '}' keeps the
  // server's default bound, a control byte below 9 makes every frame longer than 16*b bytes
  // too large (0: every non-empty frame).
  const uint8_t bound = plan.ConsumeIntegral<uint8_t>();
  const std::size_t max_frame = bound < 9 ? std::size_t(bound) * 16 : kDefaultMaxFrame;

  Expectation want = reference_frames(input, max_frame);
  want.parsed.reserve(want.frames.size());

  Consumer whole("whole", Role::record, want, nullptr);
  whole.check_end(feed_whole(input, max_frame, whole));

  Consumer bytewise("byte by byte", Role::repeat, want, nullptr);
  bytewise.check_end(feed_bytewise(input, max_frame, bytewise));

  Consumer split("split", Role::repeat, want, &plan);
  split.check_end(feed_split(input, max_frame, plan, split));
  return 0;
}
