// SPDX-License-Identifier: MIT
// Tests the module forward hooks of nn/module.hpp (register_forward_pre_hook,
// register_forward_hook, HookHandle): what they see, replacing inputs and outputs (and the
// gradient through a replaced output), order, removal, hooks inside Sequential and inside
// train::predict.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/train/fit.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using nn::LinearOptions;

std::shared_ptr<nn::Sequential> mlp(Generator& gen) {
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(LinearOptions(3, 4), gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(LinearOptions(4, 2), gen)});
}

/// Whether a and b have the same shape and agree elementwise within atol + rtol |b|.
template <class T>
bool allclose(const BasicTensor<T>& a, const BasicTensor<T>& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  for (std::size_t i = 0; i < a.numel(); ++i) {
    const double x = a.data_ptr()[i], y = b.data_ptr()[i];
    if (std::abs(x - y) > atol + rtol * std::abs(y)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("nn: forward hooks see each child's input and output inside Sequential") {
  Generator gen(1);
  auto net = mlp(gen);
  std::vector<std::string> seen;
  std::vector<Tensor> activations;
  std::vector<nn::Module::HookHandle> handles;
  for (auto& [name, module] : net->named_modules()) {
    if (name.empty()) continue;
    handles.push_back(module->register_forward_hook(
        [&seen, &activations, name = name](nn::Module& m, const Tensor& in, const Tensor& out) {
          seen.push_back(name + ":" + m.name() + ":" + std::to_string(in.shape().back()) + "->" +
                         std::to_string(out.shape().back()));
          activations.push_back(out.detach());
        }));
  }
  const Tensor x = randn({5, 3}, gen);
  const Tensor y = (*net)(x);
  CHECK(seen == std::vector<std::string>{"0:Linear:3->4", "1:ReLU:4->4", "2:Linear:4->2"});
  REQUIRE(activations.size() == 3);
  CHECK(allclose(activations[2], y, 0.0, 0.0));
  // The ReLU's output is the first Linear's output clamped at zero.
  CHECK(allclose(activations[1], relu(activations[0]), 0.0, 0.0));

  // Removed hooks stop firing; remove() twice is harmless.
  for (auto& h : handles) {
    CHECK(h.active());
    h.remove();
    h.remove();
    CHECK_FALSE(h.active());
  }
  seen.clear();
  (*net)(x);
  CHECK(seen.empty());
}

TEST_CASE("nn: a pre-hook replaces the input, a forward hook the output, in registration order") {
  Generator gen(2);
  nn::Linear fc(LinearOptions(3, 2), gen);
  const Tensor x = randn({4, 3}, gen);
  const Tensor plain = fc(x);

  std::vector<int> order;
  Tensor expected_input = x * 2.0f;  // what the third hook should see
  auto pre = fc.register_forward_pre_hook([&](nn::Module&, const Tensor& in) -> Tensor {
    order.push_back(0);
    return in * 2.0f;
  });
  fc.register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& out) -> Tensor {
    order.push_back(1);
    return out + 1.0f;
  });
  fc.register_forward_hook([&](nn::Module&, const Tensor& in, const Tensor& out) -> Tensor {
    order.push_back(2);
    // Sees the replaced input and the output the previous hook left.
    CHECK(allclose(in, expected_input, 0.0, 0.0));
    CHECK(allclose(out, fc.forward(expected_input) + 1.0f, 0.0, 0.0));
    return {};  // keeps it
  });
  const Tensor hooked = fc(x);
  CHECK(order == std::vector<int>{0, 1, 2});
  CHECK(allclose(hooked, fc.forward(x * 2.0f) + 1.0f, 1e-6, 1e-6));
  // forward() called directly skips the hooks.
  CHECK(allclose(fc.forward(x), plain, 0.0, 0.0));

  pre.remove();
  order.clear();
  expected_input = x;
  CHECK(allclose(fc(x), plain + 1.0f, 1e-6, 1e-6));
  CHECK(order == std::vector<int>{1, 2});
}

TEST_CASE("nn: gradients flow through an output a forward hook replaced (double)") {
  Generator gen(3);
  nn::BasicLinear<double> fc(LinearOptions(3, 2), gen);
  const TensorD x = randn<double>({4, 3}, gen);
  fc.register_forward_hook(
      [](nn::ModuleD&, const TensorD&, const TensorD& out) -> TensorD { return out * 3.0; });
  sum(fc(x)).backward();
  const TensorD hooked = fc.parameter("bias").grad().detach();
  fc.zero_grad();
  sum(fc.forward(x)).backward();
  // d sum(3 y) / d b = 3 * (rows), against 1 * (rows) without the hook.
  CHECK(allclose(hooked, fc.parameter("bias").grad() * 3.0, 1e-12, 1e-12));
  CHECK(hooked.data_ptr()[0] == doctest::Approx(12.0));
}

TEST_CASE("nn: a handle that outlives its module removes nothing and does not crash") {
  nn::Module::HookHandle handle;
  CHECK_FALSE(handle.active());
  {
    nn::ReLU relu_layer;
    handle = relu_layer.register_forward_hook([](nn::Module&, const Tensor&, const Tensor&) {});
    CHECK(handle.active());
  }
  CHECK_FALSE(handle.active());
  handle.remove();
  nn::ReLU other;
  CHECK_THROWS_AS(other.register_forward_hook(nn::Module::ForwardHook{}), ValueError);
}

TEST_CASE("nn: predict runs the model through its hooks, once per batch") {
  Generator gen(4);
  auto net = mlp(gen);
  std::vector<float> x(10 * 3);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 3.0f;
  datasets::DataLoader loader(
      datasets::Dataset::classification(std::move(x), {3}, std::vector<std::size_t>(10, 0), 2), 4);
  int calls = 0;
  net->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& out) -> Tensor {
    ++calls;
    return out * 0.0f;
  });
  const Tensor p = train::predict(*net, loader);
  CHECK(calls == 3);  // batches of 4, 4 and 2
  CHECK(p.shape() == Shape{10, 2});
  CHECK(allclose(p, zeros<float>({10, 2}), 0.0, 0.0));
}

}  // namespace axon::test
