// A small owned JSON tree for the integration tests, parsed with simdjson.
//
// The tests compare what chatd sent with what the contract fixes, so every
// accessor that expects a field of a given type throws a HarnessError naming
// the field and quoting the whole frame when it is missing or mistyped; a
// test then fails with the frame in its message instead of a bare "false".
// The owned tree (rather than a simdjson document per line) keeps a frame
// valid after the next read and lets frames be stored and compared.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatd_it {

// Thrown by the harness when what arrived is not what the test waits for
// (timeout, EOF, bad JSON, missing field). GoogleTest reports the message.
class HarnessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Json {
 public:
  enum class Type { null, boolean, integer, number, string, array, object };

  Json() = default;

  // Parses one JSON text; on failure returns nullopt and sets *error.
  static std::optional<Json> parse(std::string_view text, std::string* error);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::null; }
  bool is_bool() const { return type_ == Type::boolean; }
  // True for integers that fit a signed 64-bit value.
  bool is_int() const { return type_ == Type::integer; }
  bool is_string() const { return type_ == Type::string; }
  bool is_array() const { return type_ == Type::array; }
  bool is_object() const { return type_ == Type::object; }

  bool as_bool() const;
  int64_t as_int() const;
  const std::string& as_str() const;
  const std::vector<Json>& as_array() const;

  // Object access. `has` is false for non-objects.
  bool has(std::string_view key) const;
  const Json& at(std::string_view key) const;  // throws if missing
  const std::string& str(std::string_view key) const { return at(key).as_str(); }
  int64_t i64(std::string_view key) const { return at(key).as_int(); }
  bool boolean(std::string_view key) const { return at(key).as_bool(); }
  const std::vector<Json>& arr(std::string_view key) const { return at(key).as_array(); }
  std::vector<std::string> keys() const;

  // Compact re-serialisation (object keys in arrival order).
  std::string dump() const;

  // The line this value was parsed from, if it is a top-level frame.
  const std::string& raw() const { return raw_; }

 private:
  [[noreturn]] void type_error(const char* wanted) const;

  Type type_ = Type::null;
  bool bool_ = false;
  int64_t int_ = 0;
  double num_ = 0;
  std::string str_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> fields_;
  std::string raw_;
  friend struct JsonAccess;  // json.cc fills the tree from simdjson
};

std::ostream& operator<<(std::ostream& os, const Json& j);

// JSON string literal for `s` (quotes and escapes included).
std::string quote(std::string_view s);

// Builds one request object: op("join").s("room", r).i("rid", 7).
class Obj {
 public:
  Obj& s(std::string_view key, std::string_view value);
  Obj& i(std::string_view key, int64_t value);
  Obj& b(std::string_view key, bool value);
  // `json` is inserted verbatim (arrays, null, numbers, deliberately odd values).
  Obj& raw(std::string_view key, std::string_view json);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(std::string_view k);
  std::string body_;
};

inline Obj op(std::string_view name) { return Obj().s("op", name); }

}  // namespace chatd_it
