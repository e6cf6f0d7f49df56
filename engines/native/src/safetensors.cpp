#include "safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "json.h"

namespace gem {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, const std::string& hint = "") {
  throw RunnerError("model_error", path + ": " + what,
                    hint.empty() ? "the file is not a valid safetensors file (truncated or damaged download?)" : hint);
}

int dtype_size(const std::string& dt) {
  if (dt == "F32") return 4;
  if (dt == "F16" || dt == "BF16") return 2;
  if (dt == "F64") return 8;
  return 0;
}

}  // namespace

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  uint64_t size = 0;
  const int fd = open_regular_file(path, std::numeric_limits<uint64_t>::max(), &size);
  size_ = static_cast<size_t>(size);
  if (size_ < 8) {
    ::close(fd);
    fail(path, "file is " + std::to_string(size_) + " bytes; a safetensors file starts with an 8-byte header length");
  }
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) fail(path, std::string("mmap failed: ") + std::strerror(errno));
  map_ = static_cast<const unsigned char*>(p);

  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | map_[i];
  if (n > size_ - 8)
    fail(path, "header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(size_) + " bytes)");
  data_start_ = 8 + n;
  Json header;
  try {
    header = Json::parse(std::string(reinterpret_cast<const char*>(map_ + 8), static_cast<size_t>(n)));
  } catch (const JsonError& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");
  const uint64_t data_size = size_ - data_start_;
  for (const auto& kv : header.as_object()) {
    if (kv.first == "__metadata__") continue;
    const std::string& name = kv.first;
    const Json& e = kv.second;
    if (!e.is_object() || !e["dtype"].is_string() || !e["shape"].is_array() || !e["data_offsets"].is_array() ||
        e["data_offsets"].size() != 2)
      fail(path, "tensor '" + name + "': header entry needs dtype (string), shape (array) and data_offsets ([begin, end])");
    TensorInfo t;
    t.dtype = e["dtype"].as_string();
    // Every count is bounded by the file size (≤ 2^53 bytes for any real file), so none overflows below; a number
    // beyond that is refused by name rather than wrapped.
    const double limit = static_cast<double>(size_);
    uint64_t numel = 1;
    for (const auto& d : e["shape"].as_array()) {
      if (!d.is_number() || !d.is_integer() || d.as_number() < 0) fail(path, "tensor '" + name + "': shape entries must be non-negative integers");
      if (d.as_number() > limit)
        fail(path, "tensor '" + name + "': shape " + e["shape"].dump() + " has a dimension larger than the file (" + std::to_string(size_) + " bytes)");
      t.shape.push_back(d.as_int());
      const uint64_t dim = static_cast<uint64_t>(d.as_int());
      if (dim != 0 && numel > size_ / dim)
        fail(path, "tensor '" + name + "': shape " + e["shape"].dump() + " holds more elements than the file has bytes (" + std::to_string(size_) + ")");
      numel *= dim;
    }
    const Json& b = e["data_offsets"][0];
    const Json& en = e["data_offsets"][1];
    if (!b.is_number() || !b.is_integer() || !en.is_number() || !en.is_integer() || b.as_number() < 0 || en.as_number() < b.as_number())
      fail(path, "tensor '" + name + "': data_offsets must be integers with 0 ≤ begin ≤ end");
    if (en.as_number() > limit)
      fail(path, "tensor '" + name + "': data_offsets " + e["data_offsets"].dump() + " run past the end of the file (" + std::to_string(size_) + " bytes)");
    t.begin = static_cast<uint64_t>(b.as_int());
    t.end = static_cast<uint64_t>(en.as_int());
    if (t.end > data_size)
      fail(path, "tensor '" + name + "': data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                     ") run past the end of the data section (" + std::to_string(data_size) + " bytes)");
    const int ds = dtype_size(t.dtype);
    if (ds > 0 && t.end - t.begin != numel * static_cast<uint64_t>(ds))
      fail(path, "tensor '" + name + "': " + std::to_string(t.end - t.begin) + " bytes for shape " + shape_str(t.shape) +
                     " of " + t.dtype + " (expected " + std::to_string(numel * ds) + ")");
    tensors_.emplace(name, std::move(t));
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(const_cast<unsigned char*>(map_), size_);
}

Tensor SafetensorsFile::read(const std::string& name, const std::vector<int64_t>& shape, bool keep16) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end())
    throw RunnerError("model_error", path_ + ": tensor '" + name + "' is missing",
                      "the checkpoint does not match config.json (wrong model_type, or an incomplete download)");
  const TensorInfo& t = it->second;
  if (t.shape != shape)
    throw RunnerError("model_error",
                      path_ + ": tensor '" + name + "' has shape " + shape_str(t.shape) + ", config.json implies " + shape_str(shape),
                      "config.json and the weights disagree (hidden_size, heads, head_dim, intermediate_size, vocab_size?)");
  const int ds = dtype_size(t.dtype);
  if (ds == 0)
    throw RunnerError("unsupported", path_ + ": tensor '" + name + "' has dtype " + t.dtype,
                      "supported dtypes: F32, F16, BF16 (F64); quantized checkpoints are not supported");
  Tensor out;
  out.shape = shape;
  out.dtype = t.dtype;
  const int64_t n = out.numel();
  const unsigned char* src = map_ + data_start_ + t.begin;
  const bool bf = t.dtype == "BF16";
  if (keep16 && ds == 2) {
    out.half.resize(static_cast<size_t>(n));
    std::memcpy(out.half.data(), src, static_cast<size_t>(n) * 2);
  } else {
    out.data.resize(static_cast<size_t>(n));
    if (t.dtype == "F32") {
      std::memcpy(out.data.data(), src, static_cast<size_t>(n) * 4);
    } else if (t.dtype == "F64") {
      for (int64_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, src + i * 8, 8);
        out.data[static_cast<size_t>(i)] = static_cast<float>(d);
      }
    } else {
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + i * 2, 2);
        out.data[static_cast<size_t>(i)] = bf ? bf16_to_float(h) : half_to_float(h);
      }
    }
  }
  // The mapped pages just read are dropped from this process (they stay in the page cache): a tensor's file bytes and
  // its fp32 copy are then resident together for one tensor at a time, not for the whole checkpoint, so the peak of a
  // load is about the fp32 weights rather than those plus the mapped file. A neighbour's page dropped with the
  // rounding is read again from the file if needed; the mapping is read-only and private, so nothing is lost.
  {
    const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t b = reinterpret_cast<uintptr_t>(src) & ~(page - 1);
    const uintptr_t e = reinterpret_cast<uintptr_t>(src) + (t.end - t.begin);
    if (e > b) ::madvise(reinterpret_cast<void*>(b), e - b, MADV_DONTNEED);
  }
  // A NaN or infinite weight turns every activation it touches into NaN: refused here, by name, rather than
  // "completing" with garbage tokens (one pass over what was just read).
  for (int64_t i = 0; i < n; ++i) {
    const size_t u = static_cast<size_t>(i);
    const float v = !out.kept16() ? out.data[u] : bf ? bf16_to_float(out.half[u]) : half_to_float(out.half[u]);
    if (!std::isfinite(v))
      throw RunnerError("model_error",
                        path_ + ": tensor '" + name + "' holds " + (std::isnan(v) ? "NaN" : "an infinite value") + " at element " +
                            std::to_string(i) + " of " + std::to_string(n),
                        "the weights are damaged (a failed conversion or download?); every value must be finite");
  }
  return out;
}

