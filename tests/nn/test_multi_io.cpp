// SPDX-License-Identifier: MIT
// Tests modules of several inputs and outputs (nn/module.hpp: forward(const Tensors&), the
// operator() overloads, hooks of both forms) and the losses that take every output
// (train/loss_function.hpp) in fit, evaluate, predict_outputs and the batch-parallel step.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/attention.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/fit.hpp"

#include "tests/train/sharding_helpers.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using nn::Tensors;

/// Two inputs, one output: a Linear of x with the features where mask is 0 zeroed.
class MaskedLinear : public nn::Module {
 public:
  MaskedLinear(std::size_t in, std::size_t out, Generator& gen)
      : fc_(register_module("fc", std::make_shared<nn::Linear>(nn::LinearOptions(in, out), gen))) {}
  Tensors forward(const Tensors& in) override {
    if (in.size() != 2) throw ValueError("MaskedLinear: takes {x, mask}");
    return {(*fc_)(in[0] * in[1])};
  }

 private:
  std::shared_ptr<nn::Linear> fc_;
};

/// One or two inputs ({x} or {x, mask}), three outputs: {logits, hidden, z}, z = hidden + noise
/// drawn from the shard's generator in training mode (as a VAE's reparameterisation).
class ThreeOut : public nn::Module {
 public:
  ThreeOut(std::size_t in, std::size_t hidden, std::size_t classes, Generator& gen)
      : enc_(register_module("enc",
                             std::make_shared<nn::Linear>(nn::LinearOptions(in, hidden), gen))),
        head_(register_module(
            "head", std::make_shared<nn::Linear>(nn::LinearOptions(hidden, classes), gen))) {}
  Tensors forward(const Tensors& in) override {
    const Tensor x = in.size() == 2 ? in[0] * in[1] : in.at(0);
    const Tensor h = relu((*enc_)(x));
    Tensor z = h;
    if (is_training()) {
      Generator* scoped = scoped_generator();
      z = h + randn<float>(h.shape(), scoped ? *scoped : gen_, 0.0f, 0.1f);
    }
    return {(*head_)(z), h, z};
  }

 private:
  std::shared_ptr<nn::Linear> enc_, head_;
  Generator gen_{3};
};

/// A module that overrides neither form.
class Nothing : public nn::Module {};

/// Classification data: 4 features, 3 classes, the class readable from the features.
datasets::Dataset toy_data(std::size_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<float> x(n * 4);
  std::vector<std::size_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = gen.below(3);
    for (std::size_t j = 0; j < 4; ++j) {
      x[i * 4 + j] = static_cast<float>(gen.normal()) + (j == labels[i] ? 2.0f : 0.0f);
    }
  }
  return datasets::Dataset::classification(std::move(x), {4}, std::move(labels), 3);
}

/// Cross-entropy of the first output plus a small penalty on the second: a loss that needs more
/// than the first output.
train::LossFunction penalised_loss() {
  return [](const Tensors& out, const datasets::Batch& b) {
    REQUIRE(out.size() == 3);
    return nn::cross_entropy(out[0], b.labels) + mean(out[1] * out[1]) * 0.01f;
  };
}

std::vector<float> flat_parameters(nn::Module& m) {
  std::vector<float> out;
  for (const auto& p : m.parameters()) out.insert(out.end(), p.data().begin(), p.data().end());
  return out;
}

}  // namespace

TEST_CASE("nn multi-io: a module of two inputs, called with Tensors or with the arguments") {
  Generator gen(1);
  MaskedLinear m(4, 2, gen);
  const Tensor x = randn<float>({3, 4}, gen);
  Tensor mask = ones<float>({3, 4});
  const Tensors all = m(x, mask);
  REQUIRE(all.size() == 1);
  CHECK(all[0].shape() == Shape{3, 2});
  CHECK(m(Tensors{x, mask})[0].data() == all[0].data());
  // A zero mask column removes that feature: the output equals x with the column zeroed.
  mask.mutable_data()(1, 2) = 0.0f;
  Tensor x2 = Tensor(xt::xarray<float>(x.data()));
  x2.mutable_data()(1, 2) = 0.0f;
  CHECK(m(x, mask)[0].data() == m(x2, ones<float>({3, 4}))[0].data());
  // The one-tensor call reaches the many-tensor forward with {x}, which this module refuses.
  CHECK_THROWS_WITH_AS(m(x), doctest::Contains("MaskedLinear: takes {x, mask}"), ValueError);
}

