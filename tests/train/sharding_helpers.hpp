// SPDX-License-Identifier: MIT
#pragma once
// What the batch-parallel tests (test_parallel.cpp, test_sharding.cpp) share.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include "axon/autograd/autograd.hpp"
#include "axon/datasets/dataset.hpp"
#include "axon/nn/module.hpp"
#include "axon/train/parallel.hpp"

namespace axon::test {

/// A batch of `n` random samples with `features` inputs and labels in [0, classes).
inline datasets::Batch random_batch(std::size_t n, std::size_t features, std::size_t classes,
                                    std::uint64_t seed) {
  autograd::Generator gen(seed);
  datasets::Batch b;
  b.inputs = autograd::randn<float>({n, features}, gen);
  for (std::size_t i = 0; i < n; ++i) {
    b.labels.push_back(static_cast<std::size_t>(gen.below(classes)));
    b.indices.push_back(i);
  }
  return b;
}

/// Every parameter's gradient, in parameters() order.
template <class T>
std::vector<xt::xarray<T>> gradients(nn::BasicModule<T>& model) {
  std::vector<xt::xarray<T>> out;
  for (auto& p : model.parameters()) out.push_back(p.grad().data());
  return out;
}

/// How many distinct threads of `arena` run at the same time when asked for `threads`: that many
/// tasks each wait (up to 10 s) until all of them have started, so each needs its own thread.
inline std::size_t threads_together(tbb::task_arena& arena, std::size_t threads) {
  std::atomic<std::size_t> arrived{0};
  std::mutex mutex;
  std::set<std::thread::id> ids;
  arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, threads, 1),
        [&](const tbb::blocked_range<std::size_t>& r) {
          for (std::size_t i = r.begin(); i != r.end(); ++i) {
            {
              std::lock_guard<std::mutex> lock(mutex);
              ids.insert(std::this_thread::get_id());
            }
            arrived.fetch_add(1);
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (arrived.load() < threads && std::chrono::steady_clock::now() < deadline) {
              std::this_thread::yield();
            }
          }
        },
        tbb::simple_partitioner());
  });
  return ids.size();
}

/// Runs `fn` with train::set_num_threads(threads) in a oneTBB arena of `threads` workers,
/// oversubscribed when the machine has fewer cores (the implicit arena has one worker per core
/// whatever set_num_threads allows). Checks first that `threads` threads of the arena really run
/// together, and that train::workers() says so. Returns what fn returns.
template <class F>
auto in_arena(std::size_t threads, F&& fn) {
  train::set_num_threads(threads);
  tbb::task_arena arena(static_cast<int>(threads));
  CHECK(threads_together(arena, threads) == threads);
  CHECK(arena.execute([] { return train::workers(); }) == threads);
  return arena.execute(fn);
}

}  // namespace axon::test
