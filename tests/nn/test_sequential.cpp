// SPDX-License-Identifier: MIT
// Tests nn/sequential.cpp and nn/flatten.cpp: construction, naming, typed access, chained
// forward, gradcheck of a small MLP in double.
#include <doctest/doctest.h>

#include <memory>

#include "autograd/autograd.hpp"
#include "nn/activation.hpp"
#include "nn/flatten.hpp"
#include "nn/gradcheck.hpp"
#include "nn/linear.hpp"
#include "nn/sequential.hpp"

namespace axon::test {

using namespace axon::autograd;
using nn::LinearOptions;

TEST_CASE("nn: sequential names, size and typed access") {
  Generator gen(0);
  nn::Sequential net;
  CHECK(net.empty());
  auto fc = net.push_back(std::make_shared<nn::Linear>(LinearOptions(3, 2), gen));
  auto act = net.add(std::make_shared<nn::Tanh>());
  CHECK(net.size() == 2);
  CHECK(fc->options().out_features_ == 2);  // returned with its own type
  CHECK(net[0].get() == fc.get());
  CHECK(net[1].get() == act.get());
  CHECK(net.at<nn::Linear>(0).get() == fc.get());
  CHECK_THROWS_AS(net.at<nn::Linear>(1), ValueError);
  CHECK_THROWS_AS(net[2], IndexError);
  std::size_t count = 0;
  for (const auto& m : net) count += m ? 1 : 0;
  CHECK(count == 2);
  CHECK(net.named_children()[1].first == "1");
  CHECK(net.parameter("0.weight").impl_ptr() == fc->weight().impl_ptr());

  std::vector<std::shared_ptr<nn::Module>> list{std::make_shared<nn::ReLU>(),
                                                std::make_shared<nn::Sigmoid>()};
  nn::Sequential from_vector(list);
  CHECK(from_vector.size() == 2);
}

TEST_CASE("nn: empty sequential is the identity") {
  nn::Sequential net;
  const Tensor x = ones<float>({2, 3});
  CHECK(net(x).impl_ptr() == x.impl_ptr());
}

TEST_CASE("nn: sequential forward chains its modules") {
  Generator gen(3);
  auto fc1 = std::make_shared<nn::LinearD>(LinearOptions(4, 6), gen);
  auto fc2 = std::make_shared<nn::LinearD>(LinearOptions(6, 2), gen);
  nn::SequentialD net{std::make_shared<nn::FlattenD>(), fc1, std::make_shared<nn::SigmoidD>(), fc2};
  const TensorD x = randn<double>({5, 2, 2}, gen);
  const TensorD expected = (*fc2)(sigmoid((*fc1)(reshape(x, {5, 4}))));
  const TensorD y = net(x);
  REQUIRE(y.shape() == Shape{5, 2});
  for (std::size_t i = 0; i < y.numel(); ++i) {
    CHECK(y.data_ptr()[i] == doctest::Approx(expected.data_ptr()[i]).epsilon(1e-12));
  }
}

TEST_CASE("nn: an MLP built with sequential passes gradcheck as a whole (double)") {
  Generator gen(11);
  nn::SequentialD net{std::make_shared<nn::LinearD>(LinearOptions(3, 5), gen),
                      std::make_shared<nn::TanhD>(),
                      std::make_shared<nn::LinearD>(LinearOptions(5, 2).bias(false), gen),
                      std::make_shared<nn::LogSoftmaxD>()};
  const TensorD x = randn<double>({4, 3}, gen, 0.0, 1.0, true);
  const auto result = nn::gradcheck_module(net, x);
  CHECK_MESSAGE(result.ok, result.message);
}

TEST_CASE("nn: flatten module merges the chosen axes") {
  const Tensor x = reshape(arange<float>(0, 24), {2, 3, 4});
  CHECK(nn::Flatten()(x).shape() == Shape{2, 12});
  CHECK(nn::Flatten(0)(x).shape() == Shape{24});
  CHECK(nn::Flatten(0, 1)(x).shape() == Shape{6, 4});
  CHECK(nn::Flatten(-2, -1)(x).shape() == Shape{2, 12});
  xt::xarray<float> expected = x.data();
  expected.reshape({2, 12});
  CHECK(nn::Flatten()(x).data() == expected);
  CHECK(nn::Flatten().repr() == "Flatten(start_axis=1, end_axis=-1)");
  Generator gen(0);
  nn::FlattenD flat(1, 2);
  const TensorD xd = randn<double>({2, 2, 3}, gen, 0.0, 1.0, true);
  const auto result = nn::gradcheck_module(flat, xd);
  CHECK_MESSAGE(result.ok, result.message);
}

}  // namespace axon::test