TEST_CASE("nn multi-io: a module of three outputs; gradients reach every input") {
  Generator gen(2);
  ThreeOut m(4, 5, 3, gen);
  m.eval();
  const Tensor x = randn<float>({6, 4}, gen, 0.0f, 1.0f, true);
  const Tensors out = m(Tensors{x});
  REQUIRE(out.size() == 3);
  CHECK(out[0].shape() == Shape{6, 3});
  CHECK(out[1].shape() == Shape{6, 5});
  CHECK(out[2].data() == out[1].data());  // no noise in eval mode
  sum(out[0]).backward();
  REQUIRE(x.grad().defined());
  CHECK(xt::amax(xt::abs(x.grad().data()))() > 0.0f);
  // Asked for one tensor, a module of three outputs says so.
  CHECK_THROWS_WITH_AS(m(x), doctest::Contains("ThreeOut: forward returned 3 outputs"), ValueError);
}

TEST_CASE("nn multi-io: the errors of the defaults name the module and the counts") {
  Generator gen(3);
  nn::Linear fc(nn::LinearOptions(4, 2), gen);
  const Tensor x = randn<float>({2, 4}, gen);
  // A one-tensor module serves {x} through the many-tensor call, and refuses two inputs.
  const Tensors one = fc(Tensors{x});
  REQUIRE(one.size() == 1);
  CHECK(one[0].data() == fc(x).data());
  CHECK_THROWS_WITH_AS(fc(x, x), doctest::Contains("Linear: forward takes one input, got 2"),
                       ValueError);
  CHECK_THROWS_WITH_AS(fc(Tensors{}), doctest::Contains("Linear: forward takes one input, got 0"),
                       ValueError);
  // Neither form overridden: both calls say so instead of looping.
  Nothing nothing;
  CHECK_THROWS_WITH_AS(nothing(x), doctest::Contains("Nothing: forward is not implemented"),
                       ValueError);
  CHECK_THROWS_WITH_AS(nothing(Tensors{x}),
                       doctest::Contains("Nothing: forward is not implemented"), ValueError);
}

TEST_CASE("nn multi-io: Sequential is unchanged and runs many-tensor modules of one output") {
  Generator gen(4);
  auto first = std::make_shared<nn::Linear>(nn::LinearOptions(4, 4), gen);
  nn::Sequential seq{first, std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Linear>(nn::LinearOptions(4, 2), gen)};
  const Tensor x = randn<float>({3, 4}, gen);
  const Tensor y = seq(x);
  CHECK(y.data() == seq[2]->forward(relu(first->forward(x))).data());
  const Tensors ys = seq(Tensors{x});
  REQUIRE(ys.size() == 1);
  CHECK(ys[0].data() == y.data());
  CHECK_THROWS_WITH_AS(seq(x, x), doctest::Contains("Sequential: forward takes one input, got 2"),
                       ValueError);

  // A module that implements only the many-tensor form, with one output, fits in a chain.
  class Twice : public nn::Module {
   public:
    Tensors forward(const Tensors& in) override { return {in.at(0) * 2.0f}; }
  };
  nn::Sequential chain{std::make_shared<Twice>(), std::make_shared<nn::ReLU>()};
  CHECK(chain(x).data() == relu(x * 2.0f).data());
}

TEST_CASE("nn multi-io: hooks of both forms on many-tensor and one-tensor calls") {
  Generator gen(5);
  ThreeOut m(4, 5, 3, gen);
  m.eval();
  const Tensor x = randn<float>({2, 4}, gen);
  const Tensor mask = ones<float>({2, 4});
  std::vector<std::string> seen;
  auto pre = m.register_forward_pre_hook([&](nn::Module& mod, const Tensors& in) -> Tensors {
    seen.push_back("pre " + mod.name() + " " + std::to_string(in.size()));
    return {in[0], zeros<float>({2, 4})};  // replaces the mask
  });
  auto post = m.register_forward_hook([&](nn::Module&, const Tensors& in, const Tensors& out) {
    seen.push_back("post " + std::to_string(in.size()) + "->" + std::to_string(out.size()));
    // The replaced mask reached forward: every feature was masked out, h = relu(bias).
    CHECK(xt::amax(xt::abs(in[1].data()))() == 0.0f);
  });
  const Tensors out = m(x, mask);
  CHECK(seen == std::vector<std::string>{"pre ThreeOut 2", "post 2->3"});
  // A forward hook replacing the outputs: what the caller gets.
  auto replace = m.register_forward_hook(
      [](nn::Module&, const Tensors&, const Tensors& o) -> Tensors { return {o[0] + 1.0f}; });
  const Tensors replaced = m(x, mask);
  REQUIRE(replaced.size() == 1);
  CHECK(replaced[0].data() == (out[0] + 1.0f).data());
  replace.remove();

  // A one-tensor hook cannot see two inputs: a ValueError, not a silent skip.
  auto one = m.register_forward_pre_hook([](nn::Module&, const Tensor&) {});
  CHECK_THROWS_WITH_AS(m(x, mask),
                       doctest::Contains("ThreeOut: a forward pre-hook taking one tensor cannot "
                                         "see 2 inputs"),
                       ValueError);
  one.remove();
  pre.remove();
  post.remove();

  // Many-tensor hooks see the one-tensor calls of a one-tensor module as {x} -> {y}.
  nn::Linear fc(nn::LinearOptions(4, 2), gen);
  std::size_t calls = 0;
  auto many = fc.register_forward_hook([&](nn::Module&, const Tensors& in, const Tensors& o) {
    ++calls;
    CHECK(in.size() == 1);
    CHECK(o.size() == 1);
    return Tensors{o[0] * 0.0f};
  });
  CHECK(xt::amax(xt::abs(fc(x).data()))() == 0.0f);
  CHECK(calls == 1);
  // Returning two outputs for a one-tensor call is an error naming the module.
  many.remove();
  auto two = fc.register_forward_hook([](nn::Module&, const Tensors&, const Tensors& o) {
    return Tensors{o[0], o[0]};
  });
  CHECK_THROWS_WITH_AS(fc(x), doctest::Contains("Linear: a forward hook turned the one output"),
                       ValueError);
  two.remove();
}

