// SPDX-License-Identifier: MIT
// Second derivatives against PyTorch (float64, torch.autograd.grad with create_graph): five
// compositions of ops (matmul, tanh, sigmoid, log_softmax, exp, pow, sqrt, sum, mean, gelu,
// softplus, max, slice, broadcasting) give the same first-order gradients and the same
// Hessian-vector products, and the full Hessian of a small MLP's loss matches, all to 1e-9
// relative. Values from scripts/golden_second.py (tests/autograd/golden_second.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "tests/autograd/golden_second.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
namespace g = golden_second;

template <std::size_t N>
TensorD tensor(const double (&values)[N], const Shape& shape, bool requires_grad = false) {
  return from_vector<double>(std::vector<double>(values, values + N), shape, requires_grad);
}

/// Every element of `t` within 1e-9 relative (1e-12 absolute near zero) of `expected`.
template <std::size_t N>
void check_close(const TensorD& t, const double (&expected)[N], const std::string& what) {
  CAPTURE(what);
  REQUIRE(t.numel() == N);
  for (std::size_t i = 0; i < N; ++i) {
    CAPTURE(i);
    CHECK(std::abs(t.data_ptr()[i] - expected[i]) <= 1e-12 + 1e-9 * std::abs(expected[i]));
  }
}

using Composition = std::function<TensorD(const TensorD&, const TensorD&)>;

/// The same compositions as COMPOSITIONS in scripts/golden_second.py.
const Composition kTanhMatmul = [](const TensorD& x, const TensorD& w) {
  return tanh(matmul(x, w)) * sigmoid(matmul(x, w));
};
const Composition kSoftmaxLog = [](const TensorD& x, const TensorD& w) {
  const TensorD z = matmul(x, w);
  return log_softmax(z, 1) * exp(-pow(z, 2.0));
};
const Composition kNormDiv = [](const TensorD& x, const TensorD& w) {
  return matmul(x, w) / sqrt(sum(pow(x, 2.0), {1}, true) + 1.0);
};
const Composition kGeluMean = [](const TensorD& x, const TensorD& w) {
  return mean(gelu(matmul(x, w)), {0}, true) * tanh(slice(x, 1, 0, 2));
};
const Composition kSoftplusMax = [](const TensorD& x, const TensorD& w) {
  return softplus(matmul(x, w)) - max(x, {1}, true) * slice(w, 0, 0, 1);
};

#define AXON_GOLDEN_CASE(name, fn)                                                           \
  SUBCASE(#name) {                                                                           \
    const TensorD x = tensor(g::x, {3, 4}, true), w = tensor(g::w, {4, 2}, true);            \
    const TensorD y = fn(x, w);                                                              \
    check_close(y, g::name##_y, "y");                                                        \
    const TensorD r = tensor(g::name##_r, y.shape());                                        \
    const auto first = grad<double>(std::vector<TensorD>{sum(y * r)}, {x, w}, {},            \
                                    GradOptions().create_graph(true));                       \
    check_close(first[0], g::name##_gx, "gx");                                               \
    check_close(first[1], g::name##_gw, "gw");                                               \
    const TensorD vx = tensor(g::name##_vx, {3, 4}), vw = tensor(g::name##_vw, {4, 2});      \
    const auto second =                                                                      \
        grad<double>(std::vector<TensorD>{sum(first[0] * vx) + sum(first[1] * vw)}, {x, w}); \
    check_close(second[0], g::name##_hx, "hx");                                              \
    check_close(second[1], g::name##_hw, "hw");                                              \
  }

}  // namespace

TEST_CASE("second derivatives of op compositions match PyTorch to 1e-9 (float64)"){
    AXON_GOLDEN_CASE(tanh_matmul, kTanhMatmul) AXON_GOLDEN_CASE(softmax_log, kSoftmaxLog)
        AXON_GOLDEN_CASE(norm_div, kNormDiv) AXON_GOLDEN_CASE(gelu_mean, kGeluMean)
            AXON_GOLDEN_CASE(softplus_max, kSoftplusMax)}

TEST_CASE("the Hessian of a small MLP's loss matches PyTorch to 1e-9 (float64)") {
  const TensorD inputs = tensor(g::mlp_inputs, {5, 2});
  const TensorD targets = tensor(g::mlp_targets, {5, 1});
  // fc1.weight [3,2], fc1.bias [3], fc2.weight [1,3], fc2.bias [1], flattened in that order.
  std::vector<double> flat(13);
  for (std::size_t i = 0; i < 6; ++i) flat[i] = g::mlp_fc1_weight[i];
  for (std::size_t i = 0; i < 3; ++i) flat[6 + i] = g::mlp_fc1_bias[i];
  for (std::size_t i = 0; i < 3; ++i) flat[9 + i] = g::mlp_fc2_weight[i];
  flat[12] = g::mlp_fc2_bias[0];
  const TensorD params = from_vector<double>(flat, {13});
  const auto loss = [&](const TensorD& p) {
    const TensorD w1 = reshape(slice(p, 0, 0, 6), {3, 2}), b1 = slice(p, 0, 6, 9);
    const TensorD w2 = reshape(slice(p, 0, 9, 12), {1, 3}), b2 = slice(p, 0, 12, 13);
    const TensorD h = tanh(linear(inputs, w1, b1));
    return mean(pow(linear(h, w2, b2) - targets, 2.0));
  };
  {
    NoGradGuard off;
    CHECK(loss(params).item() == doctest::Approx(g::mlp_loss[0]).epsilon(1e-12));
  }
  const TensorD h = hessian<double>(loss, params);
  CHECK(h.shape() == Shape{13, 13});
  check_close(h, g::mlp_hessian, "hessian");
}

}  // namespace axon::test
