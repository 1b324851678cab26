// SPDX-License-Identifier: MIT
// Tests autograd/parallel_for.hpp: every index is visited exactly once, in chunks of at most the
// grain (parallel_chunks, and parallel_chunks_of over several arrays), inline for small ranges and
// for one thread, the grain follows the thread count, and the same bits come out at 1, 2 and 16
// threads.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/autograd/kernels.hpp"
#include "axon/autograd/parallel_for.hpp"
#include "axon/train/parallel.hpp"

namespace axon::test {

TEST_CASE("parallel_chunks: covers [0, n) exactly once in chunks no larger than the grain") {
  train::set_num_threads(2);
  for (const std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(7), std::size_t(100),
                              std::size_t(1000), std::size_t(4099)}) {
    for (const std::size_t grain :
         {std::size_t(0), std::size_t(1), std::size_t(64), std::size_t(5000)}) {
      CAPTURE(n);
      CAPTURE(grain);
      std::vector<std::atomic<int>> hits(n);
      std::atomic<std::size_t> largest{0};
      autograd::parallel_chunks(n, grain, [&](std::size_t begin, std::size_t end) {
        REQUIRE(begin < end);
        std::size_t seen = largest.load();
        while (end - begin > seen && !largest.compare_exchange_weak(seen, end - begin)) {
        }
        for (std::size_t i = begin; i < end; ++i) hits[i].fetch_add(1);
      });
      for (std::size_t i = 0; i < n; ++i) CHECK(hits[i].load() == 1);
      CHECK(largest.load() <= std::max<std::size_t>(grain, 1));
    }
  }
}

TEST_CASE("parallel_chunks: a range within the grain runs inline on the calling thread") {
  train::set_num_threads(2);
  const auto caller = std::this_thread::get_id();
  bool inline_call = false;
  autograd::parallel_chunks(10, 10, [&](std::size_t begin, std::size_t end) {
    inline_call = begin == 0 && end == 10 && std::this_thread::get_id() == caller;
  });
  CHECK(inline_call);
}

TEST_CASE("parallel_chunks: with one thread the whole range runs inline as one chunk") {
  train::set_num_threads(1);
  const auto caller = std::this_thread::get_id();
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  bool on_caller = true;
  autograd::parallel_chunks(100000, 100, [&](std::size_t begin, std::size_t end) {
    calls.emplace_back(begin, end);
    on_caller = on_caller && std::this_thread::get_id() == caller;
  });
  REQUIRE(calls.size() == 1);
  CHECK(calls[0] == std::pair<std::size_t, std::size_t>(0, 100000));
  CHECK(on_caller);
  train::set_num_threads(0);
}

namespace {

struct Piece {
  std::size_t item, begin, end;
};

/// Every piece parallel_chunks_of hands out for `sizes`, in no particular order.
std::vector<Piece> pieces_of(const std::vector<std::size_t>& sizes, std::size_t grain) {
  std::mutex mutex;
  std::vector<Piece> pieces;
  autograd::parallel_chunks_of(sizes, grain, [&](std::size_t item, std::size_t b, std::size_t e) {
    std::lock_guard<std::mutex> lock(mutex);
    pieces.push_back({item, b, e});
  });
  return pieces;
}

}  // namespace

TEST_CASE("parallel_chunks_of: covers every item's [0, size) once, pieces within one item") {
  for (const std::size_t threads : {std::size_t(1), std::size_t(2), std::size_t(16)}) {
    train::set_num_threads(threads);
    for (const std::size_t grain : {std::size_t(1), std::size_t(7), std::size_t(1000)}) {
      const std::vector<std::size_t> sizes = {0, 5, 2500, 0, 1, 999, 1001, 0};
      CAPTURE(threads);
      CAPTURE(grain);
      std::vector<std::vector<int>> hits(sizes.size());
      for (std::size_t k = 0; k < sizes.size(); ++k) hits[k].assign(sizes[k], 0);
      for (const Piece& p : pieces_of(sizes, grain)) {
        REQUIRE(p.item < sizes.size());
        REQUIRE(p.begin < p.end);
        REQUIRE(p.end <= sizes[p.item]);
        CHECK(p.end - p.begin <= grain);
        for (std::size_t i = p.begin; i < p.end; ++i) ++hits[p.item][i];
      }
      for (std::size_t k = 0; k < sizes.size(); ++k) {
        for (std::size_t i = 0; i < sizes[k]; ++i) REQUIRE(hits[k][i] == 1);
      }
    }
  }
  train::set_num_threads(0);
}

TEST_CASE("elementwise_grain: the two-thread grain, halved per doubling of threads, floored") {
  for (const auto& [threads, grain] :
       std::vector<std::pair<std::size_t, std::size_t>>{{1, autograd::kElementwiseGrain},
                                                        {2, autograd::kElementwiseGrain},
                                                        {4, autograd::kElementwiseGrain / 2},
                                                        {8, autograd::kElementwiseGrain / 4},
                                                        {16, autograd::kMinElementwiseGrain},
                                                        {64, autograd::kMinElementwiseGrain}}) {
    CAPTURE(threads);
    train::set_num_threads(threads);
    CHECK(autograd::parallelism() == threads);
    CHECK(autograd::elementwise_grain() == grain);
  }
  train::set_num_threads(0);
}

TEST_CASE("parallel_chunks: an elementwise update gives the same bits at 1, 2 and 16 threads") {
  auto run = [](std::size_t threads) {
    train::set_num_threads(threads);
    std::vector<float> x(100003);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 97) * 0.37f;
    autograd::parallel_chunks(x.size(), 1000, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) x[i] = x[i] * 0.9f + 1.0f / (1.0f + x[i]);
    });
    return x;
  };
  const auto one = run(1);
  const auto two = run(2);
  const auto sixteen = run(16);
  CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(one.data(), sixteen.data(), one.size() * sizeof(float)) == 0);
  train::set_num_threads(0);
}

TEST_CASE("elementwise ops above kParallelGrain: same bits at 1 and 2 threads, as a serial loop") {
  using namespace autograd;
  const std::size_t n = 3 * kernels::kParallelGrain + 5;
  auto run = [&](std::size_t threads) {
    train::set_num_threads(threads);
    Generator gen(4);
    const auto a = randn<float>({n}, gen);
    const auto b = randn<float>({n}, gen);
    return std::pair{(exp(a) * b + 2.0f).detach(), a};
  };
  const auto [one, a] = run(1);
  const auto [two, unused] = run(2);
  REQUIRE(one.numel() == n);
  CHECK(std::memcmp(one.data_ptr(), two.data_ptr(), n * sizeof(float)) == 0);
  Generator gen(4);
  const auto a2 = randn<float>({n}, gen);
  const auto b2 = randn<float>({n}, gen);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float expected = std::exp(a2.data_ptr()[i]) * b2.data_ptr()[i] + 2.0f;
    mismatches += one.data_ptr()[i] == expected ? 0 : 1;
  }
  CHECK(mismatches == 0);
  train::set_num_threads(0);
}

}  // namespace axon::test