TEST_CASE("nn multi-io: MultiheadAttention's many-tensor form is forward(q, k, v, masks)") {
  Generator gen(3);
  nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(8, 2).batch_first(true), gen);
  Generator data(4);
  const Tensor q = randn<float>({2, 3, 8}, data), kv = randn<float>({2, 5, 8}, data);
  auto same = [](const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() &&
           std::memcmp(a.data_ptr(), b.data_ptr(), sizeof(float) * a.numel()) == 0;
  };
  // {q, k, v}: output and head-averaged weights, bit for bit forward(q, k, v).
  const Tensors cross = mha(q, kv, kv);
  const auto expected = mha.forward(q, kv, kv);
  REQUIRE(cross.size() == 2);
  CHECK(same(cross[0], expected.output));
  CHECK(same(cross[1], expected.weights));
  // {x}: self-attention, with its weights (forward(x) alone skips them, on the fused path).
  const Tensors self = mha(Tensors{q});
  const auto self_expected = mha.forward(q, q, q);
  CHECK(same(self[0], self_expected.output));
  CHECK(same(self[1], self_expected.weights));
  // With a key padding mask (the last two keys of sample 1 blocked) and an attention mask.
  xt::xarray<float> pad = xt::zeros<float>({2, 5});
  pad(1, 3) = pad(1, 4) = 1;
  xt::xarray<float> am = xt::zeros<float>({3, 5});
  am(0, 0) = 1;
  nn::MhaArgs<float> args;
  args.key_padding_mask = Tensor(pad);
  args.attn_mask = Tensor(am);
  const auto masked = mha.forward(q, kv, kv, args);
  const Tensors with_masks = mha(q, kv, kv, Tensor(pad), Tensor(am));
  CHECK(same(with_masks[0], masked.output));
  CHECK(same(with_masks[1], masked.weights));
  CHECK(with_masks[1].data()(1, 0, 3) == 0.0f);  // a blocked key gets no weight
  // An undefined tensor is no mask.
  CHECK(same(mha(q, kv, kv, Tensor())[0], expected.output));
  CHECK_THROWS_WITH_AS(mha(q, kv), doctest::Contains("takes {x} or {query, key, value"),
                       ValueError);
}

