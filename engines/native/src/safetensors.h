// safetensors files: a validating, memory-mapped reader (F32 / F16 / BF16 / F64 → fp32, or 16-bit kept) and an F32 / BF16 writer.
// Format: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [b, e]}, …,
// "__metadata__": {…}}, then the data; offsets are relative to the end of the header.
// Every problem is a RunnerError("model_error") naming the file, the tensor and what was expected.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model.h"

namespace gem {

struct TensorInfo {
  std::string dtype;             // "F32" | "F16" | "BF16" | "F64" (others are rejected when read)
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;   // byte range within the data section
};

class SafetensorsFile {
 public:
  // Maps the file and validates the header: size, JSON, every entry's dtype/shape/offsets against the file size.
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  bool has(const std::string& name) const { return tensors_.count(name) > 0; }
  // Reads tensor `name` converted to fp32, or with `keep16` a BF16 / F16 tensor as its 16-bit values (Tensor::half);
  // `shape` must match exactly (message names both shapes). Non-finite values are refused either way.
  Tensor read(const std::string& name, const std::vector<int64_t>& shape, bool keep16 = false) const;

 private:
  std::string path_;
  const unsigned char* map_ = nullptr;
  size_t size_ = 0;
  uint64_t data_start_ = 0;
  std::map<std::string, TensorInfo> tensors_;
};

// Writes `tensors` (name → tensor, fp32 or 16-bit kept) as one safetensors file with metadata {"format": "pt"}: F32, or with `bf16`
// BF16 rounded to nearest even (the CUDA backend's __float2bfloat16_rn; NaN stays a quiet NaN); returns bytes.
int64_t write_safetensors(const std::string& path, const std::map<std::string, const Tensor*>& tensors, bool bf16 = false);

std::string shape_str(const std::vector<int64_t>& shape);  // "[4096, 128]"

// Opens `path` read-only if it is a regular file (or a link to one) of at most `max_bytes`: a FIFO would block the
// runner and a device (a link to /dev/zero) would never end, so both are refused, as are oversized files. Returns the
// descriptor and sets *size; throws RunnerError("model_error") naming the file and what it is.
int open_regular_file(const std::string& path, uint64_t max_bytes, uint64_t* size);
// The whole of a regular file of at most `max_bytes` (open_regular_file's checks).
std::string read_regular_file(const std::string& path, uint64_t max_bytes);

}  // namespace gem
