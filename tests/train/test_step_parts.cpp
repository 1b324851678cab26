// SPDX-License-Identifier: MIT
// Tests the named parts of a batch-parallel step (train/parallel.hpp) one at a time: the shard
// layout, the scopes a shard runs in (train/shard_scopes.hpp), running the shards, the planned
// reduction and the fused update.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "axon/autograd/grad_sink.hpp"
#include "axon/autograd/shard.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/sgd.hpp"
#include "axon/train/parallel.hpp"
#include "axon/train/shard_scopes.hpp"

#include "tests/train/sharding_helpers.hpp"

namespace axon::test {

using autograd::Generator;
using train::LeafRange;

namespace {

nn::SequentialD small_model(std::uint64_t seed) {
  Generator gen(seed);
  return nn::SequentialD{std::make_shared<nn::LinearD>(nn::LinearOptions(5, 6), gen),
                         std::make_shared<nn::TanhD>(),
                         std::make_shared<nn::LinearD>(nn::LinearOptions(6, 3), gen)};
}

train::BasicLossFunction<double> ce_loss() {
  return [](const autograd::TensorD& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
}

}  // namespace

TEST_CASE("step parts: shard_ranges cuts n samples by shard size alone") {
  CHECK(train::shard_ranges(10, 4) == std::vector<LeafRange>{{0, 4}, {4, 8}, {8, 10}});
  CHECK(train::shard_ranges(9, 4) == std::vector<LeafRange>{{0, 4}, {4, 9}});  // tail of 1 joins
  CHECK(train::shard_ranges(1, 4) == std::vector<LeafRange>{{0, 1}});
  CHECK(train::shard_ranges(8, 8) == std::vector<LeafRange>{{0, 8}});
  CHECK_THROWS_AS(train::shard_ranges(0, 4), ValueError);
  CHECK_THROWS_AS(train::shard_ranges(4, 0), ValueError);
}

TEST_CASE("step parts: ShardScopes sets the shard's tape, sink, stream and index, then restores") {
  autograd::Tape tape;
  autograd::LeafGradients<double> sink;
  const Generator root(9);
  autograd::Tape& outer_tape = autograd::current_tape();
  CHECK(autograd::current_shard() == nullptr);
  CHECK(autograd::scoped_generator() == nullptr);
  autograd::TensorD w = autograd::ones<double>({3}, /*requires_grad=*/true);
  {
    train::ShardScopes<double> scopes(tape, sink, root, /*step=*/2, /*index=*/1, /*count=*/3);
    CHECK(&autograd::current_tape() == &tape);
    REQUIRE(autograd::current_shard() != nullptr);
    CHECK(autograd::current_shard()->index == 1);
    CHECK(autograd::current_shard()->count == 3);
    REQUIRE(autograd::scoped_generator() != nullptr);
    Generator expected = root.fork(train::ShardScopes<double>::stream_id(2, 1));
    CHECK(autograd::scoped_generator()->next_u64() == expected.next_u64());
    autograd::sum(w * w).backward();  // the gradient goes to the sink, not to w
    CHECK_FALSE(w.has_grad());
    REQUIRE(sink.find(&w.impl()) != nullptr);
    CHECK((*sink.find(&w.impl()))(0) == 2.0);
  }
  CHECK(&autograd::current_tape() == &outer_tape);
  CHECK(autograd::current_shard() == nullptr);
  CHECK(autograd::scoped_generator() == nullptr);
  // A new scope starts with an empty sink.
  { train::ShardScopes<double> again(tape, sink, root, 3, 0, 1); }
  CHECK(sink.size() == 0);
}

TEST_CASE("step parts: run_shards, then the planned tree, equal run() bit for bit") {
  train::set_num_threads(2);
  const datasets::Batch batch = random_batch(21, 5, 3, 4);  // shards of 8: 8, 8, 5
  const auto shards = train::shard_ranges(batch.size(), 8);
  const Generator root(0);

  auto by_parts = small_model(1);
  train::ShardBuffers<double> buffers;
  const auto result =
      train::run_shards<double>(by_parts, ce_loss(), batch, shards, root, 0, buffers);
  REQUIRE(result.shards.size() == 3);
  CHECK(result.shards[2].size() == 5);
  for (auto& p : by_parts.parameters()) CHECK_FALSE(p.has_grad());  // all in the sinks
  CHECK(buffers.sinks[0].size() == 4);
  auto reductions =
      train::plan_parameter_reductions<double>(by_parts, buffers.sinks, shards, "test");
  REQUIRE(reductions.size() == 4);
  // (0 + 1) weighted 8/21 each, then (01) + 2 weighted 1 and 5/21.
  REQUIRE(reductions[0].plan.adds.size() == 2);
  CHECK(reductions[0].plan.adds[0].dst_weight == 8.0 / 21.0);
  CHECK(reductions[0].plan.adds[0].src_weight == 8.0 / 21.0);
  CHECK(reductions[0].plan.adds[1].dst_weight == 1.0);
  CHECK(reductions[0].plan.adds[1].src_weight == 5.0 / 21.0);
  train::reduce_into_gradients(reductions);

  auto whole = small_model(1);
  train::BasicShardedStep<double> sharded(8, 0);
  const auto expected = sharded.run(whole, ce_loss(), batch);
  CHECK(result.loss == expected.loss);
  const auto a = gradients(by_parts), b = gradients(whole);
  REQUIRE(a.size() == b.size());
  for (std::size_t p = 0; p < a.size(); ++p) {
    CHECK(std::memcmp(a[p].data(), b[p].data(), a[p].size() * sizeof(double)) == 0);
  }
  train::set_num_threads(0);
}

TEST_CASE("step parts: reduce_and_update equals reduce_into_gradients then the optimizer's step") {
  train::set_num_threads(2);
  const datasets::Batch batch = random_batch(30, 5, 3, 6);
  const auto shards = train::shard_ranges(batch.size(), 8);  // 8, 8, 14
  auto trained = [&](bool fused) {
    auto model = small_model(2);
    optim::BasicSGD<double> sgd(model.parameters(), optim::SGDOptions(0.1).momentum(0.9));
    train::ShardBuffers<double> buffers;
    for (std::uint64_t step = 0; step < 3; ++step) {
      sgd.zero_grad();
      train::run_shards<double>(model, ce_loss(), batch, shards, Generator(0), step, buffers);
      auto reductions = train::plan_parameter_reductions<double>(model, buffers.sinks, shards, "t");
      if (fused) {
        train::reduce_and_update(reductions, sgd);
      } else {
        train::reduce_into_gradients(reductions);
        sgd.step();
      }
      buffers.clear();
    }
    std::vector<double> out;
    for (auto& p : model.parameters()) {
      out.insert(out.end(), p.data_ptr(), p.data_ptr() + p.numel());
      out.insert(out.end(), p.grad_data().begin(), p.grad_data().end());
    }
    return out;
  };
  const auto fused = trained(true), two_pass = trained(false);
  REQUIRE(fused.size() == two_pass.size());
  CHECK(std::memcmp(fused.data(), two_pass.data(), fused.size() * sizeof(double)) == 0);
  train::set_num_threads(0);
}

}  // namespace axon::test
