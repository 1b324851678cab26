// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <limits>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

/// Internal: parallel loops over chunks fixed by the caller, for ops whose chunks produce
/// partial sums (the convolution weight gradient) or independent blocks (samples, pooling
/// planes). Ops may run inside a batch-parallel training step, where each shard already is a
/// oneTBB task, so the loop is isolated (a thread waiting for it only takes work of this loop,
/// never another shard, which would otherwise nest inside the waiting one) and cut into chunks
/// that depend on the shapes only, never on the scheduler. An op whose chunks each produce a
/// partial sum combines them in chunk order afterwards, so its results do not depend on the
/// thread count.
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
