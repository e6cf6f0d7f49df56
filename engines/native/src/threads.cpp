#include "threads.h"

#include <atomic>
#include <thread>

namespace gem {
namespace {
int hardware_threads() {
  unsigned h = std::thread::hardware_concurrency();
  return h == 0 ? 1 : static_cast<int>(h);
}
std::atomic<int>& threads_slot() {
  static std::atomic<int> n{hardware_threads()};
  return n;
}
}  // namespace

int num_threads() { return threads_slot().load(std::memory_order_relaxed); }

void set_num_threads(int n) { threads_slot().store(n >= 1 ? n : hardware_threads(), std::memory_order_relaxed); }

}  // namespace gem
