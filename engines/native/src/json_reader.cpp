#include "json_reader.h"

#include <cmath>

namespace gem {

void JsonReader::fail(const std::string& key, const std::string& what, const std::string& code, const std::string& hint) const {
  throw RunnerError(code.empty() ? code_ : code, subject_(key) + " " + what, hint.empty() ? hint_ : hint);
}

int64_t JsonReader::integer(const std::string& key, int64_t lo, int64_t hi) const {
  if (!present(key)) fail(key, "is missing (expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "])");
  return integer_or(key, 0, lo, hi);
}

int64_t JsonReader::integer_or(const std::string& key, int64_t def, int64_t lo, int64_t hi) const {
  if (!present(key)) return def;
  const Json& v = j_[key];
  if (!v.is_number() || !v.is_integer()) fail(key, "= " + v.dump() + " is not an integer");
  if (v.as_number() < static_cast<double>(lo) || v.as_number() > static_cast<double>(hi))
    fail(key, "= " + v.dump() + " is out of range (expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "])");
  return v.as_int();
}

double JsonReader::number(const std::string& key, double def) const {
  if (!present(key)) return def;
  if (!j_[key].is_number()) fail(key, "= " + j_[key].dump() + " is not a number");
  if (!std::isfinite(j_[key].as_number())) fail(key, "is not finite");
  return j_[key].as_number();
}

double JsonReader::positive(const std::string& key, double def) const {
  const double v = number(key, def);
  if (!(v > 0)) fail(key, "= " + (present(key) ? j_[key].dump() : std::to_string(def)) + " must be a finite number > 0");
  return v;
}

bool JsonReader::boolean(const std::string& key, bool def) const {
  if (!present(key)) return def;
  if (!j_[key].is_bool()) fail(key, "= " + j_[key].dump() + " is not true or false");
  return j_[key].as_bool();
}

std::string JsonReader::string(const std::string& key) const {
  if (!present(key)) fail(key, "is missing (expected a string)");
  return string_or(key, "");
}

std::string JsonReader::string_or(const std::string& key, const std::string& def) const {
  if (!present(key)) return def;
  if (!j_[key].is_string()) fail(key, "= " + j_[key].dump() + " is not a string");
  return j_[key].as_string();
}

std::vector<int> JsonReader::int_list(const std::string& key, bool required) const {
  std::vector<int> out;
  if (!present(key)) {
    if (required) fail(key, "is missing (expected a list of token ids)");
    return out;
  }
  if (!j_[key].is_array()) fail(key, "= " + j_[key].dump().substr(0, 80) + " is not a list of token ids");
  for (const auto& x : j_[key].as_array()) {
    if (!x.is_number() || !x.is_integer()) fail(key, "must hold integers only (got " + x.dump().substr(0, 80) + ")");
    const double v = x.as_number();
    if (v < -2147483648.0 || v > 2147483647.0) fail(key, "holds " + x.dump() + ", which is not a token id");
    out.push_back(static_cast<int>(x.as_int()));
  }
  return out;
}

std::vector<int> JsonReader::token_ids(const std::string& key) const {
  std::vector<int> out;
  if (!present(key)) return out;
  const Json& v = j_[key];
  auto one = [&](const Json& x) {
    if (!x.is_number() || !x.is_integer() || x.as_number() < 0 || x.as_number() > 2147483647.0)
      fail(key, "must be a token id or a list of token ids (got " + v.dump() + ")");
    out.push_back(static_cast<int>(x.as_int()));
  };
  if (v.is_array()) {
    for (const auto& x : v.as_array()) one(x);
  } else {
    one(v);
  }
  return out;
}

std::vector<double> JsonReader::positives(const std::string& key, size_t want) const {
  if (!present(key) || !j_[key].is_array()) fail(key, "is missing or not a list (expected " + std::to_string(want) + " numbers)");
  std::vector<double> out;
  for (const auto& x : j_[key].as_array()) {
    if (!x.is_number() || !(x.as_number() > 0) || !std::isfinite(x.as_number())) fail(key, "must hold finite numbers > 0 only");
    out.push_back(x.as_number());
  }
  if (out.size() != want) fail(key, "has " + std::to_string(out.size()) + " entries, expected head_dim/2 = " + std::to_string(want));
  return out;
}

}  // namespace gem
