// SPDX-License-Identifier: MIT
// Tests nn/activation.cpp: each activation module's forward against the formula (with its
// arguments passed through), its printed form, and gradcheck of each module in double.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/gradcheck.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

double sigmoid_ref(double v) {
  return 1.0 / (1.0 + std::exp(-v));
}

struct ActivationCase {
  std::shared_ptr<nn::ModuleD> module;
  std::string repr;
  std::function<double(double)> reference;  // elementwise; empty for softmax-like
};

std::vector<ActivationCase> activation_cases() {
  const double k = std::sqrt(2.0 / M_PI);
  return {
      {std::make_shared<nn::ReLUD>(), "ReLU()", [](double v) { return v > 0 ? v : 0.0; }},
      {std::make_shared<nn::LeakyReLUD>(0.2), "LeakyReLU(negative_slope=0.2)",
       [](double v) { return v > 0 ? v : 0.2 * v; }},
      {std::make_shared<nn::LeakyReLUD>(), "LeakyReLU(negative_slope=0.01)",
       [](double v) { return v > 0 ? v : 0.01 * v; }},
      {std::make_shared<nn::ELUD>(0.5), "ELU(alpha=0.5)",
       [](double v) { return v > 0 ? v : 0.5 * (std::exp(v) - 1); }},
      {std::make_shared<nn::SigmoidD>(), "Sigmoid()", sigmoid_ref},
      {std::make_shared<nn::TanhD>(), "Tanh()", [](double v) { return std::tanh(v); }},
      {std::make_shared<nn::SoftplusD>(2.0, 3.0), "Softplus(beta=2, threshold=3)",
       [](double v) { return 2 * v > 3 ? v : std::log1p(std::exp(2 * v)) / 2; }},
      {std::make_shared<nn::SoftplusD>(), "Softplus(beta=1, threshold=20)",
       [](double v) { return std::log1p(std::exp(v)); }},
      {std::make_shared<nn::GELUD>("tanh"), "GELU(approximate='tanh')",
       [k](double v) { return 0.5 * v * (1 + std::tanh(k * (v + 0.044715 * v * v * v))); }},
      {std::make_shared<nn::GELUD>(), "GELU(approximate='none')",
       [](double v) { return 0.5 * v * std::erfc(-v / std::sqrt(2.0)); }},
      {std::make_shared<nn::SiLUD>(), "SiLU()", [](double v) { return v * sigmoid_ref(v); }},
  };
}

}  // namespace

TEST_CASE("nn: activation modules match their formulas") {
  const TensorD x = from_vector<double>({-3, -1.5, -0.2, 0.3, 1, 2.5}, {2, 3});
  for (const auto& c : activation_cases()) {
    CAPTURE(c.repr);
    CHECK(c.module->repr() == c.repr);
    CHECK(c.module->num_parameters() == 0);
    const TensorD y = (*c.module)(x);
    REQUIRE(y.shape() == x.shape());
    for (std::size_t i = 0; i < x.numel(); ++i) {
      CHECK(y.data_ptr()[i] == doctest::Approx(c.reference(x.data_ptr()[i])).epsilon(1e-12));
    }
  }
}

TEST_CASE("nn: softmax and log-softmax modules follow their axis") {
  const TensorD x = from_vector<double>({1, 2, 3, -1, 0, 4}, {2, 3});
  CHECK(nn::SoftmaxD().repr() == "Softmax(axis=-1)");
  CHECK(nn::LogSoftmaxD(0).repr() == "LogSoftmax(axis=0)");
  for (int axis : {0, 1, -1}) {
    CAPTURE(axis);
    const TensorD s = nn::SoftmaxD(axis)(x);
    const TensorD ls = nn::LogSoftmaxD(axis)(x);
    const std::size_t a = axis == 0 ? 0 : 1;
    for (std::size_t i = 0; i < 2; ++i) {
      for (std::size_t j = 0; j < 3; ++j) {
        double denom = 0;
        const std::size_t n = a == 0 ? 2 : 3;
        for (std::size_t t = 0; t < n; ++t)
          denom += std::exp(a == 0 ? x.data()(t, j) : x.data()(i, t));
        const double expected = std::exp(x.data()(i, j)) / denom;
        CHECK(s.data()(i, j) == doctest::Approx(expected).epsilon(1e-12));
        CHECK(ls.data()(i, j) == doctest::Approx(std::log(expected)).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("nn: activation modules pass gradcheck (double) and work in float") {
  Generator gen(3);
  const TensorD x = rand<double>({3, 4}, gen, -2.0, 2.0, true);
  for (const auto& c : activation_cases()) {
    CAPTURE(c.repr);
    const auto r = nn::gradcheck_module(*c.module, x);
    CHECK_MESSAGE(r.ok, r.message);
  }
  for (int axis : {0, -1}) {
    nn::SoftmaxD s(axis);
    nn::LogSoftmaxD ls(axis);
    auto r = nn::gradcheck_module(s, x);
    CHECK_MESSAGE(r.ok, r.message);
    r = nn::gradcheck_module(ls, x);
    CHECK_MESSAGE(r.ok, r.message);
  }
  const Tensor xf = x.to<float>();
  CHECK(nn::ReLU()(xf).shape() == xf.shape());
  CHECK(nn::GELU()(xf).shape() == xf.shape());
  CHECK(nn::LogSoftmax()(xf).shape() == xf.shape());
}

}  // namespace axon::test