TEST_CASE("fit: a loss of several outputs, extra inputs from a transform, metrics on output 0") {
  train::set_num_threads(1);
  Generator gen(6);
  ThreeOut model(4, 8, 3, gen);
  optim::Adam adam(model.parameters(), optim::AdamOptions(2e-2));
  datasets::DataLoader loader(toy_data(192, 7), datasets::DataLoaderOptions(64).shuffle(true));
  // A mask input that keeps every feature: the batch carries {inputs, mask}.
  loader.transform(
      [](datasets::Batch& b) { b.extra_inputs.push_back(ones<float>(b.inputs.shape())); });
  std::ostringstream quiet;
  const train::History h =
      train::fit(model, adam, penalised_loss(), loader,
                 train::FitOptions().epochs(6).metrics({"accuracy"}).shard_size(32).out(quiet));
  const auto& loss = h["loss"];
  REQUIRE(loss.size() == 6);
  CHECK(loss.back() < 0.7 * loss.front());

  // evaluate's accuracy is the first output's.
  const auto logs = train::evaluate(model, penalised_loss(), loader, {"accuracy"});
  const std::vector<Tensor> outs = train::predict_outputs(model, loader);
  REQUIRE(outs.size() == 3);
  CHECK(outs[0].shape() == Shape{192, 3});
  CHECK(outs[1].shape() == Shape{192, 8});
  const auto labels = loader.dataset().labels();
  const auto order = loader.order(0);  // predict_outputs and evaluate run epoch 0's order
  std::size_t right = 0;
  for (std::size_t i = 0; i < 192; ++i) {
    const float* row = outs[0].data_ptr() + 3 * i;
    const std::size_t best =
        row[1] > row[0] ? (row[2] > row[1] ? 2 : 1) : (row[2] > row[0] ? 2 : 0);
    right += best == labels[order[i]];
  }
  CHECK(logs.at("accuracy") == doctest::Approx(static_cast<double>(right) / 192.0));
  CHECK(logs.at("accuracy") > 0.8);
  // Without extra inputs, predict_outputs and a metrics-only evaluate still get every output.
  datasets::DataLoader plain(toy_data(192, 7), datasets::DataLoaderOptions(64));
  const std::vector<Tensor> plain_outs = train::predict_outputs(model, plain);
  REQUIRE(plain_outs.size() == 3);
  CHECK(plain_outs[2].shape() == Shape{192, 8});
  CHECK(train::evaluate(model, {}, plain, {"accuracy"}).at("accuracy") > 0.8);
  // predict() of a model of three outputs points to predict_outputs.
  CHECK_THROWS_WITH_AS(train::predict(model, loader), doctest::Contains("ThreeOut returned 3"),
                       ValueError);
  // The one-tensor path of fit (parallel(false)) takes the same loss.
  const train::History one_tape = train::fit(model, adam, penalised_loss(), loader,
                                             train::FitOptions().parallel(false).out(quiet));
  CHECK(one_tape["loss"].front() < loss.front());
}

TEST_CASE(
    "ShardedStep: several inputs and outputs, noise from the shard's stream, bitwise at 1 "
    "and 2 threads") {
  auto run = [](std::size_t threads) {
    return in_arena(threads, [] {
      Generator gen(8);
      ThreeOut model(4, 8, 3, gen);
      optim::Adam adam(model.parameters(), optim::AdamOptions(1e-2));
      std::vector<std::size_t> rows(128);
      for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
      datasets::Batch batch = toy_data(128, 9).gather(rows);
      Generator mask_gen(10);
      batch.extra_inputs.push_back(rand<float>(batch.inputs.shape(), mask_gen));
      train::ShardedStep sharded(16, 11);
      std::vector<double> losses;
      for (int step = 0; step < 4; ++step) {
        adam.zero_grad();
        losses.push_back(sharded.train_step(model, penalised_loss(), batch, adam).loss);
      }
      std::vector<float> params = flat_parameters(model);
      params.insert(params.end(), losses.begin(), losses.end());
      return params;
    });
  };
  const std::vector<float> one = run(1), two = run(2);
  REQUIRE(one.size() == two.size());
  CHECK(std::memcmp(one.data(), two.data(), sizeof(float) * one.size()) == 0);
}

TEST_CASE("ShardedStep: a loss of one output with a model of three is a ValueError") {
  train::set_num_threads(1);
  Generator gen(12);
  ThreeOut model(4, 8, 3, gen);
  datasets::Batch batch = random_batch(32, 4, 3, 13);
  train::ShardedStep sharded(16, 0);
  const train::LossFunction ce = [](const Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  CHECK_THROWS_WITH_AS(sharded.run(model, ce, batch),
                       doctest::Contains("ThreeOut: forward returned 3 outputs"), ValueError);
  // Given extra inputs, the step takes the many-tensor call, and the loss names the count.
  batch.extra_inputs.push_back(ones<float>({32, 4}));
  CHECK_THROWS_WITH_AS(sharded.run(model, ce, batch),
                       doctest::Contains("the loss takes one output, but the model returned 3"),
                       ValueError);
  // Extra inputs without one row per sample are a ShapeError.
  batch.extra_inputs[0] = ones<float>({31, 4});
  CHECK_THROWS_WITH_AS(sharded.run(model, penalised_loss(), batch),
                       doctest::Contains("extra inputs of shape [31,4]"), ShapeError);
  // An empty loss is refused when called.
  CHECK_THROWS_AS(train::LossFunction()(Tensor(), batch), ValueError);
}

}  // namespace axon::test
