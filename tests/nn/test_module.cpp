// SPDX-License-Identifier: MIT
// Tests nn/module.cpp: the registry and dotted names, state_dict and load_state_dict (round trip
// and errors), train/eval recursion, zero_grad, parameter counts, printing, a user-defined
// residual block checked whole in double.
#include <doctest/doctest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/dropout.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/module.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/sgd.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using nn::LinearOptions;

/// A module with a parameter, a buffer and two children, as a user would write it.
template <class T>
class Net : public nn::BasicModule<T> {
 public:
  explicit Net(Generator& gen)
      : scale_(this->register_parameter("scale", ones<T>({3}))),
        steps_(this->register_buffer("steps", zeros<T>({1}))),
        fc1_(this->register_module("fc1",
                                   std::make_shared<nn::BasicLinear<T>>(LinearOptions(3, 4), gen))),
        fc2_(this->register_module(
            "fc2", std::make_shared<nn::BasicLinear<T>>(LinearOptions(4, 2).bias(false), gen))) {}

  BasicTensor<T> forward(const BasicTensor<T>& x) override {
    return fc2_->forward(relu(fc1_->forward(x * scale_)));
  }

  BasicTensor<T>& scale_;
  BasicTensor<T>& steps_;
  std::shared_ptr<nn::BasicLinear<T>> fc1_;
  std::shared_ptr<nn::BasicLinear<T>> fc2_;
};

/// The user-defined block of the brief: x + fc2(relu(fc1(x))), a plain class.
template <class T>
class ResidualBlock : public nn::BasicModule<T> {
 public:
  ResidualBlock(std::size_t features, std::size_t hidden, Generator& gen)
      : fc1_(this->register_module(
            "fc1", std::make_shared<nn::BasicLinear<T>>(LinearOptions(features, hidden), gen))),
        fc2_(this->register_module(
            "fc2", std::make_shared<nn::BasicLinear<T>>(LinearOptions(hidden, features), gen))) {}

  BasicTensor<T> forward(const BasicTensor<T>& x) override {
    return x + fc2_->forward(relu(fc1_->forward(x)));
  }

 private:
  std::shared_ptr<nn::BasicLinear<T>> fc1_;
  std::shared_ptr<nn::BasicLinear<T>> fc2_;
};

/// A module without a forward of its own.
class Empty : public nn::Module {};

std::vector<std::string> keys(const nn::StateDict<float>& d) {
  std::vector<std::string> out;
  for (const auto& [k, v] : d) out.push_back(k);
  return out;
}

}  // namespace

TEST_CASE("nn: module registry yields dotted names in registration order") {
  Generator gen(1);
  Net<float> net(gen);
  CHECK(keys(net.named_parameters()) ==
        std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "fc2.weight"});
  CHECK(keys(net.named_parameters(false)) == std::vector<std::string>{"scale"});
  CHECK(keys(net.named_buffers()) == std::vector<std::string>{"steps"});
  CHECK(keys(net.state_dict()) ==
        std::vector<std::string>{"scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight"});
  CHECK(net.parameters().size() == 4);
  CHECK(net.buffers().size() == 1);
  for (const auto& p : net.parameters()) CHECK(p.requires_grad());
  CHECK_FALSE(net.buffers()[0].requires_grad());

  const auto children = net.named_children();
  REQUIRE(children.size() == 2);
  CHECK(children[0].first == "fc1");
  CHECK(children[0].second.get() == net.fc1_.get());
  std::vector<std::string> module_names;
  for (const auto& [n, m] : net.named_modules()) module_names.push_back(n);
  CHECK(module_names == std::vector<std::string>{"", "fc1", "fc2"});

  // parameter() returns the stored handle, shared with the layer.
  CHECK(net.parameter("fc1.weight").impl_ptr() == net.fc1_->weight().impl_ptr());
  CHECK(net.buffer("steps").impl_ptr() == net.steps_.impl_ptr());
  CHECK_THROWS_AS(net.parameter("fc3.weight"), ValueError);
  CHECK_THROWS_AS(net.parameter("steps"), ValueError);

  // Sequential names: 0.weight, and nested modules compose.
  auto inner = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(LinearOptions(2, 2), gen)});
  nn::Sequential outer{std::make_shared<nn::Linear>(LinearOptions(2, 2), gen),
                       std::make_shared<nn::ReLU>(), inner};
  CHECK(keys(outer.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.0.weight", "2.0.bias"});
}

TEST_CASE("nn: module registration errors are typed and name the module") {
  Empty m;
  m.register_parameter("w", zeros<float>({2}));
  CHECK_THROWS_AS(m.register_parameter("w", zeros<float>({2})), ValueError);
  CHECK_THROWS_AS(m.register_buffer("w", zeros<float>({2})), ValueError);
  CHECK_THROWS_AS(m.register_parameter("a.b", zeros<float>({2})), ValueError);
  CHECK_THROWS_AS(m.register_parameter("", zeros<float>({2})), ValueError);
  CHECK_THROWS_AS(m.register_parameter("u", Tensor()), ValueError);
  CHECK_THROWS_AS(m.register_module("c", std::shared_ptr<nn::ReLU>()), ValueError);
  Tensor leaf = ones<float>({2}, true);
  Tensor computed = leaf * 2;
  CHECK_THROWS_AS(m.register_parameter("v", computed), ValueError);
  try {
    m.forward(ones<float>({2}));
    FAIL("expected ValueError");
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()).find("Empty") != std::string::npos);
  }
}

