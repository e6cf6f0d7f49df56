// Minimal JSON value, reader and writer (our own; no third-party source).
// Numbers are held as double; integers up to 2^53 round-trip exactly.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace gem {

struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Json {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  Json() = default;                       // null
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::Bool), bool_(b) {}
  Json(double d) : type_(Type::Number), num_(d) {}
  Json(int v) : type_(Type::Number), num_(v) {}
  Json(int64_t v) : type_(Type::Number), num_(static_cast<double>(v)) {}
  Json(uint64_t v) : type_(Type::Number), num_(static_cast<double>(v)) {}
  Json(const char* s) : type_(Type::String), str_(s) {}
  Json(std::string s) : type_(Type::String), str_(std::move(s)) {}
  static Json array() { Json j; j.type_ = Type::Array; return j; }
  static Json object() { Json j; j.type_ = Type::Object; return j; }
  template <class T>
  static Json array_of(const std::vector<T>& v) {
    Json j = array();
    for (const auto& x : v) j.push(Json(x));
    return j;
  }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }
  bool is_integer() const;  // a number with no fractional part

  // Typed access; throws JsonError naming the expected type on mismatch.
  bool as_bool() const;
  double as_number() const;
  int64_t as_int() const;  // throws unless is_integer()
  const std::string& as_string() const;
  const std::vector<Json>& as_array() const;
  const std::map<std::string, Json>& as_object() const;

  // Object access.
  bool has(const std::string& key) const;           // false for non-objects
  const Json& operator[](const std::string& key) const;  // null Json when absent
  Json& set(const std::string& key, Json value);    // turns null into object
  // Array access.
  size_t size() const;  // array/object size, else 0
  const Json& operator[](size_t i) const;
  Json& push(Json value);  // turns null into array

  // Parse a whole document; throws JsonError("... at offset N") on malformed input.
  static Json parse(const std::string& text);
  // Compact single-line serialisation (safe for JSON-lines); non-finite numbers are written as null.
  std::string dump() const;

 private:
  Type type_ = Type::Null;
  bool bool_ = false;
  double num_ = 0;
  std::string str_;
  std::vector<Json> arr_;
  std::map<std::string, Json> obj_;
};

}  // namespace gem