int open_regular_file(const std::string& path, uint64_t max_bytes, uint64_t* size) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw RunnerError("model_error", "cannot open " + path + ": " + std::strerror(errno), "check the path and its permissions");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw RunnerError("model_error", "cannot stat " + path + ": " + std::strerror(err), "check the path and its permissions");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* kind = S_ISDIR(st.st_mode) ? "a folder" : S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ? "a character device"
                       : S_ISBLK(st.st_mode) ? "a block device" : S_ISSOCK(st.st_mode) ? "a socket" : "not a regular file";
    throw RunnerError("model_error", path + " is " + kind + ", not a regular file",
                      "model files must be plain files (or links to plain files)");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    throw RunnerError("model_error", path + " is " + std::to_string(st.st_size) + " bytes, more than the " + std::to_string(max_bytes) + " expected of it",
                      "is this the right file?");
  }
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

std::string read_regular_file(const std::string& path, uint64_t max_bytes) {
  uint64_t size = 0;
  const int fd = open_regular_file(path, max_bytes, &size);
  std::string out(static_cast<size_t>(size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t r = ::read(fd, &out[got], out.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      const int err = errno;
      ::close(fd);
      throw RunnerError("model_error", "reading " + path + " failed" + (r < 0 ? std::string(": ") + std::strerror(err) : " (it shrank while read)"),
                        "check the file");
    }
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  return out;
}

namespace {
uint16_t float_to_bf16_rn(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu) != 0) return static_cast<uint16_t>((u >> 16) | 0x0040u);  // NaN
  return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}
}  // namespace

