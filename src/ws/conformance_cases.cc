#include "ws/conformance_cases.h"

#include "ws/client_frame.h"

namespace chatd::ws::conformance {
namespace {


std::string frame(Opcode op, std::string_view payload, bool fin = true, uint8_t rsv = 0) {
  std::string out;
  append_client_frame({.opcode = op, .payload = payload, .fin = fin, .rsv = rsv}, out);
  return out;
}
std::string text(std::string_view p, bool fin = true) { return frame(Opcode::text, p, fin); }
std::string cont(std::string_view p, bool fin = true) { return frame(Opcode::continuation, p, fin); }
std::string close_with(uint16_t code, std::string_view reason = {}) {
  std::string p = {char(code >> 8), char(code & 0xFF)};
  return frame(Opcode::close, p + std::string(reason));
}
Seen t(std::string p) { return {WsEventKind::text, 0, std::move(p)}; }
Seen ping(std::string p = {}) { return {WsEventKind::ping, 0, std::move(p)}; }
Seen pong(std::string p = {}) { return {WsEventKind::pong, 0, std::move(p)}; }
Seen closed(uint16_t code, std::string reason = {}) { return {WsEventKind::close, code, std::move(reason)}; }
Seen fail(uint16_t code) { return {WsEventKind::error, code, {}}; }

std::vector<Case> group1() {
  std::vector<Case> c;
  int i = 1;
  for (std::size_t len : {0, 125, 126, 127, 128, 65535, 65536}) {
    const std::string p(len, '*');
    c.push_back({"1.1." + std::to_string(i++), text(p), {t(p)}});
  }
  i = 1;
  for (std::size_t len : {0, 125, 126, 127, 128, 65535, 65536}) {
    c.push_back({"1.2." + std::to_string(i++), frame(Opcode::binary, std::string(len, '\xfe')), {fail(1003)}});
  }
  return c;
}

std::vector<Case> group2() {
  std::vector<Case> c;
  c.push_back({"2.1", frame(Opcode::ping, ""), {ping()}});
  c.push_back({"2.2", frame(Opcode::ping, "Hello, world!"), {ping("Hello, world!")}});
  const std::string binary_payload("\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8);
  c.push_back({"2.3", frame(Opcode::ping, binary_payload), {ping(binary_payload)}});
  c.push_back({"2.4", frame(Opcode::ping, std::string(125, '\xfe')), {ping(std::string(125, '\xfe'))}});
  c.push_back({"2.5", frame(Opcode::ping, std::string(126, '\xfe')), {fail(1002)}});
  c.push_back({"2.7", frame(Opcode::pong, ""), {pong()}});
  c.push_back({"2.8", frame(Opcode::pong, "unsolicited pong payload"), {pong("unsolicited pong payload")}});
  c.push_back({"2.9", frame(Opcode::pong, "unsolicited") + frame(Opcode::ping, "ping payload"),
               {pong("unsolicited"), ping("ping payload")}});
  std::string ten;
  std::vector<Seen> ten_pings;
  for (int k = 0; k < 10; ++k) {
    ten += frame(Opcode::ping, "payload-" + std::to_string(k));
    ten_pings.push_back(ping("payload-" + std::to_string(k)));
  }
  c.push_back({"2.10", ten, ten_pings});
  return c;
}

std::vector<Case> group3() {
  std::vector<Case> c;
  c.push_back({"3.1", frame(Opcode::text, "Hello", true, 1), {fail(1002)}});
  c.push_back({"3.2", text("Hello") + frame(Opcode::text, "Hello", true, 2) + frame(Opcode::ping, ""),
               {t("Hello"), fail(1002)}});
  c.push_back({"3.3", text("Hello") + frame(Opcode::text, "Hello", true, 3) + frame(Opcode::ping, ""),
               {t("Hello"), fail(1002)}});
  c.push_back({"3.4", text("Hello") + frame(Opcode::text, "Hello", true, 4) + frame(Opcode::ping, ""),
               {t("Hello"), fail(1002)}});
  c.push_back({"3.5", frame(Opcode::binary, "\xff\xfe", true, 5), {fail(1002)}});
  c.push_back({"3.6", frame(Opcode::ping, "Hello", true, 6), {fail(1002)}});
  c.push_back({"3.7", frame(Opcode::close, "", true, 7), {fail(1002)}});
  return c;
}

std::vector<Case> group4() {
  std::vector<Case> c;
  int i = 1;
  for (uint8_t op : {3, 4, 5, 6, 7}) {
    c.push_back({"4.1." + std::to_string(i++), text("Hello") + frame(static_cast<Opcode>(op), "payload") +
                                                   frame(Opcode::ping, ""), {t("Hello"), fail(1002)}});
  }
  i = 1;
  for (uint8_t op : {11, 12, 13, 14, 15}) {
    c.push_back({"4.2." + std::to_string(i++), text("Hello") + frame(static_cast<Opcode>(op), "") +
                                                   frame(Opcode::ping, ""), {t("Hello"), fail(1002)}});
  }
  return c;
}

std::vector<Case> group5() {
  std::vector<Case> c;
  c.push_back({"5.1", frame(Opcode::ping, "frag", false) + cont("ment"), {fail(1002)}});
  c.push_back({"5.2", frame(Opcode::pong, "frag", false) + cont("ment"), {fail(1002)}});
  c.push_back({"5.3", text("frag", false) + cont("ment"), {t("fragment")}});
  c.push_back({"5.6", text("frag", false) + frame(Opcode::ping, "ping") + cont("ment"),
               {ping("ping"), t("fragment")}});
  c.push_back({"5.9", cont("fragment1") + text("fragment2") + frame(Opcode::ping, ""), {fail(1002)}});
  c.push_back({"5.12", cont("fragment1", false) + text("fragment2"), {fail(1002)}});
  c.push_back({"5.15", text("fragment1", false) + cont("fragment2") + cont("fragment3", false) + text("fragment4"),
               {t("fragment1fragment2"), fail(1002)}});
  c.push_back({"5.16", cont("fragment1", false) + text("fragment2", false) + cont("fragment3"), {fail(1002)}});
  c.push_back({"5.18", text("fragment1", false) + text("fragment2"), {fail(1002)}});
  std::string five;
  for (int k = 1; k <= 5; ++k) {
    const Opcode op = k == 1 ? Opcode::text : Opcode::continuation;
    five += frame(op, "f" + std::to_string(k), k == 5);
    if (k < 5) five += frame(Opcode::ping, "p" + std::to_string(k));
  }
  c.push_back({"5.19", five, {ping("p1"), ping("p2"), ping("p3"), ping("p4"), t("f1f2f3f4f5")}});
  c.push_back({"5.x empty fragments", text("", false) + cont("", false) + cont(""), {t("")}});
  return c;
}

std::vector<Case> group6() {
  const std::vector<std::string> valid = {
      "", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", std::string(1, '\0'), "\xc2\x80", "\xe0\xa0\x80",
      "\xf0\x90\x80\x80", "\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80",
      "\xef\xbf\xbd", "\xef\xbf\xbe", "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!",
  };
  const std::vector<std::string> invalid = {
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited", "\xf8\x88\x80\x80\x80",
      "\xfc\x84\x80\x80\x80\x80", "\xf4\x90\x80\x80", "\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\xc0 ", "\xe0 ",
      "\xf0 ", "\xc2", "\xe0\xa0", "\xf0\x90\x80", "\xfe", "\xff", "\xfe\xfe\xff\xff", "\xc0\xaf", "\xe0\x80\xaf",
      "\xf0\x80\x80\xaf", "\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xc0\x80", "\xe0\x80\x80",
      "\xf0\x80\x80\x80", "\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80",
      "\xed\xbe\x80", "\xed\xbf\xbf", "\xed\xa0\x80\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf",
  };
  std::vector<Case> c;
  int i = 1;
  for (const std::string& s : valid) {
    c.push_back({"6.v" + std::to_string(i), text(s), {t(s)}});
    // The same message a byte per frame: characters split across fragments are fine.
    std::string split;
    for (std::size_t k = 0; k < s.size(); ++k) split += frame(k == 0 ? Opcode::text : Opcode::continuation, s.substr(k, 1), k + 1 == s.size());
    if (!s.empty()) c.push_back({"6.v" + std::to_string(i) + "-frag", split, {t(s)}});
    ++i;
  }
  i = 1;
  for (const std::string& s : invalid) {
    c.push_back({"6.i" + std::to_string(i), text(s), {fail(1007)}});
    std::string split;
    for (std::size_t k = 0; k < s.size(); ++k) split += frame(k == 0 ? Opcode::text : Opcode::continuation, s.substr(k, 1), k + 1 == s.size());
    c.push_back({"6.i" + std::to_string(i) + "-frag", split, {fail(1007)}});
    ++i;
  }
  return c;
}

std::vector<Case> group7() {
  std::vector<Case> c;
  c.push_back({"7.1.1", text("Hello World!") + close_with(1000), {t("Hello World!"), closed(1000)}});
  c.push_back({"7.1.2", close_with(1000) + close_with(1000), {closed(1000)}});
  c.push_back({"7.1.3", close_with(1000) + frame(Opcode::ping, "Hello World!"), {closed(1000)}});
  c.push_back({"7.1.4", close_with(1000) + text("Hello World!"), {closed(1000)}});
  c.push_back({"7.1.5", text("fragment1", false) + close_with(1000) + cont("fragment2"), {closed(1000)}});
  c.push_back({"7.1.6", text(std::string(65536, 'B')) + text("Hello World!") + close_with(1000),
               {t(std::string(65536, 'B')), t("Hello World!"), closed(1000)}});
  c.push_back({"7.3.1", frame(Opcode::close, ""), {closed(1005)}});
  c.push_back({"7.3.2", frame(Opcode::close, "a"), {fail(1002)}});
  c.push_back({"7.3.3", close_with(1000), {closed(1000)}});
  c.push_back({"7.3.4", close_with(1000, "Hello World!"), {closed(1000, "Hello World!")}});
  c.push_back({"7.3.5", close_with(1000, std::string(123, '*')), {closed(1000, std::string(123, '*'))}});
  c.push_back({"7.3.6", close_with(1000, std::string(124, '*')), {fail(1002)}});
  c.push_back({"7.5.1", close_with(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited"), {fail(1007)}});
  int i = 1;
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    c.push_back({"7.7." + std::to_string(i++), close_with(code), {closed(code)}});
  }
  i = 1;
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999}) {
    c.push_back({"7.9." + std::to_string(i++), close_with(code), {fail(1002)}});
  }
  c.push_back({"7.13.1", close_with(5000), {fail(1002)}});
  c.push_back({"7.13.2", close_with(65535), {fail(1002)}});
  return c;
}

std::vector<Case> group9() {
  std::vector<Case> c;
  c.push_back({"9.1.1", text(std::string(kMaxFrame, 'x')), {t(std::string(kMaxFrame, 'x'))}});
  int i = 2;
  for (std::size_t len : {kMaxFrame + 1, kMaxFrame * 4, kMaxFrame * 16, kMaxFrame * 64}) {
    // Only the header is sent: the refusal must not wait for (or buffer) the payload.
    std::string header = text(std::string(len, 'x')).substr(0, 14);
    c.push_back({"9.1." + std::to_string(i++), header, {fail(1009)}});
  }
  c.push_back({"9.2.1", frame(Opcode::binary, std::string(kMaxFrame, '\xfe')), {fail(1003)}});
  i = 1;
  for (std::size_t piece : {64, 256, 1024, 4096, 16384, 65536}) {
    std::string whole(kMaxFrame, 'f');
    std::string frames;
    for (std::size_t at = 0; at < whole.size(); at += piece) {
      frames += frame(at == 0 ? Opcode::text : Opcode::continuation, whole.substr(at, piece), at + piece >= whole.size());
    }
    c.push_back({"9.3." + std::to_string(i) + " (fits)", frames, {t(whole)}});
    std::string over;
    for (std::size_t at = 0; at <= whole.size(); at += piece) {
      over += frame(at == 0 ? Opcode::text : Opcode::continuation, std::string(piece, 'f'), false);
    }
    c.push_back({"9.3." + std::to_string(i++) + " (over)", over, {fail(1009)}});
  }
  return c;
}

}  // namespace

std::map<std::string, std::vector<Case>> case_groups() {
  return {
      {"1 framing", group1()},        {"2 pings/pongs", group2()}, {"3 reserved bits", group3()},
      {"4 opcodes", group4()},        {"5 fragmentation", group5()}, {"6 UTF-8", group6()},
      {"7 close", group7()},          {"9 limits", group9()},
  };
}

std::string describe(const std::vector<Seen>& events) {
  static const char* kinds[] = {"text", "ping", "pong", "close", "error"};
  std::string out;
  for (const Seen& e : events) {
    out += std::string(kinds[int(e.kind)]) + "(" + std::to_string(e.code) + ", " + std::to_string(e.payload.size()) +
           " bytes) ";
  }
  return out;
}

}  // namespace chatd::ws::conformance
