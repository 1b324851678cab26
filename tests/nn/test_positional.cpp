// SPDX-License-Identifier: MIT
// Tests nn/positional.cpp: the sinusoidal table (values, both layouts, a buffer not a parameter,
// errors past max_len) and the learned encoding (a parameter, its init, gradients only to the
// rows used).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <xtensor/xview.hpp>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/positional.hpp"

namespace axon::test {

using namespace axon::autograd;

namespace {

std::vector<std::string> names(const nn::StateDict<float>& dict) {
  std::vector<std::string> out;
  for (const auto& [name, t] : dict) out.push_back(name);
  return out;
}

}  // namespace

TEST_CASE("nn: sinusoidal positional encoding: table, layouts, buffer, errors") {
  nn::SinusoidalPositionalEncoding pe(5, 10);
  CHECK(pe.named_parameters().empty());
  CHECK(names(pe.state_dict()) == std::vector<std::string>{"pe"});
  const auto& t = pe.pe().data();
  CHECK(t.shape() == std::vector<std::size_t>{10, 5});
  CHECK(t(0, 0) == 0.0f);
  CHECK(t(0, 1) == 1.0f);
  CHECK(t(3, 0) == doctest::Approx(std::sin(3.0)));
  CHECK(t(3, 1) == doctest::Approx(std::cos(3.0)));
  // column 2i, 2i + 1 use the frequency 10000^(-2i / D); D odd: the last column is a sine
  CHECK(t(7, 2) == doctest::Approx(std::sin(7.0 / std::pow(10000.0, 2.0 / 5))));
  CHECK(t(7, 3) == doctest::Approx(std::cos(7.0 / std::pow(10000.0, 2.0 / 5))));
  CHECK(t(7, 4) == doctest::Approx(std::sin(7.0 / std::pow(10000.0, 4.0 / 5))));

  Generator gen(0);
  const Tensor x = randn<float>({4, 2, 5}, gen);  // [T, B, D]
  const auto y = pe(x).data();
  CHECK(y(3, 1, 0) == doctest::Approx(x.data()(3, 1, 0) + t(3, 0)));
  nn::SinusoidalPositionalEncoding first(nn::PositionalEncodingOptions(5, 10).batch_first(true));
  const auto z = first(x).data();  // now [B=4, T=2, D]
  CHECK(z(3, 1, 0) == doctest::Approx(x.data()(3, 1, 0) + t(1, 0)));
  CHECK_THROWS_AS(pe(zeros<float>({11, 1, 5})), ShapeError);
  CHECK_THROWS_AS(pe(zeros<float>({4, 1, 6})), ShapeError);
  CHECK_THROWS_AS(nn::SinusoidalPositionalEncoding(0, 10), ValueError);
  try {
    first(zeros<float>({1, 12, 5}));
  } catch (const ShapeError& e) {
    CHECK(std::string(e.what()).find("max_len 10") != std::string::npos);
  }
}

TEST_CASE("nn: learned positional encoding: parameter, init, gradient to the used rows") {
  Generator gen(0);
  nn::LearnedPositionalEncodingD pe(nn::PositionalEncodingOptions(4, 50).batch_first(true), gen);
  CHECK(names(nn::LearnedPositionalEncoding(nn::PositionalEncodingOptions(4, 50), gen)
                  .state_dict()) == std::vector<std::string>{"weight"});
  CHECK(xt::stddev(pe.weight().data())() == doctest::Approx(0.02).epsilon(0.15));
  const TensorD x = randn<double>({2, 3, 4}, gen);
  sum(pe(x)).backward();
  const auto g = pe.weight().grad().data();
  CHECK(xt::all(xt::equal(xt::view(g, xt::range(0, 3)), 2.0)));  // two batch elements
  CHECK(xt::all(xt::equal(xt::view(g, xt::range(3, 50)), 0.0)));
  CHECK_THROWS_AS(pe(zeros<double>({1, 51, 4})), ShapeError);
  const auto r = nn::gradcheck_module(pe, randn<double>({2, 3, 4}, gen, 0.0, 1.0, true));
  CHECK_MESSAGE(r.ok, r.message);
}

}  // namespace axon::test
