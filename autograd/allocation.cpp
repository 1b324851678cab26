// SPDX-License-Identifier: MIT
#include "axon/autograd/allocation.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace axon::autograd {

namespace {

std::mutex& policy_mutex() {
  static std::mutex mutex;
  return mutex;
}
std::atomic<AllocationPolicy> policy{AllocationPolicy::pending};

}  // namespace

AllocationPolicy apply_allocation_policy() {
  const AllocationPolicy now = policy.load(std::memory_order_acquire);
  if (now != AllocationPolicy::pending) return now;  // the fast path of every later tape
  std::lock_guard<std::mutex> lock(policy_mutex());
  if (policy.load(std::memory_order_relaxed) != AllocationPolicy::pending) return policy.load();
  AllocationPolicy chosen = AllocationPolicy::system;
#if defined(__GLIBC__)
  const char* env = std::getenv("AXON_ALLOCATION");
  if (env == nullptr || std::strcmp(env, "system") != 0) {
    const AllocationSettings s;
    // mallopt returns 1 on success; a refused setting leaves glibc's default for it.
    mallopt(M_MMAP_THRESHOLD, static_cast<int>(s.mmap_threshold));
    mallopt(M_TRIM_THRESHOLD, static_cast<int>(s.trim_threshold));
    mallopt(M_TOP_PAD, static_cast<int>(s.top_pad));
    chosen = AllocationPolicy::training;
  }
#endif
  policy.store(chosen, std::memory_order_release);
  return chosen;
}

AllocationPolicy keep_system_allocation() {
  std::lock_guard<std::mutex> lock(policy_mutex());
  if (policy.load(std::memory_order_relaxed) == AllocationPolicy::pending) {
    policy.store(AllocationPolicy::system, std::memory_order_release);
  }
  return policy.load();
}

AllocationPolicy allocation_policy() {
  return policy.load(std::memory_order_acquire);
}

}  // namespace axon::autograd
