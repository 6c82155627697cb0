// The inbound path of a JSON connection: LineFramer splits a received chunk, and
// JsonRequestParser parses each 100-byte `msg` frame in place (target >= 1 GB/s).
// Frames sit in a receive buffer as the network layer leaves them: back to back,
// with kFramePadding bytes of slack after the last one only.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proto/json_request_parser.h"
#include "proto/line_framer.h"

namespace chatd::proto {
namespace {

constexpr std::size_t kFrameSize = 100;
constexpr std::size_t kChunkSize = 16 * 1024;

// The i-th 100-byte msg frame; the text is padded so every frame has the same size.
std::string msg_frame(std::size_t i) {
  const std::string head = R"({"op":"msg","room":"lobby","id":"c)" + std::to_string(i % 100000) +
                           R"(","ts":17000000)" + std::to_string(10000 + i % 90000) + R"(,"text":")";
  std::string text = "hello number " + std::to_string(i) + " ";
  const std::size_t room = kFrameSize - head.size() - 2;  // 2: the closing "}
  while (text.size() < room) text += char('a' + text.size() % 26);
  text.resize(room);
  return head + text + "\"}";
}

// A receive buffer: `bytes`, then kFramePadding bytes of slack.
struct RecvBuffer {
  explicit RecvBuffer(std::string_view bytes)
      : data(std::make_unique<char[]>(bytes.size() + kFramePadding)), size(bytes.size()) {
    std::memcpy(data.get(), bytes.data(), bytes.size());
  }
  std::string_view view() const { return {data.get(), size}; }
  std::unique_ptr<char[]> data;
  std::size_t size;
};

void BM_ParseMsgFrame(benchmark::State& state) {
  // Distinct frames, in place in one buffer, so the branch predictor cannot learn one.
  constexpr std::size_t kFrames = 256;
  std::string stream;
  for (std::size_t i = 0; i < kFrames; ++i) {
    const std::string f = msg_frame(i);
    if (f.size() != kFrameSize) {
      state.SkipWithError("frame is not 100 bytes");
      return;
    }
    stream += f + "\n";
  }
  RecvBuffer buf(stream);
  JsonRequestParser parser;
  Request req;
  std::size_t i = 0;
  for (auto _ : state) {
    std::string_view frame(buf.data.get() + i * (kFrameSize + 1), kFrameSize);
    ParseOutcome o = parser.parse(frame, req);
    if (!o.ok()) {
      state.SkipWithError(o.message);
      break;
    }
    benchmark::DoNotOptimize(req.text.data());
    benchmark::DoNotOptimize(req.ts);
    i = (i + 1) % kFrames;
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kFrameSize));
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_ParseMsgFrame);

// A stream of 101-byte lines cut into consecutive 16 KiB chunks: 16384 is not a
// multiple of 101, so most chunks start and end mid-frame, as reads do.
std::vector<RecvBuffer> chunked_stream(std::size_t chunks) {
  std::string stream;
  for (std::size_t i = 0; stream.size() < chunks * kChunkSize; ++i) stream += msg_frame(i) + "\n";
  std::vector<RecvBuffer> out;
  for (std::size_t c = 0; c < chunks; ++c) out.emplace_back(std::string_view(stream).substr(c * kChunkSize, kChunkSize));
  return out;
}

void BM_FrameChunk16K(benchmark::State& state) {
  const std::vector<RecvBuffer> chunks = chunked_stream(101);  // the stream's period
  LineFramer framer(65536);
  std::size_t frames = 0;
  std::size_t c = 0;
  for (auto _ : state) {
    FeedResult r = framer.feed(chunks[c].view(), [&](std::string_view frame) {
      benchmark::DoNotOptimize(frame.data());
      ++frames;
      return FrameVerdict::next;
    });
    if (r != FeedResult::ok) {
      state.SkipWithError("framer refused the stream");
      break;
    }
    c = (c + 1) % chunks.size();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kChunkSize));
  state.SetItemsProcessed(int64_t(frames));
}
BENCHMARK(BM_FrameChunk16K);

// Both together: what a shard does with one 16 KiB read of msg frames.
void BM_FrameAndParseChunk16K(benchmark::State& state) {
  const std::vector<RecvBuffer> chunks = chunked_stream(101);
  LineFramer framer(65536);
  JsonRequestParser parser;
  Request req;
  std::size_t frames = 0;
  bool failed = false;
  std::size_t c = 0;
  for (auto _ : state) {
    framer.feed(chunks[c].view(), [&](std::string_view frame) {
      failed |= !parser.parse(frame, req).ok();
      benchmark::DoNotOptimize(req.text.data());
      ++frames;
      return FrameVerdict::next;
    });
    c = (c + 1) % chunks.size();
  }
  if (failed) state.SkipWithError("a frame did not parse");
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kChunkSize));
  state.SetItemsProcessed(int64_t(frames));
}
BENCHMARK(BM_FrameAndParseChunk16K);

}  // namespace
}  // namespace chatd::proto

BENCHMARK_MAIN();