TEST_CASE("nn: state_dict round trip and load errors") {
  Generator g1(1), g2(2);
  Net<float> a(g1), b(g2);
  a.steps_.mutable_data()(0) = 7;
  CHECK(a.fc1_->weight().data() != b.fc1_->weight().data());
  b.load_state_dict(a.state_dict());
  for (const auto& [key, value] : a.state_dict()) {
    CHECK_MESSAGE(b.state_dict().size() == 5, key);
    bool found = false;
    for (const auto& [k2, v2] : b.state_dict()) {
      if (k2 == key) {
        found = true;
        CHECK(v2.data() == value.data());
        CHECK(v2.impl_ptr() != value.impl_ptr());  // values copied, not handles shared
      }
    }
    CHECK_MESSAGE(found, key);
  }
  CHECK(b.steps_.data()(0) == 7);
  CHECK(b.fc1_->weight().requires_grad());

  // Shape mismatch: ShapeError naming the key and both shapes; nothing is copied.
  Generator g3(3);
  Net<float> c(g3);
  const auto before = c.fc1_->bias().data();
  auto state = a.state_dict();
  for (auto& [k, v] : state) {
    if (k == "fc2.weight") v = zeros<float>({2, 5});
  }
  try {
    c.load_state_dict(state);
    FAIL("expected ShapeError");
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("fc2.weight") != std::string::npos);
    CHECK(msg.find("[2,5]") != std::string::npos);
    CHECK(msg.find("[2,4]") != std::string::npos);
  }
  CHECK(c.fc1_->bias().data() == before);

  // Missing and unexpected keys are listed with strict, ignored without.
  nn::StateDict<float> partial;
  for (const auto& [k, v] : a.state_dict()) {
    if (k != "fc1.bias") partial.emplace_back(k, v);
  }
  partial.emplace_back("fc3.weight", zeros<float>({1}));
  try {
    c.load_state_dict(partial);
    FAIL("expected ValueError");
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("missing keys: fc1.bias") != std::string::npos);
    CHECK(msg.find("unexpected keys: fc3.weight") != std::string::npos);
  }
  c.load_state_dict(partial, /*strict=*/false);
  CHECK(c.fc1_->weight().data() == a.fc1_->weight().data());
  CHECK(c.fc1_->bias().data() == before);

  // Duplicate keys in a list are an error; a std::map loads too.
  auto dup = a.state_dict();
  dup.push_back(dup.front());
  CHECK_THROWS_AS(c.load_state_dict(dup), ValueError);
  std::map<std::string, Tensor> map;
  for (const auto& [k, v] : b.state_dict()) map.emplace(k, v);
  c.load_state_dict(map);
  CHECK(c.fc1_->bias().data() == a.fc1_->bias().data());
}

TEST_CASE("nn: train and eval recurse and never change recording") {
  Generator gen(0);
  auto drop = std::make_shared<nn::Dropout>(0.5);
  auto inner = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(LinearOptions(2, 2), gen), drop});
  nn::Sequential net{inner, std::make_shared<nn::ReLU>()};
  CHECK(net.is_training());
  CHECK(drop->is_training());
  net.eval();
  CHECK_FALSE(net.is_training());
  CHECK_FALSE(inner->is_training());
  CHECK_FALSE(drop->is_training());
  CHECK(grad_enabled());
  for (const auto& p : net.parameters()) CHECK(p.requires_grad());
  net.train();
  CHECK(drop->is_training());
  inner->train(false);
  CHECK(net.is_training());
  CHECK_FALSE(drop->is_training());
}

TEST_CASE("nn: zero_grad and parameter counts") {
  Generator gen(0);
  Net<float> net(gen);
  // scale 3 + fc1 3*4+4 + fc2 4*2 = 27
  CHECK(net.num_parameters() == 27);
  net.fc2_->weight().requires_grad_(false);
  CHECK(net.num_parameters(/*trainable_only=*/true) == 19);
  net.fc2_->weight().requires_grad_(true);
  for (auto& p : net.parameters()) p.grad_data() += 1.0f;
  for (const auto& p : net.parameters()) CHECK(p.has_grad());
  net.zero_grad();
  for (const auto& p : net.parameters()) CHECK_FALSE(p.has_grad());
}

