// SPDX-License-Identifier: MIT
// The process's heap settings for training: large tensors reused from the heap instead of mapped
// and unmapped every step.
#pragma once

#include <cstddef>

namespace axon::autograd {

/// What the allocation policy did (allocation_policy()).
enum class AllocationPolicy {
  pending,   ///< not decided yet: no tape has been created in this process
  training,  ///< glibc's malloc tuned for training (see apply_allocation_policy)
  system     ///< the C library's defaults left as they are (opted out, or not glibc)
};

/// The mallopt settings of the training policy.
struct AllocationSettings {
  /// Allocations from this size on that the heap's free memory cannot serve are mapped by mmap
  /// and unmapped on free (M_MMAP_THRESHOLD; 32 MiB is glibc's largest on 64-bit systems; its
  /// adaptive default starts at 128 KiB).
  std::size_t mmap_threshold = std::size_t{32} << 20;
  /// Free memory at the top of a heap kept rather than handed back to the system
  /// (M_TRIM_THRESHOLD; glibc's default is 128 KiB, growing to at most 64 MiB).
  std::size_t trim_threshold = std::size_t{512} << 20;
  /// Extra bytes requested whenever a heap grows (M_TOP_PAD; glibc's default is 128 KiB).
  std::size_t top_pad = std::size_t{64} << 20;
};

/// Applies the allocation policy once per process; the first Tape calls it, so it runs before
/// any tensor is recorded. A training step allocates the same large temporaries (activations,
/// attention weights, gradients of a few MB each) every step; under glibc's defaults those above
/// the adaptive mmap threshold are mapped and unmapped each time, and freed heap tops are trimmed
/// back to the system, so every step pays page faults to touch fresh zero pages again (the
/// `transformer` benchmark ran 1.5x to 1.9x slower per CPU second, bench/README.md). The policy
/// sets AllocationSettings{} with mallopt: freed memory stays in the process and is reused; the
/// peak resident size is unchanged, the memory is only not returned between steps.
///
/// Opt out with the environment variable AXON_ALLOCATION=system, or by calling
/// keep_system_allocation() before the first tensor operation. A no-op on C libraries other
/// than glibc. Returns the policy in force.
AllocationPolicy apply_allocation_policy();

/// Leaves the C library's allocator settings alone for the rest of the process, if called before
/// the policy was applied (before the first tensor operation). Returns the policy in force:
/// `system` unless the training policy was already applied.
AllocationPolicy keep_system_allocation();

/// The policy in force (pending before the first tape).
AllocationPolicy allocation_policy();

}  // namespace axon::autograd
