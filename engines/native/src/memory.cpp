#include "memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gem {

namespace {
MemoryTracker* g_active = nullptr;
int64_t& slot(MemoryBytes& m, MemCat c) {
  switch (c) {
    case MemCat::Weights: return m.weights;
    case MemCat::KV: return m.kv;
    case MemCat::Activations: return m.activations;
    default: return m.workspace;
  }
}
}  // namespace

void MemoryTracker::add(MemCat c, int64_t bytes) {
  slot(cur_, c) += bytes;
  touch();
}

void MemoryTracker::sub(MemCat c, int64_t bytes) { slot(cur_, c) -= bytes; }

void MemoryTracker::begin_phase() { phase_peak_ = cur_; }

void MemoryTracker::touch() {
  if (cur_.total() > phase_peak_.total()) phase_peak_ = cur_;
  if (cur_.total() > peak_.total()) peak_ = cur_;
}

MemoryTracker* active_tracker() { return g_active; }

ActiveTracker::ActiveTracker(MemoryTracker* t) : prev_(g_active) { g_active = t; }
ActiveTracker::~ActiveTracker() { g_active = prev_; }

void keep_freed_heap() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 16 << 20);
#endif
}

}  // namespace gem
