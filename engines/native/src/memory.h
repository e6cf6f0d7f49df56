// Memory accounting of the runner's own allocations, by category (weights, kv, activations, workspace).
// One tracker per generate call is made "active"; TrackedVec registers its bytes with the active tracker, so the
// numbers are the sizes of the buffers actually held, not estimates. Peaks: per phase (reset by begin_phase) and
// overall; a peak is the category breakdown at the moment the total was highest, so peak.total() is consistent.
#pragma once
#include <cstdint>
#include <cstddef>
#include <vector>

#include "engine.h"

namespace gem {

enum class MemCat { Weights = 0, KV = 1, Activations = 2, Workspace = 3 };

class MemoryTracker {
 public:
  void add(MemCat c, int64_t bytes);
  void sub(MemCat c, int64_t bytes);
  void begin_phase();                 // phase peak := current
  MemoryBytes current() const { return cur_; }
  MemoryBytes phase_peak() const { return phase_peak_; }
  MemoryBytes overall_peak() const { return peak_; }

 private:
  void touch();
  MemoryBytes cur_, phase_peak_, peak_;
};

// The tracker TrackedVec reports to (nullptr: nothing is counted). Not thread-safe by design: buffers are
// (re)sized on the orchestrating thread only; worker threads write into existing buffers.
MemoryTracker* active_tracker();
// RAII: makes `t` the active tracker for the scope, restoring the previous one afterwards.
class ActiveTracker {
 public:
  explicit ActiveTracker(MemoryTracker* t);
  ~ActiveTracker();
  ActiveTracker(const ActiveTracker&) = delete;
  ActiveTracker& operator=(const ActiveTracker&) = delete;

 private:
  MemoryTracker* prev_;
};

// A std::vector<T> whose capacity in bytes is accounted under one category of the tracker that was active when it
// was created (or last assigned a category).
template <class T>
class TrackedVec {
 public:
  explicit TrackedVec(MemCat c = MemCat::Workspace) : cat_(c), tracker_(active_tracker()) {}
  TrackedVec(MemCat c, size_t n, T value = T()) : TrackedVec(c) { assign(n, value); }
  TrackedVec(const TrackedVec&) = delete;
  TrackedVec& operator=(const TrackedVec&) = delete;
  TrackedVec(TrackedVec&& o) noexcept : cat_(o.cat_), tracker_(o.tracker_), v_(std::move(o.v_)), counted_(o.counted_) {
    o.counted_ = 0;
  }
  TrackedVec& operator=(TrackedVec&& o) noexcept {
    if (this != &o) {
      release();
      cat_ = o.cat_;
      tracker_ = o.tracker_;
      v_ = std::move(o.v_);
      counted_ = o.counted_;
      o.counted_ = 0;
    }
    return *this;
  }
  ~TrackedVec() { release(); }

  void assign(size_t n, T value = T()) { v_.assign(n, value); sync(); }
  void resize(size_t n, T value = T()) { v_.resize(n, value); sync(); }
  void reserve(size_t n) { v_.reserve(n); sync(); }
  void clear_and_free() { std::vector<T>().swap(v_); sync(); }
  void push_back(const T& x) { v_.push_back(x); sync(); }
  void append(const T* p, size_t n) { v_.insert(v_.end(), p, p + n); sync(); }
  void erase(size_t pos, size_t n) { v_.erase(v_.begin() + pos, v_.begin() + pos + n); }  // capacity kept
  // Replace the contents by exactly `other` (capacity shrinks to fit, so memory is really returned).
  void replace(std::vector<T>&& other) { other.shrink_to_fit(); v_ = std::move(other); sync(); }

  size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  T* data() { return v_.data(); }
  const T* data() const { return v_.data(); }
  T& operator[](size_t i) { return v_[i]; }
  const T& operator[](size_t i) const { return v_[i]; }
  const std::vector<T>& vec() const { return v_; }

 private:
  void sync() {
    int64_t now = static_cast<int64_t>(v_.capacity() * sizeof(T));
    if (tracker_ && now != counted_) {
      if (now > counted_) tracker_->add(cat_, now - counted_);
      else tracker_->sub(cat_, counted_ - now);
    }
    counted_ = now;
  }
  void release() {
    if (tracker_ && counted_) tracker_->sub(cat_, counted_);
    counted_ = 0;
  }
  MemCat cat_;
  MemoryTracker* tracker_;
  std::vector<T> v_;
  int64_t counted_ = 0;
};

using FVec = TrackedVec<float>;
using DVec = TrackedVec<double>;

// Has the C allocator serve blocks up to 32 MiB (glibc's largest setting) from its heap and keep freed heap memory
// for the next allocation instead of returning it to the system: a forward's buffers are then reused from call to
// call and layer to layer, not faulted in page by page again (on the VM we measured, those faults cost a third of a
// 4K-token small-llama prefill). The tracked bytes above do not change; the process's resident size stays at its
// high-water mark. The runner calls it once at start (glibc only; elsewhere it does nothing).
void keep_freed_heap();

}  // namespace gem
