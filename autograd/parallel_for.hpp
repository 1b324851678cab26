// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

/// Data parallelism inside one kernel (DESIGN.md, properties 7 to 9).
///
/// `parallel_chunks(n, grain, fn)` calls `fn(begin, end)` on chunks covering [0, n) and may run
/// them on several threads. It is for loops whose every index is computed on its own
/// (elementwise updates, copies, per-row conversions): such a loop gives the same bits however
/// the range is cut, so the result does not depend on the thread count. Never use it for a sum
/// across indices; reductions keep a fixed order (train/parallel.cpp's shard tree).
///
/// The work runs inside `this_task_arena::isolate`, so a thread waiting for its chunks never
/// picks up an unrelated outer task (for example another shard of a batch-parallel step) and
/// thread-local state such as the current tape is never observed mid-way by another task.
/// Ranges of at most `grain` indices run inline, with no scheduling cost; the thread limit set by
/// train::set_num_threads applies.
namespace axon::autograd {

/// Indices per chunk for memory-bound elementwise loops: large enough that scheduling costs are
/// negligible, small enough that a 100,000-element parameter is cut into several chunks.
inline constexpr std::size_t kElementwiseGrain = 16384;

template <class F>
void parallel_chunks(std::size_t n, std::size_t grain, const F& fn) {
  // Each chunk calls a local copy of `fn`: once inlined, the copy's captured values become
  // registers, so the loop's stores cannot alias them and it vectorises. Pass lambdas that
  // capture by value ([=]); a by-reference capture reaches the caller's frame through a pointer.
  if (grain == 0) grain = 1;
  if (n <= grain) {
    if (n > 0) {
      F local = fn;
      local(std::size_t(0), n);
    }
    return;
  }
  tbb::this_task_arena::isolate([&] {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, n, grain),
        [&fn](const tbb::blocked_range<std::size_t>& r) {
          F local = fn;
          local(r.begin(), r.end());
        },
        tbb::simple_partitioner());
  });
}

}  // namespace axon::autograd