int64_t write_safetensors(const std::string& path, const std::map<std::string, const Tensor*>& tensors, bool bf16) {
  const uint64_t elem = bf16 ? 2 : 4;
  Json header = Json::object();
  Json meta = Json::object();
  meta.set("format", "pt");
  header.set("__metadata__", meta);
  uint64_t off = 0;
  for (const auto& kv : tensors) {
    Json e = Json::object();
    e.set("dtype", bf16 ? "BF16" : "F32");
    e.set("shape", Json::array_of(kv.second->shape));
    Json offs = Json::array();
    offs.push(Json(off));
    off += static_cast<uint64_t>(kv.second->numel()) * elem;
    offs.push(Json(off));
    e.set("data_offsets", offs);
    header.set(kv.first, e);
  }
  std::string h = header.dump();
  while (h.size() % 8 != 0) h += ' ';  // keeps the data 8-byte aligned, as the reference writer does
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw RunnerError("bad_request", "cannot write " + path, "check that the folder is writable");
  unsigned char len[8];
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xFF);
  f.write(reinterpret_cast<const char*>(len), 8);
  f.write(h.data(), static_cast<std::streamsize>(h.size()));
  for (const auto& kv : tensors) {
    const Tensor& t = *kv.second;
    const size_t held = t.kept16() ? t.half.size() : t.data.size();
    if (static_cast<int64_t>(held) != t.numel())
      throw RunnerError("internal", "export: tensor '" + kv.first + "' has " + std::to_string(held) + " values for shape " + shape_str(t.shape));
    if (!bf16 && !t.kept16() && !t.panels16) {
      f.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size() * 4));
      continue;
    }
    // In chunks of 1M values, widened (exactly) from a 16-bit tensor, rounded for a BF16 file.
    std::vector<float> wide;
    std::vector<uint16_t> buf;
    for (size_t i = 0; i < held; i += (1u << 20)) {
      const size_t n = std::min(held - i, static_cast<size_t>(1u << 20));
      wide.resize(n);
      t.values(static_cast<int64_t>(i), static_cast<int64_t>(n), wide.data());
      if (!bf16) {
        f.write(reinterpret_cast<const char*>(wide.data()), static_cast<std::streamsize>(n * 4));
        continue;
      }
      buf.resize(n);
      for (size_t j = 0; j < n; ++j) buf[j] = float_to_bf16_rn(wide[j]);
      f.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n * 2));
    }
  }
  f.close();
  if (!f) throw RunnerError("bad_request", "writing " + path + " failed", "disk full?");
  return static_cast<int64_t>(8 + h.size() + off);
}

}  // namespace gem
