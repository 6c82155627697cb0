#include "json.h"

#include <simdjson.h>

#include <cstdio>

namespace chatd_it {

struct JsonAccess {
  static Json from(simdjson::dom::element e) {
    Json j;
    switch (e.type()) {
      case simdjson::dom::element_type::NULL_VALUE:
        j.type_ = Json::Type::null;
        break;
      case simdjson::dom::element_type::BOOL:
        j.type_ = Json::Type::boolean;
        j.bool_ = bool(e.get_bool());
        break;
      case simdjson::dom::element_type::INT64:
        j.type_ = Json::Type::integer;
        j.int_ = int64_t(e.get_int64());
        break;
      case simdjson::dom::element_type::UINT64:
        // Above INT64_MAX: not an integer the contract allows anywhere.
        j.type_ = Json::Type::number;
        j.num_ = double(uint64_t(e.get_uint64()));
        break;
      case simdjson::dom::element_type::DOUBLE:
        j.type_ = Json::Type::number;
        j.num_ = double(e.get_double());
        break;
      case simdjson::dom::element_type::STRING:
        j.type_ = Json::Type::string;
        j.str_ = std::string(std::string_view(e.get_string()));
        break;
      case simdjson::dom::element_type::ARRAY:
        j.type_ = Json::Type::array;
        for (simdjson::dom::element item : e.get_array()) j.items_.push_back(from(item));
        break;
      case simdjson::dom::element_type::OBJECT:
        j.type_ = Json::Type::object;
        for (simdjson::dom::key_value_pair kv : e.get_object())
          j.fields_.emplace_back(std::string(kv.key), from(kv.value));
        break;
    }
    return j;
  }
};

std::optional<Json> Json::parse(std::string_view text, std::string* error) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  auto err = parser.parse(text.data(), text.size()).get(root);
  if (err) {
    if (error) *error = simdjson::error_message(err);
    return std::nullopt;
  }
  Json j = JsonAccess::from(root);
  j.raw_ = std::string(text);
  return j;
}

void Json::type_error(const char* wanted) const {
  throw HarnessError(std::string("expected a JSON ") + wanted + ", got " + dump());
}

bool Json::as_bool() const {
  if (type_ != Type::boolean) type_error("bool");
  return bool_;
}

int64_t Json::as_int() const {
  if (type_ != Type::integer) type_error("integer");
  return int_;
}

const std::string& Json::as_str() const {
  if (type_ != Type::string) type_error("string");
  return str_;
}

const std::vector<Json>& Json::as_array() const {
  if (type_ != Type::array) type_error("array");
  return items_;
}

bool Json::has(std::string_view key) const {
  if (type_ != Type::object) return false;
  for (const auto& [k, v] : fields_)
    if (k == key) return true;
  return false;
}

const Json& Json::at(std::string_view key) const {
  if (type_ != Type::object) type_error("object");
  for (const auto& [k, v] : fields_)
    if (k == key) return v;
  throw HarnessError("field \"" + std::string(key) + "\" missing in " +
                     (raw_.empty() ? dump() : raw_));
}

std::vector<std::string> Json::keys() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : fields_) out.push_back(k);
  return out;
}

std::string Json::dump() const {
  switch (type_) {
    case Type::null:
      return "null";
    case Type::boolean:
      return bool_ ? "true" : "false";
    case Type::integer:
      return std::to_string(int_);
    case Type::number: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", num_);
      return buf;
    }
    case Type::string:
      return quote(str_);
    case Type::array: {
      std::string out = "[";
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i) out += ",";
        out += items_[i].dump();
      }
      return out + "]";
    }
    case Type::object: {
      std::string out = "{";
      for (size_t i = 0; i < fields_.size(); ++i) {
        if (i) out += ",";
        out += quote(fields_[i].first) + ":" + fields_[i].second.dump();
      }
      return out + "}";
    }
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, const Json& j) {
  return os << (j.raw().empty() ? j.dump() : j.raw());
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  return out + "\"";
}

void Obj::key(std::string_view k) {
  if (!body_.empty()) body_ += ",";
  body_ += quote(k);
  body_ += ":";
}

Obj& Obj::s(std::string_view k, std::string_view value) {
  key(k);
  body_ += quote(value);
  return *this;
}

Obj& Obj::i(std::string_view k, int64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

Obj& Obj::b(std::string_view k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

Obj& Obj::raw(std::string_view k, std::string_view json) {
  key(k);
  body_ += json;
  return *this;
}

}  // namespace chatd_it
