// SPDX-License-Identifier: MIT
// Tests nn/init.cpp: gains and fans as PyTorch, the statistics and bounds of each random init on
// large tensors, orthogonality, reproducibility, errors.
#include <doctest/doctest.h>

#include <cmath>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/init.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
namespace init = axon::nn::init;

struct Stats {
  double mean = 0, std = 0, min = 0, max = 0;
};

template <class T>
Stats stats(const BasicTensor<T>& t) {
  Stats s;
  s.min = s.max = static_cast<double>(t.data_ptr()[0]);
  double sum = 0, sq = 0;
  for (std::size_t i = 0; i < t.numel(); ++i) {
    const double v = t.data_ptr()[i];
    sum += v;
    sq += v * v;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }
  const double n = static_cast<double>(t.numel());
  s.mean = sum / n;
  s.std = std::sqrt(sq / n - s.mean * s.mean);
  return s;
}

}  // namespace

TEST_CASE("nn: init gains and fans follow PyTorch") {
  using init::Nonlinearity;
  CHECK(init::calculate_gain(Nonlinearity::linear) == 1.0);
  CHECK(init::calculate_gain(Nonlinearity::conv) == 1.0);
  CHECK(init::calculate_gain(Nonlinearity::sigmoid) == 1.0);
  CHECK(init::calculate_gain(Nonlinearity::tanh) == doctest::Approx(5.0 / 3.0));
  CHECK(init::calculate_gain(Nonlinearity::relu) == doctest::Approx(std::sqrt(2.0)));
  CHECK(init::calculate_gain(Nonlinearity::selu) == 0.75);
  CHECK(init::calculate_gain(Nonlinearity::leaky_relu) ==
        doctest::Approx(std::sqrt(2.0 / (1 + 0.01 * 0.01))));
  CHECK(init::calculate_gain(Nonlinearity::leaky_relu, 0.0) == doctest::Approx(std::sqrt(2.0)));
  CHECK(init::calculate_gain(Nonlinearity::leaky_relu, std::sqrt(5.0)) ==
        doctest::Approx(std::sqrt(1.0 / 3.0)));

  auto fans = init::calculate_fan_in_and_fan_out({128, 784});  // Linear [out, in]
  CHECK(fans.fan_in == 784);
  CHECK(fans.fan_out == 128);
  fans = init::calculate_fan_in_and_fan_out({16, 8, 3, 3});  // Conv2d [out, in, kh, kw]
  CHECK(fans.fan_in == 72);
  CHECK(fans.fan_out == 144);
  fans = init::calculate_fan_in_and_fan_out({4, 6, 5});  // Conv1d
  CHECK(fans.fan_in == 30);
  CHECK(fans.fan_out == 20);
  CHECK_THROWS_AS(init::calculate_fan_in_and_fan_out({5}), ValueError);
  CHECK_THROWS_AS(init::calculate_fan_in_and_fan_out({}), ValueError);
}

TEST_CASE("nn: uniform, normal and constant init") {
  Generator gen(1);
  auto u = init::uniform_(zeros<double>({400, 500}), gen, -2.0, 4.0);
  Stats s = stats(u);
  CHECK(s.min >= -2.0);
  CHECK(s.max < 4.0);
  CHECK(s.mean == doctest::Approx(1.0).epsilon(0.01));
  CHECK(s.std == doctest::Approx(6.0 / std::sqrt(12.0)).epsilon(0.01));

  auto nrm = init::normal_(zeros<float>({400, 500}), gen, 3.0, 0.5);
  s = stats(nrm);
  CHECK(s.mean == doctest::Approx(3.0).epsilon(0.002));
  CHECK(s.std == doctest::Approx(0.5).epsilon(0.01));

  // In place through the handle: the caller's tensor changes.
  Tensor t = zeros<float>({3, 2}, true);
  init::constant_(t, 2.5);
  CHECK(t.data() == xt::xarray<float>(xt::ones<float>({3, 2}) * 2.5f));
  init::zeros_(t);
  CHECK(t.data() == xt::xarray<float>(xt::zeros<float>({3, 2})));
  init::ones_(t);
  CHECK(t.data() == xt::xarray<float>(xt::ones<float>({3, 2})));
  CHECK(t.requires_grad());

  // Same seed, same values.
  Generator g1(5), g2(5);
  CHECK(init::normal_(zeros<float>({10}), g1).data() ==
        init::normal_(zeros<float>({10}), g2).data());
}

