// Fuzz target: the WebSocket input path, WsReader (src/ws/reader.h) driving FrameDecoder
// (frame_decoder.h), as a connection on the chat port uses them.
//
// The input is the byte stream a client sends after the handshake. It is fed three ways:
//   1. whole, in one chunk;
//   2. one byte per chunk;
//   3. in chunks cut where the input says (support/chunks.h), the consumer answering
//      next / pause / hold as the input says, some chunks fed while paused, and at a point
//      the input picks the connection handed over: take_buffered() into a fresh reader,
//      as when a connection moves to another shard after `hello`.
// Invariants checked (docs/fuzzing.md):
//   - every way delivers the same events (text messages, pings, pongs, the close code and
//     reason, the error code and reason) in the same order, stops the same way, and, when
//     not stopped, keeps the same unfinished bytes; the whole way matches a reference
//     decoder (support/ws_reference.h);
//   - each chunk sits in a heap block of exactly its size + kFramePadding, freed once
//     fed, so ASAN reports a read past the padding or a view kept past the chunk; every
//     text event has its kFramePadding bytes readable (touch_padding);
//   - text is valid UTF-8, pings and pongs are at most 125 bytes, a close code is one a
//     peer may send (or 1005), an error is 1002, 1003, 1007 or 1009, and nothing follows
//     a close or an error.
// Then a round trip: messages drawn from the input, built with append_client_frame
// (masked with drawn keys, in every length form, fragmented at drawn points with pings
// between fragments, a close at the end), fed whole and at drawn cuts, decode back to
// exactly those messages (a message that is not UTF-8 to a 1007 error).
#include <fuzzer/FuzzedDataProvider.h>
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/check.h"
#include "support/chunks.h"
#include "support/padded_bytes.h"
#include "support/ws_reference.h"
#include "ws/client_frame.h"
#include "ws/reader.h"

namespace chatd::fuzz {
namespace {

using proto::FrameVerdict;
using ws::ReadResult;
using ws::WsEvent;
using ws::WsEventKind;

constexpr std::size_t kDefaultMaxMessage = 65536;  // chatd's --max-frame default

// What a way of feeding delivered.
struct Delivered {
  std::vector<WsSeen> events;
  bool stopped = false;
  std::size_t unfinished = 0;
};

// The connection's event callback: checks each event as it comes, records the ones it
// takes; answers next, or as `verdicts` says.
class EventLog {
 public:
  EventLog(const char* way, std::size_t max_message, FuzzedDataProvider* verdicts)
      : way_(way), max_message_(max_message), verdicts_(verdicts) {}

  FrameVerdict operator()(const WsEvent& e) {
    if (e.kind == WsEventKind::text) touch_padding(e.payload);
    FUZZ_CHECK(!ended(), way_ + ": an event after the stream ended: " + describe(seen(e)));
    const FrameVerdict v = next_verdict();
    if (e.kind == WsEventKind::error) error_offered_ = true;
    if (v == FrameVerdict::hold) {
      held_ = true;
      return v;
    }
    held_ = false;
    check_event(e);
    out.events.push_back(seen(e));
    return v;
  }

  bool ended() const {
    return !out.events.empty() &&
           (out.events.back().kind == WsEventKind::close || out.events.back().kind == WsEventKind::error);
  }
  // A reader that offered an error is closed, never handed over (reader.h).
  bool error_offered() const { return error_offered_; }

  Delivered out;

 private:
  static WsSeen seen(const WsEvent& e) {
    return {e.kind, e.code, std::string(e.payload), e.kind == WsEventKind::error ? std::string(e.why) : ""};
  }

  void check_event(const WsEvent& e) const {
    const auto context = [&] { return way_ + ": " + describe(seen(e)); };
    switch (e.kind) {
      case WsEventKind::text:
        FUZZ_CHECK(simdjson::validate_utf8(e.payload.data(), e.payload.size()), context() + " is not UTF-8");
        FUZZ_CHECK(e.payload.size() <= max_message_, context() + " is over the bound");
        break;
      case WsEventKind::ping:
      case WsEventKind::pong:
        FUZZ_CHECK(e.payload.size() <= ws::kMaxControlPayload, context() + " is over 125 bytes");
        break;
      case WsEventKind::close:
        FUZZ_CHECK(ws::is_sendable_close_code(e.code) || (e.code == ws::close_code::no_status && e.payload.empty()),
                   context() + ": a code no peer may send");
        break;
      case WsEventKind::error:
        FUZZ_CHECK(e.code == ws::close_code::protocol_error || e.code == ws::close_code::unsupported_data ||
                       e.code == ws::close_code::invalid_payload || e.code == ws::close_code::too_big,
                   context() + ": an unexpected close code");
        FUZZ_CHECK(!e.why.empty(), context() + ": no reason");
        break;
    }
  }

