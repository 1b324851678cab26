// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

/// Data parallelism inside one kernel (docs/ARCHITECTURE.md, properties 7 to 9): elementwise ranges
/// (parallel_chunks) and caller-fixed chunks with ordered partial sums (chunks::for_each_chunk).
///
/// `parallel_chunks(n, grain, fn)` calls `fn(begin, end)` on chunks covering [0, n) and may run
/// them on several threads. It is for loops whose every index is computed on its own
/// (elementwise updates, copies, per-row conversions): such a loop gives the same bits however
/// the range is cut, so the result does not depend on the thread count. Never use it for a sum
/// across indices; reductions keep a fixed order (train/reduction_tree.hpp).
///
/// The work runs inside `this_task_arena::isolate`, so a thread waiting for its chunks never
/// picks up an unrelated outer task (for example another shard of a batch-parallel step) and
/// thread-local state such as the current tape is never observed mid-way by another task.
/// Ranges of at most `grain` indices, and every range when the thread limit set by
/// train::set_num_threads is 1, run inline as one chunk, with no scheduling cost.
namespace axon::autograd {

/// Indices per chunk for memory-bound elementwise loops on two threads: large enough that
/// scheduling costs stay small (with 16,384 the mlp benchmark's 2-thread run was about 8% slower:
/// each step opens several parallel regions), small enough that a 100,000-element parameter is
/// cut into 4 chunks.
inline constexpr std::size_t kElementwiseGrain = 32768;
/// The smallest chunk elementwise_grain() gives, however many threads there are.
inline constexpr std::size_t kMinElementwiseGrain = 4096;

/// The threads parallel work may use now: oneTBB's max_allowed_parallelism, which
/// train::set_num_threads sets (the machine's cores when nothing set it).
inline std::size_t parallelism() {
  return tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
}

/// Indices per chunk for memory-bound elementwise loops at the current thread count:
/// kElementwiseGrain on one or two threads, halved each time the thread count doubles, never
/// below kMinElementwiseGrain. A 100,000-element parameter is then cut into 4 chunks on 2 threads
/// and 32 on 16, so a many-core machine has chunks for every thread. The chunking never changes
/// an elementwise loop's bits (each index is computed on its own).
inline std::size_t elementwise_grain() {
  const std::size_t threads = parallelism();
  if (threads <= 2) return kElementwiseGrain;
  const std::size_t grain = kElementwiseGrain * 2 / threads;
  return grain < kMinElementwiseGrain ? kMinElementwiseGrain : grain;
}

/// Calls `fn(begin, end)` on chunks of at most `grain` indices covering [0, n), possibly on several
/// threads; for elementwise loops only (see the namespace description). Pass a lambda capturing by
/// value.
template <class F>
void parallel_chunks(std::size_t n, std::size_t grain, const F& fn) {
  // Each chunk calls a local copy of `fn`: once inlined, the copy's captured values become
  // registers, so the loop's stores cannot alias them and it vectorises. Pass lambdas that
  // capture by value ([=]); a by-reference capture reaches the caller's frame through a pointer.
  if (grain == 0) grain = 1;
  if (n <= grain || parallelism() == 1) {
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

/// parallel_chunks over several arrays in one parallel region: calls `fn(item, begin, end)` on
/// chunks of at most `grain` indices covering [0, sizes[item]) for every item. One region instead
/// of one per array (an optimizer step over every parameter, the shard-gradient reduction): each
/// region start costs tens of microseconds on a many-core machine. For elementwise loops only,
/// as parallel_chunks; chunks never straddle two items.
template <class Sizes, class F>
void parallel_chunks_of(const Sizes& sizes, std::size_t grain, const F& fn) {
  if (grain == 0) grain = 1;
  struct Piece {
    std::size_t item, begin, end;
  };
  std::vector<Piece> pieces;
  for (std::size_t item = 0; item < sizes.size(); ++item) {
    const std::size_t n = sizes[item];
    for (std::size_t b = 0; b < n; b += grain) pieces.push_back({item, b, std::min(n, b + grain)});
  }
  parallel_chunks(pieces.size(), 1, [&pieces, &fn](std::size_t first, std::size_t last) {
    for (std::size_t k = first; k < last; ++k) fn(pieces[k].item, pieces[k].begin, pieces[k].end);
  });
}

}  // namespace axon::autograd

/// Loops over chunks fixed by the caller, for ops whose chunks produce partial sums (the
/// convolution weight gradient) or independent blocks (samples, pooling planes). The chunks
/// depend on the shapes only, never on the scheduler; an op whose chunks each produce a partial
/// sum combines them in chunk order afterwards, so its results do not depend on the thread count.
/// Isolated like parallel_chunks.
namespace axon::autograd::chunks {

/// Calls body(chunk) for every chunk in [0, chunks), in parallel when there is more than one.
template <class F>
void for_each_chunk(std::size_t chunks, F&& body) {
  if (chunks == 0) return;
  if (chunks == 1) {
    body(std::size_t{0});
    return;
  }
  tbb::this_task_arena::isolate([&] {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, chunks, 1),
        [&](const tbb::blocked_range<std::size_t>& r) {
          for (std::size_t c = r.begin(); c != r.end(); ++c) body(c);
        },
        tbb::simple_partitioner());
  });
}

/// The number of chunks of `grain` items covering `items` (the last chunk may be shorter).
inline std::size_t chunk_count(std::size_t items, std::size_t grain) {
  return items == 0 ? 0 : 1 + (items - 1) / (grain == 0 ? 1 : grain);
}

/// Items per chunk so that each chunk holds at least `min_work` units of work (at least 1 item),
/// given `work_per_item`. Depends only on its arguments, never on the machine.
inline std::size_t grain_for(std::size_t work_per_item, std::size_t min_work) {
  if (work_per_item == 0) return std::numeric_limits<std::size_t>::max();  // one chunk
  return min_work <= work_per_item ? 1 : 1 + (min_work - 1) / work_per_item;
}

}  // namespace axon::autograd::chunks
