// The WebSocket receive path: unmasking in place (GB/s, by payload size) and decoding a
// 100-byte masked text frame (ns per frame) — alone through FrameDecoder and through
// WsReader::feed of a 16 KiB receive buffer, as the shard would run it.
//
// Decoding unmasks in place, so a frame can be decoded once only: each batch first
// restores 256 masked frames from a pristine copy with one memcpy (about 27 KiB; its
// share, about 1 ns per frame, is included in the figures).
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "proto/line_framer.h"
#include "ws/client_frame.h"
#include "ws/frame_decoder.h"
#include "ws/mask.h"
#include "ws/reader.h"

namespace chatd::ws {
namespace {

void BM_Unmask(benchmark::State& state) {
  const std::size_t len = std::size_t(state.range(0));
  // Offset by 6 like a payload after a 2-byte header and a key: unaligned, as in real life.
  std::vector<char> buf(len + 64, 'x');
  const uint32_t key = load_mask_key("\x37\xFA\x21\x3D");
  for (auto _ : state) {
    apply_mask(buf.data() + 6, len, key);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(len));
}
BENCHMARK(BM_Unmask)->Arg(100)->Arg(1024)->Arg(16 * 1024)->Arg(64 * 1024);

// 256 distinct masked text frames of exactly 100 payload bytes each, back to back.
std::string frames_of_100(std::size_t count) {
  std::string stream;
  for (std::size_t i = 0; i < count; ++i) {
    std::string text = R"({"op":"msg","room":"lobby","id":"c)" + std::to_string(i) + R"(","text":")";
    while (text.size() < 98) text += char('a' + (text.size() + i) % 26);
    text += "\"}";
    append_client_frame({.opcode = Opcode::text, .payload = text, .mask_key = uint32_t(0x9E3779B9u * (i + 1))},
                        stream);
  }
  return stream;
}

constexpr std::size_t kFrames = 256;

void BM_DecodeText100(benchmark::State& state) {
  const std::string pristine = frames_of_100(kFrames);
  std::vector<char> buf(pristine.size() + proto::kFramePadding);
  FrameDecoder decoder(65536);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::memcpy(buf.data(), pristine.data(), pristine.size());
    std::size_t pos = 0;
    for (std::size_t i = 0; i < kFrames; ++i) {
      const DecodeStep step = decoder.decode(buf.data() + pos, pristine.size() - pos);
      bytes += step.event.payload.size();
      pos += step.consumed;
    }
    if (pos != pristine.size()) state.SkipWithError("not every frame decoded");
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(int64_t(state.iterations() * kFrames));
  state.counters["ns_per_frame"] =
      benchmark::Counter(double(state.iterations() * kFrames), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DecodeText100);

void BM_ReaderFeed16K(benchmark::State& state) {
  // One 16 KiB receive buffer of 100-byte frames; the cut frame at its end is buffered
  // and completed from the next feed, as in the shard.
  const std::string pristine = frames_of_100(kFrames);
  const std::size_t chunk = 16 * 1024;
  std::vector<char> buf(pristine.size() + proto::kFramePadding);
  std::size_t texts = 0;
  for (auto _ : state) {
    std::memcpy(buf.data(), pristine.data(), pristine.size());
    WsReader reader(65536);
    for (std::size_t at = 0; at < pristine.size(); at += chunk) {
      const std::size_t n = std::min(chunk, pristine.size() - at);
      reader.feed(std::span<char>(buf.data() + at, n), [&](const WsEvent& e) {
        texts += e.kind == WsEventKind::text;
        return proto::FrameVerdict::next;
      });
    }
  }
  if (texts != state.iterations() * kFrames) state.SkipWithError("lost frames");
  state.SetItemsProcessed(int64_t(state.iterations() * kFrames));
  state.counters["ns_per_frame"] =
      benchmark::Counter(double(state.iterations() * kFrames), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ReaderFeed16K);

}  // namespace
}  // namespace chatd::ws

BENCHMARK_MAIN();