TEST_CASE("nn: xavier init bounds and statistics") {
  Generator gen(2);
  // fan_in 300, fan_out 200.
  auto w = init::xavier_uniform_(zeros<double>({200, 300}), gen, 2.0);
  const double bound = 2.0 * std::sqrt(6.0 / 500.0);
  Stats s = stats(w);
  CHECK(s.min >= -bound);
  CHECK(s.max < bound);
  CHECK(s.max > 0.99 * bound);
  CHECK(s.std == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.01));

  w = init::xavier_normal_(zeros<double>({200, 300}), gen);
  s = stats(w);
  CHECK(std::abs(s.mean) < 2e-3);
  CHECK(s.std == doctest::Approx(std::sqrt(2.0 / 500.0)).epsilon(0.01));
  CHECK_THROWS_AS(init::xavier_uniform_(zeros<double>({7}), gen), ValueError);
}

TEST_CASE("nn: kaiming init bounds and statistics") {
  using init::FanMode;
  using init::Nonlinearity;
  Generator gen(3);
  // Conv-shaped [64, 32, 3, 3]: fan_in 288, fan_out 576.
  auto w = init::kaiming_uniform_(zeros<double>({64, 32, 3, 3}), gen);
  double bound = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(288.0);  // defaults: a=0, fan_in
  Stats s = stats(w);
  CHECK(s.min >= -bound);
  CHECK(s.max < bound);
  CHECK(s.max > 0.99 * bound);
  CHECK(s.std == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.01));

  w = init::kaiming_uniform_(zeros<double>({64, 32, 3, 3}), gen, std::sqrt(5.0));
  bound = 1.0 / std::sqrt(288.0);  // Linear/Conv default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  s = stats(w);
  CHECK(s.max < bound);
  CHECK(s.max > 0.99 * bound);

  w = init::kaiming_normal_(zeros<double>({64, 32, 3, 3}), gen, 0.0, FanMode::fan_out,
                            Nonlinearity::relu);
  s = stats(w);
  CHECK(std::abs(s.mean) < 2e-3);
  CHECK(s.std == doctest::Approx(std::sqrt(2.0 / 576.0)).epsilon(0.01));

  w = init::kaiming_normal_(zeros<double>({400, 500}), gen, 0.0, FanMode::fan_in,
                            Nonlinearity::tanh);
  CHECK(stats(w).std == doctest::Approx((5.0 / 3.0) / std::sqrt(500.0)).epsilon(0.01));
  CHECK_THROWS_AS(init::kaiming_normal_(zeros<double>({3}), gen), ValueError);
  CHECK_THROWS_AS(init::kaiming_uniform_(zeros<double>({3, 0}), gen), ValueError);
}

TEST_CASE("nn: orthogonal init gives orthonormal rows or columns") {
  Generator gen(4);
  const auto check_gram = [](const TensorD& w, std::size_t rows, std::size_t cols, double gain) {
    // Gram matrix along the shorter side must be gain^2 I.
    const bool by_rows = rows <= cols;
    const std::size_t k = by_rows ? rows : cols, n = by_rows ? cols : rows;
    const double* p = w.data_ptr();
    double worst = 0;
    for (std::size_t a = 0; a < k; ++a) {
      for (std::size_t b = 0; b < k; ++b) {
        double dot = 0;
        for (std::size_t i = 0; i < n; ++i) {
          dot += by_rows ? p[a * cols + i] * p[b * cols + i] : p[i * cols + a] * p[i * cols + b];
        }
        worst = std::max(worst, std::abs(dot - (a == b ? gain * gain : 0.0)));
      }
    }
    return worst;
  };
  TensorD wide = init::orthogonal_(zeros<double>({20, 50}), gen);
  CHECK(check_gram(wide, 20, 50, 1.0) < 1e-12);  // W W^T = I
  TensorD tall = init::orthogonal_(zeros<double>({50, 20}), gen, 2.0);
  CHECK(check_gram(tall, 50, 20, 2.0) < 1e-12);  // W^T W = 4 I
  TensorD square = init::orthogonal_(zeros<double>({64, 64}), gen);
  CHECK(check_gram(square, 64, 64, 1.0) < 1e-12);
  TensorD conv = init::orthogonal_(zeros<double>({6, 2, 3}), gen);  // viewed as [6, 6]
  CHECK(check_gram(conv, 6, 6, 1.0) < 1e-12);
  Tensor f = init::orthogonal_(zeros<float>({16, 16}), gen);
  CHECK(check_gram(f.to<double>(), 16, 16, 1.0) < 1e-5);
  CHECK_THROWS_AS(init::orthogonal_(zeros<double>({5}), gen), ValueError);
  // Random: two draws differ.
  CHECK(init::orthogonal_(zeros<double>({4, 4}), gen).data() !=
        init::orthogonal_(zeros<double>({4, 4}), gen).data());
}

}  // namespace axon::test
