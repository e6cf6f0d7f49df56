// Typed reads of one JSON object's keys: the one reader behind protocol requests (runner.cpp) and config.json /
// generation_config.json (hf_model.cpp). A problem throws RunnerError(code, "<subject of the key> <what>", hint),
// where the owner decides the code, how a key is named (a request field, a file's key) and the hint.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "json.h"
#include "model.h"

namespace gem {

class JsonReader {
 public:
  JsonReader(const Json& j, std::string code, std::function<std::string(const std::string&)> subject, std::string hint)
      : j_(j), code_(std::move(code)), subject_(std::move(subject)), hint_(std::move(hint)) {}

  // Throws the owner's error about `key`; code/hint default to the reader's.
  [[noreturn]] void fail(const std::string& key, const std::string& what, const std::string& code = "",
                         const std::string& hint = "") const;
  bool present(const std::string& key) const { return j_.has(key) && !j_[key].is_null(); }
  const Json& raw(const std::string& key) const { return j_[key]; }

  int64_t integer(const std::string& key, int64_t lo, int64_t hi) const;              // required
  int64_t integer_or(const std::string& key, int64_t def, int64_t lo, int64_t hi) const;  // optional
  double number(const std::string& key, double def) const;    // finite
  double positive(const std::string& key, double def) const;  // finite and > 0 (a scale, a factor, an epsilon)
  bool boolean(const std::string& key, bool def) const;
  std::string string(const std::string& key) const;  // required
  std::string string_or(const std::string& key, const std::string& def) const;
  // A list of integers that fit an int (token ids of a request; their range against a vocabulary is checked later).
  std::vector<int> int_list(const std::string& key, bool required) const;
  // A token id ≥ 0, a list of them, or absent/null (config.json's eos_token_id / bos_token_id).
  std::vector<int> token_ids(const std::string& key) const;
  // A list of exactly `want` finite numbers > 0.
  std::vector<double> positives(const std::string& key, size_t want) const;

 private:
  const Json& j_;
  std::string code_;
  std::function<std::string(const std::string&)> subject_;
  std::string hint_;
};

}  // namespace gem
