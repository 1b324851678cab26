// SPDX-License-Identifier: MIT
// Tests nn/sequential.cpp, nn/module_list.cpp, nn/module_dict.cpp and nn/flatten.cpp:
// construction (in place), naming, typed access, chained forward, gradcheck of a small MLP.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/dropout.hpp"
#include "axon/nn/flatten.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/module_dict.hpp"
#include "axon/nn/module_list.hpp"
#include "axon/nn/pooling.hpp"
#include "axon/nn/sequential.hpp"

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
  CHECK(fc->options().out_features() == 2);  // returned with its own type
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

TEST_CASE("nn: Sequential::add builds children in place, as the explicit form does") {
  Generator gen_a(3), gen_b(3);
  nn::Sequential in_place;
  auto fc = in_place.add<nn::Linear>(4, 3, gen_a);  // options' arguments, then the Generator
  in_place.add<nn::ReLU>();
  in_place.add<nn::Linear>(LinearOptions(3, 2).bias(false), gen_a);  // the constructor's own
  in_place.add<nn::Dropout>(0.25);  // an options-only layer from its options' argument
  in_place.add<nn::MaxPool1d>(1);   // explicit options constructor, built through Options
  CHECK(fc->options().in_features() == 4);
  CHECK(in_place.size() == 5);
  CHECK(in_place.at<nn::Dropout>(3)->p() == 0.25);
  CHECK_FALSE(in_place.at<nn::Linear>(2)->bias().defined());

  nn::Sequential spelled;
  spelled.add(std::make_shared<nn::Linear>(LinearOptions(4, 3), gen_b));
  spelled.add(std::make_shared<nn::ReLU>());
  spelled.add(std::make_shared<nn::Linear>(LinearOptions(3, 2).bias(false), gen_b));
  // Same draws from equally seeded Generators: the in-place form is the same model.
  const auto a = in_place.state_dict();
  const auto b = spelled.state_dict();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].first == b[i].first);
    CHECK(a[i].second.data() == b[i].second.data());
  }
}

TEST_CASE("nn: ModuleList registers its children by position and has no forward") {
  Generator gen(0);
  nn::ModuleList blocks;
  CHECK(blocks.empty());
  for (int i = 0; i < 3; ++i) blocks.push_back<nn::Linear>(2, 2, gen);
  blocks.push_back(std::make_shared<nn::Tanh>());
  CHECK(blocks.size() == 4);
  CHECK(blocks.num_parameters() == 3 * 6);
  CHECK(blocks.named_parameters()[2].first == "1.weight");
  CHECK(blocks.at<nn::Linear>(2)->options().out_features() == 2);
  CHECK_THROWS_AS(blocks.at<nn::Linear>(3), ValueError);
  CHECK_THROWS_AS(blocks[4], IndexError);
  CHECK_THROWS_AS(blocks(ones<float>({1, 2})), ValueError);  // the owner calls the children
  Tensor x = ones<float>({1, 2});
  for (const auto& block : blocks) x = (*block)(x);
  CHECK(x.shape() == Shape{1, 2});
  CHECK(blocks.repr().find("ModuleList(") == 0);
}

TEST_CASE("nn: ModuleDict registers its children by key, in insertion order") {
  Generator gen(0);
  nn::ModuleDict heads;
  auto digit = heads.insert<nn::Linear>("digit", 4, 10, gen);
  heads.insert("act", std::make_shared<nn::ReLU>());
  heads.insert<nn::Linear>("parity", 4, 2, gen);
  CHECK(heads.size() == 3);
  CHECK(heads.keys() == std::vector<std::string>{"digit", "act", "parity"});
  CHECK(heads.contains("parity"));
  CHECK_FALSE(heads.contains("colour"));
  CHECK(heads["digit"].get() == digit.get());
  CHECK(heads.at<nn::Linear>("parity")->options().out_features() == 2);
  CHECK(heads.parameter("parity.bias").shape() == Shape{2});
  CHECK_THROWS_WITH_AS(heads["colour"], doctest::Contains("no module 'colour'"), ValueError);
  CHECK_THROWS_AS(heads.at<nn::Linear>("act"), ValueError);
  CHECK_THROWS_AS(heads.insert<nn::ReLU>("act"), ValueError);  // duplicate key
  CHECK_THROWS_AS(heads.insert<nn::ReLU>("a.b"), ValueError);  // not a module name
  CHECK(heads.size() == 3);
  std::size_t count = 0;
  for (const auto& [key, module] : heads) count += module ? 1 : 0;
  CHECK(count == 3);
}

}  // namespace axon::test
