// SPDX-License-Identifier: MIT
// Tests train/parallel.cpp: sharded gradients equal unsharded ones, and training is bitwise
// reproducible whatever the thread count.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <utility>

#include <oneapi/tbb/info.h>

#include "axon/autograd/shard.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/dropout.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adagrad.hpp"
#include "axon/optim/adam.hpp"
#include "axon/optim/rmsprop.hpp"
#include "axon/optim/sgd.hpp"
#include "axon/train/parallel.hpp"

#include "tests/train/sharding_helpers.hpp"

namespace axon::test {

using namespace axon;
using autograd::Generator;

namespace {

/// Trains an MLP (20-hidden-4) with dropout for `steps` sharded steps; returns its parameters'
/// bytes and appends each step's loss to `losses`.
std::vector<float> train_run(std::size_t threads, std::uint64_t seed, std::size_t steps,
                             std::vector<double>& losses, std::size_t hidden = 32) {
  train::set_num_threads(threads);
  Generator gen(seed);
  nn::Sequential model{std::make_shared<nn::Linear>(nn::LinearOptions(20, hidden), gen),
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Dropout>(nn::DropoutOptions(0.3)),
                       std::make_shared<nn::Linear>(nn::LinearOptions(hidden, 4), gen)};
  optim::Adam adam(model.parameters(), optim::AdamOptions(1e-2));
  const datasets::Batch data = random_batch(256, 20, 4, seed + 1);
  train::ShardedStep sharded(16, seed);
  auto loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  for (std::size_t step = 0; step < steps; ++step) {
    const std::size_t begin = (step * 64) % 256;
    const datasets::Batch batch = train::slice_batch(data, begin, begin + 64);
    adam.zero_grad();
    losses.push_back(sharded.run(model, loss, batch).loss);
    adam.step();
  }
  std::vector<float> params;
  for (const auto& p : model.parameters()) {
    params.insert(params.end(), p.data_ptr(), p.data_ptr() + p.numel());
  }
  return params;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("parallel: sharded gradient of one batch equals the unsharded one (double)") {
  train::set_num_threads(2);
  Generator gen(3);
  nn::SequentialD model{std::make_shared<nn::LinearD>(nn::LinearOptions(6, 8), gen),
                        std::make_shared<nn::TanhD>(),
                        std::make_shared<nn::LinearD>(nn::LinearOptions(8, 3), gen)};
  const datasets::Batch batch = random_batch(37, 6, 3, 11);  // shards of 8: 8,8,8,8,5
  auto loss = [](const autograd::TensorD& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };

  auto whole = loss(model.forward(batch.inputs.to<double>()), batch);
  const double whole_loss = whole.item();
  whole.backward();
  const auto expected = gradients(model);
  model.zero_grad();

  train::BasicShardedStep<double> sharded(8, 0);
  const auto result = sharded.run(model, loss, batch);
  CHECK(result.outputs.size() == 5);
  CHECK(result.loss == doctest::Approx(whole_loss).epsilon(1e-12));
  const auto got = gradients(model);
  REQUIRE(got.size() == expected.size());
  for (std::size_t p = 0; p < got.size(); ++p) {
    double worst = 0, scale = 0;
    for (std::size_t i = 0; i < got[p].size(); ++i) {
      worst = std::max(worst, std::abs(got[p].data()[i] - expected[p].data()[i]));
      scale = std::max(scale, std::abs(expected[p].data()[i]));
    }
    CAPTURE(p);
    CHECK(scale > 0);
    CHECK(worst <= 1e-12 * scale);
  }
  train::set_num_threads(0);
}

TEST_CASE("parallel: 50 steps with dropout are bitwise identical at 1, 2, 4 and max threads") {
  // Each count runs in an arena of that many threads (in_arena checks they all run).
  std::vector<double> losses1, losses2, losses4, losses_max;
  auto run = [](std::size_t threads, std::vector<double>& losses) {
    return in_arena(threads, [&] { return train_run(threads, 5, 50, losses); });
  };
  const auto p1 = run(1, losses1);
  const auto p2 = run(2, losses2);
  const auto p4 = run(4, losses4);
  const auto pmax = run(static_cast<std::size_t>(tbb::info::default_concurrency()), losses_max);
  CHECK(bitwise_equal(p1, p2));
  CHECK(bitwise_equal(p1, p4));
  CHECK(bitwise_equal(p1, pmax));
  CHECK(losses1 == losses2);
  CHECK(losses1 == losses4);
  CHECK(losses1 == losses_max);
  CHECK(losses1.back() < losses1.front());  // it trained
  train::set_num_threads(0);
}

TEST_CASE("parallel: a parameter cut into more chunks at 16 threads trains to the same bits") {
  // The elementwise chunk size follows the thread count (autograd::elementwise_grain): the
  // 10,240-element weight is one chunk of the shard reduction and of Adam at 1 and 2 threads,
  // 2 at 8 threads and 3 to 4 at 16. Each element must still see the same operations.
  // Each count runs in an arena of that many threads (in_arena checks they all run).
  std::vector<double> losses1, losses2, losses8, losses16;
  auto run = [](std::size_t threads, std::vector<double>& losses) {
    return in_arena(threads, [&] { return train_run(threads, 7, 20, losses, 512); });
  };
  const auto p1 = run(1, losses1);
  const auto p2 = run(2, losses2);
  const auto p8 = run(8, losses8);
  const auto p16 = run(16, losses16);
  CHECK(bitwise_equal(p1, p2));
  CHECK(bitwise_equal(p1, p8));
  CHECK(bitwise_equal(p1, p16));
  CHECK(losses1 == losses16);
  CHECK(losses1.back() < losses1.front());
  train::set_num_threads(0);
}

/// What train_step() must leave exactly as run() then step() would.
struct Trained {
  std::vector<float> params, grads, state;
  std::vector<double> losses;
  bool weight_moved = false, frozen_kept = false, extra_moved = false, frozen_has_grad = false;
  bool operator==(const Trained& o) const {
    return bitwise_equal(params, o.params) && bitwise_equal(grads, o.grads) &&
           bitwise_equal(state, o.state) && losses == o.losses;
  }
};

/// 6 sharded steps of an MLP with dropout, fused (train_step) or not (run, then step). The
/// optimizer leaves out the last bias (frozen: reduced, never updated) and holds an `extra`
/// parameter outside the model whose gradient is set by hand (updated, but by no shard).
/// `accumulate`: no zero_grad, so each step's sums are added to the earlier gradients.
Trained sharded_steps(
    bool fused, bool accumulate, std::size_t threads, std::size_t hidden,
    const std::function<std::unique_ptr<optim::Optimizer>(std::vector<autograd::Tensor>)>&
        make_optimizer) {
  train::set_num_threads(threads);
  Generator gen(21);
  nn::Sequential model{std::make_shared<nn::Linear>(nn::LinearOptions(20, hidden), gen),
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Dropout>(nn::DropoutOptions(0.3)),
                       std::make_shared<nn::Linear>(nn::LinearOptions(hidden, 4), gen)};
  auto params = model.parameters();
  params.pop_back();  // the last bias stays frozen
  autograd::Tensor extra = autograd::randn<float>({5}, gen, 0.0f, 1.0f, /*requires_grad=*/true);
  params.push_back(extra);
  auto optimizer = make_optimizer(params);
  const xt::xarray<float> weight_before = model.parameters().front().data();
  const xt::xarray<float> frozen_before = model.parameters().back().data();
  const xt::xarray<float> extra_before = extra.data();
  const datasets::Batch data = random_batch(200, 20, 4, 22);
  train::ShardedStep sharded(16, 23);
  auto loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  Trained t;
  for (std::size_t step = 0; step < 6; ++step) {
    // 50 samples: shards of 16, 16 and 18 (unequal weights in the reduction).
    const datasets::Batch batch = train::slice_batch(data, step * 25, step * 25 + 50);
    if (!accumulate) optimizer->zero_grad();
    xt::xarray<float> g = xt::xarray<float>::from_shape({5});
    for (std::size_t i = 0; i < 5; ++i) g(i) = 0.1f * static_cast<float>(step + i) - 0.3f;
    extra.grad_data() = g;
    if (fused) {
      t.losses.push_back(sharded.train_step(model, loss, batch, *optimizer).loss);
    } else {
      t.losses.push_back(sharded.run(model, loss, batch).loss);
      optimizer->step();
    }
  }
  auto all = model.parameters();
  t.weight_moved = all.front().data() != weight_before;
  t.frozen_kept = all.back().data() == frozen_before;
  t.frozen_has_grad = all.back().has_grad();
  t.extra_moved = extra.data() != extra_before;
  all.push_back(extra);
  for (auto& p : all) {
    t.params.insert(t.params.end(), p.data_ptr(), p.data_ptr() + p.numel());
    t.grads.insert(t.grads.end(), p.grad_data().begin(), p.grad_data().end());
  }
  for (const auto& [key, array] : optimizer->state_dict().arrays) {
    t.state.insert(t.state.end(), array.begin(), array.end());
  }
  return t;
}

TEST_CASE("parallel: train_step leaves the bits of run() then step(), for every optimizer") {
  using Params = std::vector<autograd::Tensor>;
  const std::vector<
      std::pair<const char*, std::function<std::unique_ptr<optim::Optimizer>(Params)>>>
      optimizers = {
          {"Adam",
           [](Params p) { return std::make_unique<optim::Adam>(p, optim::AdamOptions(1e-2)); }},
          {"AdamW amsgrad",
           [](Params p) {
             return std::make_unique<optim::AdamW>(p, optim::AdamWOptions(1e-2).amsgrad(true));
           }},
          {"SGD nesterov",
           [](Params p) {
             return std::make_unique<optim::SGD>(
                 p, optim::SGDOptions(0.05).momentum(0.9).nesterov(true));
           }},
          {"RMSprop centered",
           [](Params p) {
             return std::make_unique<optim::RMSprop>(
                 p, optim::RMSpropOptions(1e-2).momentum(0.5).centered(true));
           }},
          {"Adagrad",
           [](Params p) {
             return std::make_unique<optim::Adagrad>(p, optim::AdagradOptions(0.1));
           }},
      };
  for (const auto& [name, make] : optimizers) {
    for (const bool accumulate : {false, true}) {
      CAPTURE(name);
      CAPTURE(accumulate);
      const Trained two_pass = sharded_steps(false, accumulate, 2, 32, make);
      const Trained fused = sharded_steps(true, accumulate, 2, 32, make);
      CHECK(fused == two_pass);
      CHECK(fused.weight_moved);  // the shards' gradients reached the optimizer
      CHECK(fused.frozen_kept);
      CHECK(fused.frozen_has_grad);
      CHECK(fused.extra_moved);
      // 1 thread, and 16 threads (an arena of 16) with a weight cut into several chunks.
      CHECK(sharded_steps(true, accumulate, 1, 32, make) == two_pass);
      const Trained fused16 =
          in_arena(16, [&] { return sharded_steps(true, accumulate, 16, 512, make); });
      CHECK(fused16 == sharded_steps(false, accumulate, 1, 512, make));
    }
  }
  train::set_num_threads(0);
}

TEST_CASE("parallel: a hand-set gradient of another shape is a ShapeError, nothing changed") {
  train::set_num_threads(2);
  Generator gen(4);
  nn::Linear model(nn::LinearOptions(3, 2), gen);
  auto params = model.parameters();  // weight [2, 3], bias [2]
  optim::SGD sgd({params[0]}, optim::SGDOptions(0.1));
  const xt::xarray<float> weight = params[0].data();
  params[1].grad_data() = xt::zeros<float>({3});  // the bias is frozen; its gradient is wrong
  train::ShardedStep sharded(4, 0);
  auto loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  const auto batch = random_batch(10, 3, 2, 1);
  CHECK_THROWS_WITH_AS(sharded.train_step(model, loss, batch, sgd),
                       doctest::Contains("ShardedStep::train_step: the tensor's gradient has "
                                         "shape [3] but its value has shape [2]"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(sharded.run(model, loss, batch),
                       doctest::Contains("ShardedStep::run: the tensor's gradient has shape [3]"),
                       ShapeError);
  CHECK(params[0].data() == weight);
  CHECK(params[1].grad_data().shape() == autograd::Shape{3});
  train::set_num_threads(0);
}

TEST_CASE("parallel: train_step whose optimizer throws leaves the gradients of run()") {
  // An option made invalid through param_groups() throws from the optimizer's prepare_step().
  // train_step had already moved shard 0's unscaled, unreduced gradient into each parameter,
  // so a caller that caught the error and fixed the option stepped with that wrong gradient.
  train::set_num_threads(2);
  auto loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  const auto batch = random_batch(40, 3, 2, 1);
  Generator gen_a(4), gen_b(4);
  nn::Linear fused(nn::LinearOptions(3, 2), gen_a), two_pass(nn::LinearOptions(3, 2), gen_b);
  optim::Adam adam(fused.parameters(), optim::AdamOptions(1e-2));
  adam.param_groups()[0].options.lr(-1.0);
  auto values = [](nn::Module& m) {
    std::vector<xt::xarray<float>> out;
    for (auto& p : m.parameters()) out.push_back(p.data());
    return out;
  };
  const auto weights = values(fused);
  train::ShardedStep sharded_a(8, 0), sharded_b(8, 0);
  CHECK_THROWS_WITH_AS(sharded_a.train_step(fused, loss, batch, adam),
                       doctest::Contains("Adam: invalid learning rate -1"), ValueError);
  sharded_b.run(two_pass, loss, batch);
  CHECK(values(fused) == weights);  // no parameter changed
  CHECK(gradients(fused) == gradients(two_pass));
  train::set_num_threads(0);
}

TEST_CASE("parallel: a module used twice in a model gets its gradient once") {
  // The same Linear at two places. When model.parameters() listed its weight and bias twice,
  // the reduction planned each twice and the step crashed.
  train::set_num_threads(2);
  Generator gen(5);
  auto shared = std::make_shared<nn::Linear>(nn::LinearOptions(3, 3), gen);
  nn::Sequential model{shared, std::make_shared<nn::Tanh>(), shared};
  auto loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  const auto batch = random_batch(8, 3, 3, 2);
  nn::cross_entropy(model.forward(batch.inputs), batch.labels).backward();
  const auto expected = gradients(*shared);
  model.zero_grad();
  train::ShardedStep sharded(8, 0);  // one shard: the same arithmetic as the plain backward
  sharded.run(model, loss, batch);
  CHECK(gradients(*shared) == expected);

  model.zero_grad();
  optim::SGD sgd(shared->parameters(), optim::SGDOptions(0.1));
  const xt::xarray<float> weight = shared->parameters()[0].data();
  sharded.train_step(model, loss, batch, sgd);
  CHECK(gradients(*shared) == expected);
  CHECK(shared->parameters()[0].data() == weight - 0.1f * expected[0]);
  train::set_num_threads(0);
}

TEST_CASE("parallel: train_step under anomaly mode takes the checked two-pass path") {
  const auto make = [](std::vector<autograd::Tensor> p) {
    return std::make_unique<optim::Adam>(p, optim::AdamOptions(1e-2));
  };
  const Trained plain = sharded_steps(true, false, 2, 32, make);
  autograd::set_anomaly_enabled(true);
  const Trained checked = sharded_steps(true, false, 2, 32, make);
  autograd::set_anomaly_enabled(false);
  CHECK(checked == plain);
  train::set_num_threads(0);
}

TEST_CASE("parallel: the same seed twice is identical; another seed differs") {
  std::vector<double> a_losses, b_losses, c_losses;
  const auto a = train_run(2, 9, 10, a_losses);
  const auto b = train_run(2, 9, 10, b_losses);
  const auto c = train_run(2, 10, 10, c_losses);
  CHECK(bitwise_equal(a, b));
  CHECK(a_losses == b_losses);
  CHECK_FALSE(bitwise_equal(a, c));
  train::set_num_threads(0);
}

/// Records which shard ran each forward (autograd::current_shard) and passes its input through.
class ShardRecorder : public nn::Module {
 public:
  autograd::Tensor forward(const autograd::Tensor& x) override {
    const autograd::ShardInfo* s = autograd::current_shard();
    std::lock_guard<std::mutex> lock(mutex);
    seen.insert(s ? std::pair{s->index, s->count} : std::pair{std::size_t(99), std::size_t(99)});
    primary += autograd::is_primary_shard() ? 1 : 0;
    return x;
  }
  std::string name() const override { return "ShardRecorder"; }
  std::mutex mutex;
  std::set<std::pair<std::size_t, std::size_t>> seen;
  int primary = 0;
};

TEST_CASE("parallel: each shard's forward sees its index; outside a step there is none") {
  CHECK(autograd::current_shard() == nullptr);
  CHECK(autograd::is_primary_shard());
  train::set_num_threads(2);
  auto recorder = std::make_shared<ShardRecorder>();
  Generator gen(3);
  nn::Sequential model{std::make_shared<nn::Linear>(nn::LinearOptions(3, 2), gen), recorder};
  train::ShardedStep sharded(4, 0);
  auto loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  sharded.run(model, loss, random_batch(10, 3, 2, 1));  // shards of 4, 4 and 2
  const std::set<std::pair<std::size_t, std::size_t>> expected = {{0, 3}, {1, 3}, {2, 3}};
  CHECK(recorder->seen == expected);
  CHECK(recorder->primary == 1);
  CHECK(autograd::current_shard() == nullptr);
}

}  // namespace axon::test
