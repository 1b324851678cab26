// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

/// Which shard of a batch-parallel step (train/parallel.hpp) the current thread is running.
///
/// Layers whose forward has side effects beyond the tape read it. BatchNorm, for example,
/// updates its running statistics only from shard 0, so that the buffers do not depend on the
/// thread count or on which shard finished first (the rule of PyTorch's DataParallel, which
/// keeps replica 0's buffers).
namespace axon::autograd {

/// The current shard of a batch-parallel step: its index and the number of shards.
struct ShardInfo {
  std::size_t index = 0;  ///< this shard's position in the batch, from 0
  std::size_t count = 1;  ///< number of shards in the batch
};

namespace detail {
inline const ShardInfo*& current_shard_slot() {
  thread_local const ShardInfo* slot = nullptr;
  return slot;
}
}  // namespace detail

/// The shard the current thread is running, or nullptr outside a batch-parallel step.
inline const ShardInfo* current_shard() {
  return detail::current_shard_slot();
}

/// Whether side effects of a forward pass (running statistics) should be applied here: outside a
/// batch-parallel step, or in its first shard.
inline bool is_primary_shard() {
  const ShardInfo* s = current_shard();
  return s == nullptr || s->index == 0;
}

/// Marks the current thread as running `info` for the scope's lifetime.
class ShardScope {
 public:
  /// Installs `info` for this thread; the destructor restores the previous one.
  explicit ShardScope(const ShardInfo& info) : previous_(detail::current_shard_slot()) {
    detail::current_shard_slot() = &info;
  }
  ~ShardScope() { detail::current_shard_slot() = previous_; }
  ShardScope(const ShardScope&) = delete;
  ShardScope& operator=(const ShardScope&) = delete;

 private:
  const ShardInfo* previous_;
};

}  // namespace axon::autograd