TEST_CASE("nn: a module shared by two parents counts once in parameters(), as in PyTorch") {
  // Weight sharing: the same Linear at two places. state_dict() names it under both, but
  // parameters() lists each tensor once, so an optimizer built from them accepts them and steps
  // each once (PyTorch's parameters() removes duplicates the same way).
  Generator gen(0);
  auto lin = std::make_shared<nn::Linear>(LinearOptions(2, 2), gen);
  nn::Sequential net{lin, std::make_shared<nn::ReLU>(), lin};
  CHECK(keys(net.state_dict()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(keys(net.named_parameters()) == std::vector<std::string>{"0.weight", "0.bias"});
  REQUIRE(net.parameters().size() == 2);
  CHECK(net.parameters()[0].impl_ptr() == lin->weight().impl_ptr());
  CHECK(net.num_parameters() == 6);

  optim::SGD sgd(net.parameters(), optim::SGDOptions(0.5));
  const xt::xarray<float> before = lin->weight().data();
  sum(net.forward(from_vector<float>({1, 2, 3, 4}, {2, 2}))).backward();
  const xt::xarray<float> grad = lin->weight().grad().data();
  sgd.step();
  CHECK(xt::allclose(lin->weight().data(), before - 0.5f * grad));

  // Buffers shared the same way are listed once too.
  auto shared = std::make_shared<Net<float>>(gen);
  nn::Sequential twice{shared, shared};
  CHECK(keys(twice.named_buffers()) == std::vector<std::string>{"0.steps"});
  CHECK(twice.buffers().size() == 1);
}

TEST_CASE("nn: module printing with parameter counts") {
  Generator gen(0);
  nn::Sequential net{std::make_shared<nn::Linear>(LinearOptions(784, 128), gen),
                     std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.25),
                     std::make_shared<nn::Linear>(LinearOptions(128, 10).bias(false), gen)};
  std::ostringstream os;
  os << net;
  CHECK(os.str() ==
        "Sequential(  # 101760 parameters\n"
        "  (0): Linear(in_features=784, out_features=128, bias=true)  # 100480 parameters\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.25)\n"
        "  (3): Linear(in_features=128, out_features=10, bias=false)  # 1280 parameters\n"
        ")");
  Generator g2(0);
  ResidualBlock<double> block(2, 3, g2);
  CHECK(block.name() == "ResidualBlock");
  CHECK(block.repr().rfind("ResidualBlock(  # 17 parameters\n  (fc1): Linear(", 0) == 0);
  Empty empty;
  CHECK(empty.repr() == "Empty()");
}

TEST_CASE("nn: a user-defined residual block passes gradcheck as a whole (double)") {
  Generator gen(5);
  ResidualBlock<double> block(3, 5, gen);
  const TensorD x = randn<double>({4, 3}, gen, 0.0, 1.0, /*requires_grad=*/true);
  const auto result = nn::gradcheck_module(block, x);
  CHECK_MESSAGE(result.ok, result.message);
  // 4*3 inputs + 15 + 5 + 15 + 3 parameters, each against 12 outputs.
  CHECK(result.comparisons == (12 + 38) * 12);
  // The module's own parameters are restored and untouched.
  CHECK_FALSE(block.parameter("fc1.weight").has_grad());
  const auto params = block.named_parameters();
  CHECK(params[0].second.impl_ptr() == block.parameter("fc1.weight").impl_ptr());

  // A wrong gradient is reported with the parameter's name.
  Generator g2(6);
  Net<double> net(g2);
  auto broken = [](nn::ModuleD& m, const std::vector<TensorD>& xs) {
    // Reads fc1.bias as a constant (detached): its analytic gradient is zero.
    auto& self = dynamic_cast<Net<double>&>(m);
    return linear(xs[0], self.fc1_->weight(), self.fc1_->bias().detach());
  };
  const auto bad = nn::gradcheck_module(net, broken, {x});
  CHECK_FALSE(bad.ok);
  CHECK_MESSAGE(bad.message.find("parameter 'fc1.bias'") != std::string::npos, bad.message);
}

TEST_CASE("nn: float module forward matches double module with the same weights") {
  Generator g1(9), g2(9);
  ResidualBlock<float> f(3, 4, g1);
  ResidualBlock<double> d(3, 4, g2);
  Generator gx(1);
  const TensorD x = randn<double>({2, 3}, gx);
  const auto yf = f(x.to<float>());
  const auto yd = d(x);
  for (std::size_t i = 0; i < yd.numel(); ++i) {
    CHECK(yf.data_ptr()[i] == doctest::Approx(yd.data_ptr()[i]).epsilon(1e-5));
  }
}

}  // namespace axon::test
