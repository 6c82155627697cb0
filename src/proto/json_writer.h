// A small JSON writer for outgoing events: appends to a caller-owned std::string,
// escapes strings per RFC 8259, never allocates beyond the string's own growth.
// Events are flat objects, so the writer only knows objects, arrays and scalars.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chatd::proto {

// Appends `s` as a quoted JSON string. `s` must be valid UTF-8 (the parser has
// checked every string that reaches here); bytes >= 0x80 are copied as they are.
void append_json_string(std::string& out, std::string_view s);
void append_int(std::string& out, int64_t v);

// The same renderings written into a caller's buffer, for events encoded in place
// (the msg event goes straight into the shared EventBuffer): the exact size first,
// then the bytes; each write returns the end of what it wrote.
std::size_t json_string_size(std::string_view s);
char* write_json_string(char* out, std::string_view s);
std::size_t int_size(int64_t v);
char* write_int(char* out, int64_t v);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array(std::string_view key) { return this->key(key).open('['); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& field(std::string_view key, std::string_view value) {
    this->key(key);
    append_json_string(out_, value);
    return *this;
  }
  JsonWriter& field(std::string_view key, const char* value) { return field(key, std::string_view(value)); }
  JsonWriter& field(std::string_view key, int64_t value) {
    this->key(key);
    append_int(out_, value);
    return *this;
  }
  JsonWriter& field(std::string_view key, uint64_t value) { return field(key, int64_t(value)); }
  JsonWriter& field(std::string_view key, int value) { return field(key, int64_t(value)); }
  JsonWriter& field(std::string_view key, unsigned value) { return field(key, int64_t(value)); }
  JsonWriter& field(std::string_view key, bool value) {
    this->key(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  // `json` is already-encoded JSON (a stored event, an echoed rid).
  JsonWriter& raw_field(std::string_view key, std::string_view json) {
    this->key(key);
    out_ += json;
    return *this;
  }
  // Array elements.
  JsonWriter& element(std::string_view value) {
    comma();
    append_json_string(out_, value);
    return *this;
  }
  JsonWriter& raw_element(std::string_view json) {
    comma();
    out_ += json;
    return *this;
  }
  JsonWriter& begin_object_element() {
    comma();
    return open_nocomma('{');
  }

  // Ends the line: every event is one line.
  void newline() { out_ += '\n'; }

 private:
  JsonWriter& key(std::string_view k) {
    comma();
    out_ += '"';
    out_ += k;  // keys are our own literals: no escaping needed
    out_ += "\":";
    first_ = false;
    return *this;
  }
  void comma() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  JsonWriter& open(char c) {
    if (c == '{' && !first_) out_ += ',';
    return open_nocomma(c);
  }
  JsonWriter& open_nocomma(char c) {
    out_ += c;
    first_ = true;
    return *this;
  }
  JsonWriter& close(char c) {
    out_ += c;
    first_ = false;
    return *this;
  }

  std::string& out_;
  bool first_ = true;
};

}  // namespace chatd::proto
