// SPDX-License-Identifier: MIT
// Tests how train/parallel.cpp cuts a batch into shards and what it accepts: the one-sample tail,
// slice_batch, batches built by hand, rows that do not match, and the thread count setting.
#include <doctest/doctest.h>

#include <cstdlib>
#include <vector>

#include <oneapi/tbb/info.h>

#include "axon/autograd/parallel_for.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/train/parallel.hpp"

#include "tests/train/sharding_helpers.hpp"

namespace axon::test {

using autograd::Generator;

TEST_CASE("parallel: a one-sample tail joins the previous shard") {
  Generator gen(3);
  nn::Linear model(nn::LinearOptions(3, 2), gen);
  train::ShardedStep sharded(4, 0);
  auto loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  auto sizes = [&](std::size_t n) {
    std::vector<std::size_t> out;
    for (const auto& s : sharded.run(model, loss, random_batch(n, 3, 2, 1)).shards) {
      out.push_back(s.size());
    }
    return out;
  };
  CHECK(sizes(9) == std::vector<std::size_t>{4, 5});
  CHECK(sizes(10) == std::vector<std::size_t>{4, 4, 2});
  CHECK(sizes(8) == std::vector<std::size_t>{4, 4});
  CHECK(sizes(1) == std::vector<std::size_t>{1});
  CHECK(sizes(5) == std::vector<std::size_t>{5});
}

TEST_CASE("parallel: slice_batch and bad arguments") {
  const auto b = random_batch(10, 3, 2, 1);
  const auto s = train::slice_batch(b, 2, 5);
  CHECK(s.size() == 3);
  CHECK(s.inputs.shape() == autograd::Shape{3, 3});
  CHECK(s.inputs.data()(0, 1) == b.inputs.data()(2, 1));
  CHECK(s.labels[2] == b.labels[4]);
  CHECK_THROWS_AS(train::slice_batch(b, 5, 11), IndexError);
  CHECK_THROWS_AS(train::ShardedStep(0), ValueError);
}

TEST_CASE("parallel: set_num_threads(0) takes AXON_NUM_THREADS, else every core; bad counts") {
  ::setenv("AXON_NUM_THREADS", "3", 1);
  train::set_num_threads(0);
  CHECK(train::num_threads() == 3);
  CHECK(autograd::parallelism() == 3);
  ::setenv("AXON_NUM_THREADS", "two", 1);
  CHECK_THROWS_WITH_AS(train::set_num_threads(0),
                       "AXON_NUM_THREADS='two': expected an integer from 1 to 4096", ValueError);
  CHECK(train::num_threads() == 3);  // unchanged by the failed call
  ::unsetenv("AXON_NUM_THREADS");
  train::set_num_threads(0);
  CHECK(train::num_threads() == static_cast<std::size_t>(tbb::info::default_concurrency()));
  CHECK_THROWS_WITH_AS(train::set_num_threads(train::kMaxThreads + 1),
                       "set_num_threads: 4097 threads, at most 4096", ValueError);
  train::set_num_threads(train::kMaxThreads);  // allowed, however many cores there are
  CHECK(train::num_threads() == train::kMaxThreads);
  train::set_num_threads(0);
}

TEST_CASE("parallel: a batch built by hand without indices is sharded by its inputs' rows") {
  // Regression: Batch::size() counted only the indices, so such a batch was an "empty batch".
  train::set_num_threads(2);
  datasets::Batch batch = random_batch(10, 5, 3, 4);
  datasets::Batch bare = batch;
  bare.indices.clear();
  CHECK(bare.size() == 10);
  auto loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  Generator gen(1);
  nn::Linear model(nn::LinearOptions(5, 3), gen);
  train::ShardedStep step(4);
  const auto with = step.run(model, loss, batch);
  const auto grads_with = gradients(model);
  for (auto& p : model.parameters()) p.zero_grad();
  const auto without = step.run(model, loss, bare);
  CHECK(without.shards.size() == 3);
  CHECK(with.loss == without.loss);
  CHECK(gradients(model) == grads_with);
  train::set_num_threads(0);
}

TEST_CASE("parallel: a batch whose labels or targets do not have one row per sample") {
  // Hand-made batches: slice_batch read labels[begin, end) and rows of the targets without
  // checking their sizes (reading past the labels' end; targets of 6 rows for 10 samples were
  // cut into wrong rows silently).
  auto b = random_batch(10, 3, 2, 1);
  b.labels.resize(6);
  CHECK_THROWS_WITH_AS(train::slice_batch(b, 0, 10),
                       doctest::Contains("slice_batch: 6 labels for a batch of 10 samples"),
                       ShapeError);
  Generator gen(3);
  nn::Linear model(nn::LinearOptions(3, 2), gen);
  train::ShardedStep sharded(4, 0);
  auto loss = [](const autograd::Tensor& out, const datasets::Batch& batch) {
    return nn::cross_entropy(out, batch.labels);
  };
  CHECK_THROWS_AS(sharded.run(model, loss, b), ShapeError);

  b = random_batch(10, 3, 2, 1);
  b.targets = autograd::zeros<float>({6, 2});
  CHECK_THROWS_WITH_AS(train::slice_batch(b, 0, 4),
                       doctest::Contains("slice_batch: targets of shape [6,2] for a batch of 10"),
                       ShapeError);
  b.targets = autograd::zeros<float>({});
  CHECK_THROWS_AS(train::slice_batch(b, 0, 4), ShapeError);
  b.targets = autograd::Tensor();
  b.inputs = autograd::zeros<float>({12, 3});
  CHECK_THROWS_WITH_AS(train::slice_batch(b, 0, 4),
                       doctest::Contains("slice_batch: inputs of shape [12,3] for a batch of 10"),
                       ShapeError);
}

}  // namespace axon::test
