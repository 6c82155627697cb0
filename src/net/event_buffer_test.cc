// EventBuffer keeps the room, one WebSocket frame header, the JSON line and the text
// line in one block: ws_frame() is a ready server frame over the JSON line without its
// newline, written once whatever the number of WebSocket receivers.
#include "net/event_buffer.h"

#include <gtest/gtest.h>

#include <string>

#include "net/event_pool.h"
#include "ws/frame_encoder.h"

namespace chatd::net {
namespace {

std::string expected_frame(const std::string& payload) {
  std::string out;
  ws::append_frame(ws::Opcode::text, payload, out);
  return out;
}

class EventBufferWsFrame : public ::testing::TestWithParam<std::size_t> {};

TEST_P(EventBufferWsFrame, IsTheJsonLineWithoutItsNewlineAsOneTextFrame) {
  const std::string payload(GetParam(), 'j');
  const std::string json = payload + "\n";
  const std::string text = "[lobby] a: hi\n";
  EventBuffer* b = EventBuffer::create(json, text, EventRoute{"lobby", 7, 0, true});
  EXPECT_EQ(b->ws_frame(), expected_frame(payload));
  EXPECT_EQ(b->json(), json);
  EXPECT_EQ(b->text(), text);
  EXPECT_EQ(b->room(), "lobby");
  EXPECT_EQ(b->exclude_session(), 7u);
  // The frame ends where the JSON line's newline is: header and payload are one span.
  EXPECT_EQ(b->ws_frame().data() + b->ws_frame().size(), b->json().data() + payload.size());
  b->release();
}

// The header's three forms and their boundaries (RFC 6455 §5.2).
INSTANTIATE_TEST_SUITE_P(Lengths, EventBufferWsFrame, ::testing::Values(0, 1, 125, 126, 127, 65535, 65536, 70000));

TEST(EventBuffer, AllocatedInPlaceCarriesItsFrameHeaderBeforeTheJsonIsWritten) {
  EventPool pool;
  const std::string json = "{\"ev\":\"msg\"}\n";
  EventBuffer* b = EventBuffer::allocate(&pool, EventRoute{"r", 0, 0, true}, json.size(), 0);
  json.copy(b->json_bytes(), json.size());
  EXPECT_EQ(b->ws_frame(), expected_frame("{\"ev\":\"msg\"}"));
  EXPECT_EQ(b->json(), json);
  EXPECT_FALSE(b->has_text());
  b->release();
}

TEST(EventBuffer, WithoutJsonHasNoFrame) {
  EventBuffer* b = EventBuffer::create("", "* a text line\n");
  EXPECT_TRUE(b->ws_frame().empty());
  EXPECT_EQ(b->text(), "* a text line\n");
  b->release();
}

}  // namespace
}  // namespace chatd::net