  FrameVerdict next_verdict() {
    if (verdicts_ == nullptr) return FrameVerdict::next;
    // An exhausted provider gives 0: next. A held event is taken when offered again, as a
    // connection does once its replies are out, so resume() always makes progress.
    const uint8_t b = verdicts_->ConsumeIntegral<uint8_t>();
    if (b % 8 == 7) return FrameVerdict::pause;
    if (b % 8 == 6 && !held_) return FrameVerdict::hold;
    return FrameVerdict::next;
  }

  std::string way_;
  std::size_t max_message_;
  FuzzedDataProvider* verdicts_;
  bool held_ = false;
  bool error_offered_ = false;
};

// Feeds one chunk in a block of its own, freed on return: the reader must have copied
// whatever it keeps.
ReadResult feed_chunk(ws::WsReader& reader, std::string_view bytes, char pad, EventLog& log) {
  PaddedBytes chunk(bytes, pad);
  return reader.feed({chunk.data(), chunk.size()}, log);
}

ReadResult resume_all(ws::WsReader& reader, ReadResult r, EventLog& log) {
  while (r == ReadResult::paused) r = reader.resume(log);
  return r;
}

Delivered finish(ws::WsReader& reader, ReadResult r, EventLog& log) {
  r = resume_all(reader, r, log);
  log.out.stopped = r == ReadResult::stopped;
  FUZZ_CHECK(log.out.stopped == reader.stopped(), "feed() and stopped() disagree");
  FUZZ_CHECK(log.out.stopped == log.ended(), "stopped without a close or an error event, or the reverse");
  // Once stopped the reader reads nothing more and the connection closes; bytes that came
  // while a close or an error was held stay in buffered() until then, and mean nothing.
  log.out.unfinished = log.out.stopped ? 0 : reader.buffered();
  return log.out;
}

Delivered feed_whole(std::string_view stream, std::size_t max_message) {
  ws::WsReader reader(max_message);
  EventLog log("whole", max_message, nullptr);
  return finish(reader, feed_chunk(reader, stream, '\x81', log), log);
}

Delivered feed_bytewise(std::string_view stream, std::size_t max_message) {
  ws::WsReader reader(max_message);
  EventLog log("byte by byte", max_message, nullptr);
  ReadResult r = ReadResult::ok;
  for (std::size_t i = 0; i < stream.size() && r != ReadResult::stopped; ++i) {
    r = feed_chunk(reader, stream.substr(i, 1), '\xff', log);
  }
  return finish(reader, r, log);
}

Delivered feed_split(std::string_view stream, std::size_t max_message, FuzzedDataProvider& plan) {
  auto reader = std::make_unique<ws::WsReader>(max_message);
  EventLog log("split", max_message, &plan);
  const std::vector<std::string_view> chunks = fuzzed_chunks(stream, plan);
  // After this many chunks the connection moves to a fresh reader (never, when past the end).
  const std::size_t handover = plan.ConsumeIntegralInRange<std::size_t>(0, chunks.size() * 2);
  ReadResult r = ReadResult::ok;
  for (std::size_t i = 0; i < chunks.size() && r != ReadResult::stopped; ++i) {
    r = feed_chunk(*reader, chunks[i], '\0', log);
    // Sometimes more input arrives while paused: it queues behind what is paused.
    if (plan.ConsumeBool()) r = resume_all(*reader, r, log);
    if (i + 1 == handover && r != ReadResult::stopped && !log.error_offered()) {
      const std::string moved = reader->take_buffered();
      FUZZ_CHECK(reader->buffered() == 0, "take_buffered left bytes behind");
      reader = std::make_unique<ws::WsReader>(max_message);
      r = feed_chunk(*reader, moved, '\0', log);
    }
  }
  return finish(*reader, r, log);
}

std::string describe(const std::vector<WsSeen>& events) {
  std::string out;
  for (const WsSeen& e : events) out += "\n    " + describe(e);
  return out;
}

void check_same(const Delivered& want, const Delivered& got, const std::string& way, bool compare_why) {
  bool same = want.events.size() == got.events.size() && want.stopped == got.stopped &&
              want.unfinished == got.unfinished;
  for (std::size_t i = 0; same && i < want.events.size(); ++i) {
    WsSeen a = want.events[i], b = got.events[i];
    if (!compare_why) a.why = b.why = "";
    same = a == b;
  }
  FUZZ_CHECK(same, way + ": " + describe(got.events) + "\n  stopped " + std::to_string(got.stopped) + ", " +
                       std::to_string(got.unfinished) + " bytes unfinished; want:" + describe(want.events) +
                       "\n  stopped " + std::to_string(want.stopped) + ", " + std::to_string(want.unfinished) +
                       " bytes unfinished");
}

// ---- the round trip ----

ws::LengthForm pick_form(FuzzedDataProvider& plan) {
  switch (plan.ConsumeIntegralInRange<int>(0, 2)) {
    case 1: return ws::LengthForm::wide16;  // every payload here is under 65536 bytes
    case 2: return ws::LengthForm::wide64;
    default: return ws::LengthForm::minimal;
  }
}

// One message as 1..4 fragments with pings between them; appends what must come out.
void append_message(FuzzedDataProvider& plan, std::string& stream, Delivered& want) {
  std::string text = plan.ConsumeRandomLengthString(600);
  // Most fuzzed bytes are not UTF-8, so a message would mostly end the stream with 1007:
  // three times in four such a text is made ASCII (valid UTF-8 ones are kept as they are).
  const bool utf8 = simdjson::validate_utf8(text.data(), text.size());
  if (!utf8 && plan.ConsumeIntegralInRange<int>(0, 3) != 0) {
    for (char& c : text) c = char(c & 0x7F);
  }
  const std::size_t pieces = plan.ConsumeIntegralInRange<std::size_t>(1, 4);
  std::size_t from = 0;
  for (std::size_t p = 0; p < pieces; ++p) {
    const bool last = p + 1 == pieces;
    const std::size_t to = last ? text.size() : plan.ConsumeIntegralInRange<std::size_t>(from, text.size());
    ws::append_client_frame({.opcode = p == 0 ? ws::Opcode::text : ws::Opcode::continuation,
                             .payload = std::string_view(text).substr(from, to - from),
                             .mask_key = plan.ConsumeIntegral<uint32_t>(),
                             .fin = last,
                             .length_form = pick_form(plan)},
                            stream);
    from = to;
    if (!last && plan.ConsumeBool()) {
      const std::string ping = plan.ConsumeRandomLengthString(ws::kMaxControlPayload);
      ws::append_client_frame({.opcode = ws::Opcode::ping, .payload = ping, .mask_key = plan.ConsumeIntegral<uint32_t>(),
                               .length_form = ws::LengthForm::minimal},
                              stream);
      if (!want.stopped) want.events.push_back({WsEventKind::ping, 0, ping, {}});
    }
  }
  if (want.stopped) return;
  if (simdjson::validate_utf8(text.data(), text.size())) {
    want.events.push_back({WsEventKind::text, 0, text, {}});
  } else {
    want.events.push_back({WsEventKind::error, ws::close_code::invalid_payload, {}, {}});
    want.stopped = true;
  }
}

void append_close(FuzzedDataProvider& plan, std::string& stream, Delivered& want) {
  static constexpr uint16_t kCodes[] = {1000, 1001, 1003, 1008, 1011, 3000, 4999};
  const uint16_t code = kCodes[plan.ConsumeIntegralInRange<std::size_t>(0, std::size(kCodes) - 1)];
  const std::string reason = plan.ConsumeRandomLengthString(ws::kMaxControlPayload - 2);
  std::string payload = {char(code >> 8), char(code & 0xFF)};
  payload += reason;
  ws::append_client_frame({.opcode = ws::Opcode::close, .payload = payload, .mask_key = plan.ConsumeIntegral<uint32_t>()},
                          stream);
  if (want.stopped) return;
  if (simdjson::validate_utf8(reason.data(), reason.size())) {
    want.events.push_back({WsEventKind::close, code, reason, {}});
  } else {
    want.events.push_back({WsEventKind::error, ws::close_code::invalid_payload, {}, {}});
  }
  want.stopped = true;
}

void check_round_trip(FuzzedDataProvider& plan) {
  std::string stream;
  Delivered want;
  const std::size_t messages = plan.ConsumeIntegralInRange<std::size_t>(0, 6);
  for (std::size_t m = 0; m < messages; ++m) append_message(plan, stream, want);
  if (plan.ConsumeBool()) append_close(plan, stream, want);
  constexpr std::size_t kMax = 4096;  // over any message built here
  check_same(want, feed_whole(stream, kMax), "round trip, whole", false);
  ws::WsReader reader(kMax);
  EventLog log("round trip, split", kMax, nullptr);
  ReadResult r = ReadResult::ok;
  for (std::string_view chunk : fuzzed_chunks(stream, plan)) {
    if (r != ReadResult::stopped) r = feed_chunk(reader, chunk, '\0', log);
  }
  check_same(want, finish(reader, r, log), "round trip, split", false);
}

}  // namespace
}  // namespace chatd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace chatd::fuzz;
  const std::string_view stream(reinterpret_cast<const char*>(data), size);
  FuzzedDataProvider plan(data, size);
  // The message bound from the input's last byte: below 9, 16 × that byte (0: only empty
  // messages fit), else chatd's default.
  const uint8_t bound = plan.ConsumeIntegral<uint8_t>();
  const std::size_t max_message = bound < 9 ? std::size_t(bound) * 16 : kDefaultMaxMessage;

  const WsExpected reference = reference_ws_events(stream, max_message);
  const Delivered whole = feed_whole(stream, max_message);
  check_same({reference.events, reference.stopped, reference.unfinished}, whole, "whole vs the reference", false);
  check_same(whole, feed_bytewise(stream, max_message), "byte by byte", true);
  check_same(whole, feed_split(stream, max_message, plan), "split", true);
  check_round_trip(plan);
  return 0;
}
