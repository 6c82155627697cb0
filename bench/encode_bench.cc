// The outbound path: encoding a `msg` event (done once per message, then shared by
// every member's queue) and the string escaper under it, on text with and without
// characters that need an escape.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/events.h"
#include "proto/json_writer.h"

namespace chatd::proto {
namespace {

void BM_EncodeMsgEvent(benchmark::State& state) {
  const std::string text = "hello everyone, this is a chat message of a typical length: 64 b.";
  Message m{.room = "lobby", .from = "alice", .text = text, .seq = 123456, .id = "c42", .ts = 1700000000123};
  std::string out;
  out.reserve(512);
  for (auto _ : state) {
    out.clear();
    encode_json(out, m, {});
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(out.size()));
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_EncodeMsgEvent);

// Text of `len` bytes; with `escapes`, one byte in eight needs one (quote, backslash, newline, tab).
std::string make_text(std::size_t len, bool escapes) {
  static constexpr char kNeedEscape[] = {'"', '\\', '\n', '\t'};
  std::string s;
  for (std::size_t i = 0; i < len; ++i) {
    if (escapes && i % 8 == 7) {
      s += kNeedEscape[(i / 8) % 4];
    } else {
      s += char('a' + i % 26);
    }
  }
  return s;
}

void append_json_string_bench(benchmark::State& state, bool escapes) {
  const std::string text = make_text(std::size_t(state.range(0)), escapes);
  std::string out;
  out.reserve(2 * text.size() + 16);
  for (auto _ : state) {
    out.clear();
    append_json_string(out, text);
    benchmark::DoNotOptimize(out.data());
  }
  // Input bytes: what a reader compares against the frame sizes.
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
}

void BM_AppendJsonStringPlain(benchmark::State& state) { append_json_string_bench(state, false); }
BENCHMARK(BM_AppendJsonStringPlain)->Arg(16)->Arg(100)->Arg(4096);

void BM_AppendJsonStringEscapes(benchmark::State& state) { append_json_string_bench(state, true); }
BENCHMARK(BM_AppendJsonStringEscapes)->Arg(16)->Arg(100)->Arg(4096);

}  // namespace
}  // namespace chatd::proto

BENCHMARK_MAIN();
