// SPDX-License-Identifier: MIT
// Tests nn/losses.cpp: gradients in double for every loss and reduction, values against PyTorch
// (tests/nn/golden_losses.hpp), stability at |logits| = 1e4, the loss objects, the error table.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "axon/nn/losses.hpp"
#include "tests/autograd/op_case.hpp"
#include "tests/nn/golden_losses.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using namespace axon::nn;

constexpr Reduction kReductions[] = {Reduction::None, Reduction::Mean, Reduction::Sum};

const char* name_of(Reduction r) {
  return r == Reduction::None ? "none" : (r == Reduction::Mean ? "mean" : "sum");
}

/// Appends one row per reduction: `f(x, reduction)` for each of None, Mean and Sum.
template <class F>
void add_rows(std::vector<OpCase>& table, const std::string& op, const std::string& variant,
              const std::vector<Shape>& shapes, F f, double low = -2.0, double high = 2.0) {
  for (Reduction r : kReductions) {
    table.emplace_back(
        op, variant + " " + name_of(r), shapes, [f, r](const auto& x) { return f(x, r); }, low,
        high);
  }
}

std::vector<OpCase> loss_cases() {
  std::vector<OpCase> t;
  const Labels labels = {3, 0, 4, 1};
  // clang-format off
  add_rows(t, "mse_loss", "[3,4]", {{3, 4}, {3, 4}}, [](const auto& x, Reduction r) { return mse_loss(x[0], x[1], r); });
  add_rows(t, "mse_loss", "0-d", {{}, {}}, [](const auto& x, Reduction r) { return mse_loss(x[0], x[1], r); });
  add_rows(t, "l1_loss", "[3,4]", {{3, 4}, {3, 4}}, [](const auto& x, Reduction r) { return l1_loss(x[0], x[1], r); });
  add_rows(t, "huber_loss", "delta 1", {{3, 4}, {3, 4}}, [](const auto& x, Reduction r) { return huber_loss(x[0], x[1], r); });
  add_rows(t, "huber_loss", "delta 0.5", {{2, 3, 2}, {2, 3, 2}}, [](const auto& x, Reduction r) { return huber_loss(x[0], x[1], r, 0.5); });
  add_rows(t, "smooth_l1_loss", "beta 1", {{3, 4}, {3, 4}}, [](const auto& x, Reduction r) { return smooth_l1_loss(x[0], x[1], r); });
  add_rows(t, "smooth_l1_loss", "beta 0.7", {{12}, {12}}, [](const auto& x, Reduction r) { return smooth_l1_loss(x[0], x[1], r, 0.7); });
  add_rows(t, "smooth_l1_loss", "beta 0 (l1)", {{6}, {6}}, [](const auto& x, Reduction r) { return smooth_l1_loss(x[0], x[1], r, 0.0); });
  add_rows(t, "binary_cross_entropy", "soft targets", {{3, 4}, {3, 4}}, [](const auto& x, Reduction r) { return binary_cross_entropy(x[0], x[1], r); }, 0.05, 0.95);
  // logits spread over (-4, 4) from inputs drawn in (0.05, 0.95); targets stay in (0, 1)
  add_rows(t, "binary_cross_entropy_with_logits", "", {{3, 4}, {3, 4}}, [](const auto& x, Reduction r) { return binary_cross_entropy_with_logits(x[0] * 10 - 5, x[1], r); }, 0.05, 0.95);
  add_rows(t, "binary_cross_entropy_with_logits", "pos_weight [4]", {{3, 4}, {3, 4}, {4}}, [](const auto& x, Reduction r) { return binary_cross_entropy_with_logits(x[0] * 10 - 5, x[1], r, x[2] * 3); }, 0.05, 0.95);
  add_rows(t, "binary_cross_entropy_with_logits", "pos_weight 0-d", {{5}, {5}, {}}, [](const auto& x, Reduction r) { return binary_cross_entropy_with_logits(x[0] * 10 - 5, x[1], r, x[2] * 3); }, 0.05, 0.95);
  add_rows(t, "cross_entropy", "labels", {{4, 5}}, [labels](const auto& x, Reduction r) { return cross_entropy(x[0], labels, r); });
  add_rows(t, "cross_entropy", "labels, smoothing 0.2", {{4, 5}}, [labels](const auto& x, Reduction r) { return cross_entropy(x[0], labels, r, 0.2); });
  add_rows(t, "cross_entropy", "labels, rank 1", {{5}}, [](const auto& x, Reduction r) { return cross_entropy(x[0], Labels{2}, r, 0.1); });
  add_rows(t, "cross_entropy", "logits used twice", {{4, 5}}, [labels](const auto& x, Reduction r) { return cross_entropy(x[0] * x[0], labels, r); });
  add_rows(t, "cross_entropy", "probabilities", {{4, 5}, {4, 5}}, [](const auto& x, Reduction r) { return cross_entropy(x[0] * 4 - 2, x[1], r); }, 0.05, 0.95);
  add_rows(t, "cross_entropy", "probabilities, smoothing 0.3", {{4, 5}, {4, 5}}, [](const auto& x, Reduction r) { return cross_entropy(x[0] * 4 - 2, x[1], r, 0.3); }, 0.05, 0.95);
  add_rows(t, "nll_loss", "", {{4, 5}}, [labels](const auto& x, Reduction r) { return nll_loss(x[0], labels, r); });
  add_rows(t, "nll_loss", "rank 1", {{5}}, [](const auto& x, Reduction r) { return nll_loss(x[0], Labels{4}, r); });
  // clang-format on
  return t;
}

TEST_CASE("losses: gradients match finite differences for every reduction (double)") {
  check_gradients(loss_cases());
}

TEST_CASE("losses: second derivatives match finite differences for every reduction (double)") {
  check_second_gradients(loss_cases());
}

TEST_CASE("losses: float agrees with double") {
  check_float_matches_double(loss_cases());
}

TEST_CASE("losses: every declared loss has a row") {
  check_every_op_has_a_row("../nn/losses.hpp", loss_cases());
}

// ---- values against PyTorch -----------------------------------------------------------------

/// |got - want| <= 1e-10 |want| + 1e-14 for every element. The absolute floor only matters for
/// values near zero that PyTorch itself forms by cancellation (sigmoid(30) - 1).
void check_close(const TensorD& got, const double* want, std::size_t n) {
  REQUIRE(got.numel() == n);
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(i);
    const double g = got.data_ptr()[i];
    CHECK(std::isfinite(g));
    CHECK(std::abs(g - want[i]) <= 1e-10 * std::abs(want[i]) + 1e-14);
  }
}

struct Golden {
  const char* name;
  std::vector<std::pair<const double*, Shape>> inputs;  ///< tensor arguments (all leaves)
  std::function<TensorD(const std::vector<TensorD>&, Reduction)> f;
  const double* none;
  const double* mean;  ///< nullptr where not generated
  const double* sum;
  std::vector<const double*> grads;  ///< of the mean, per input; nullptr: not compared
};

std::vector<Golden> golden_cases() {
  namespace g = golden;
  const Labels labels(g::ce_labels, g::ce_labels + 4);
  const Labels big_labels(g::ce_big_labels, g::ce_big_labels + 3);
  const std::pair<const double*, Shape> reg_x{g::reg_input, {3, 4}}, reg_y{g::reg_target, {3, 4}};
  const std::pair<const double*, Shape> ce_x{g::ce_logits, {4, 5}};
  // Element 0 has d = 0, where smooth_l1 with beta 0 is |d|. PyTorch 1.13 takes the slope -1 there
  // (its `x <= -beta` branch); we take 0, as l1_loss and sign(0) do.
  static std::array<double, 12> beta0_grad0, beta0_grad1;
  std::copy(g::smooth_l1_zero_grad0, g::smooth_l1_zero_grad0 + 12, beta0_grad0.begin());
  std::copy(g::smooth_l1_zero_grad1, g::smooth_l1_zero_grad1 + 12, beta0_grad1.begin());
  CHECK(g::reg_input[0] == g::reg_target[0]);
  beta0_grad0[0] = beta0_grad1[0] = 0.0;
  // clang-format off
  return {
    {"mse", {reg_x, reg_y}, [](const auto& x, Reduction r) { return mse_loss(x[0], x[1], r); }, g::mse_none, &g::mse_mean, &g::mse_sum, {g::mse_grad0, g::mse_grad1}},
    {"l1", {reg_x, reg_y}, [](const auto& x, Reduction r) { return l1_loss(x[0], x[1], r); }, g::l1_none, &g::l1_mean, &g::l1_sum, {g::l1_grad0, g::l1_grad1}},
    {"huber", {reg_x, reg_y}, [](const auto& x, Reduction r) { return huber_loss(x[0], x[1], r); }, g::huber_none, &g::huber_mean, &g::huber_sum, {g::huber_grad0, g::huber_grad1}},
    {"huber delta 0.5", {reg_x, reg_y}, [](const auto& x, Reduction r) { return huber_loss(x[0], x[1], r, 0.5); }, g::huber_half_none, &g::huber_half_mean, &g::huber_half_sum, {g::huber_half_grad0, g::huber_half_grad1}},
    {"smooth_l1", {reg_x, reg_y}, [](const auto& x, Reduction r) { return smooth_l1_loss(x[0], x[1], r); }, g::smooth_l1_none, &g::smooth_l1_mean, &g::smooth_l1_sum, {g::smooth_l1_grad0, g::smooth_l1_grad1}},
    {"smooth_l1 beta 0.5", {reg_x, reg_y}, [](const auto& x, Reduction r) { return smooth_l1_loss(x[0], x[1], r, 0.5); }, g::smooth_l1_half_none, &g::smooth_l1_half_mean, &g::smooth_l1_half_sum, {g::smooth_l1_half_grad0, g::smooth_l1_half_grad1}},
    {"smooth_l1 beta 0", {reg_x, reg_y}, [](const auto& x, Reduction r) { return smooth_l1_loss(x[0], x[1], r, 0.0); }, g::smooth_l1_zero_none, &g::smooth_l1_zero_mean, &g::smooth_l1_zero_sum, {beta0_grad0.data(), beta0_grad1.data()}},
    {"bce", {{g::bce_probs, {3, 4}}, {g::bce_target, {3, 4}}}, [](const auto& x, Reduction r) { return binary_cross_entropy(x[0], x[1], r); }, g::bce_none, &g::bce_mean, &g::bce_sum, {g::bce_grad0, g::bce_grad1}},
    // PyTorch's target gradient is inf at p = 0 or 1 (unclamped logs); ours is finite, not compared
    {"bce at 0 and 1", {{g::bce_edge_probs, {5}}, {g::bce_edge_target, {5}}}, [](const auto& x, Reduction r) { return binary_cross_entropy(x[0], x[1], r); }, g::bce_edge_none, &g::bce_edge_mean, nullptr, {g::bce_edge_grad0, nullptr}},
    {"bce with logits", {{g::bcel_logits, {3, 4}}, {g::bcel_target, {3, 4}}}, [](const auto& x, Reduction r) { return binary_cross_entropy_with_logits(x[0], x[1], r); }, g::bcel_none, &g::bcel_mean, &g::bcel_sum, {g::bcel_grad0, g::bcel_grad1}},
    // PyTorch 1.13 does not differentiate pos_weight; gradcheck covers ours
    {"bce with logits, pos_weight", {{g::bcel_logits, {3, 4}}, {g::bcel_target, {3, 4}}, {g::bcel_pos_weight, {4}}}, [](const auto& x, Reduction r) { return binary_cross_entropy_with_logits(x[0], x[1], r, x[2]); }, g::bcel_pw_none, &g::bcel_pw_mean, &g::bcel_pw_sum, {g::bcel_pw_grad0, g::bcel_pw_grad1, nullptr}},
    {"bce with logits of 1e4", {{g::bcel_big_logits, {8}}, {g::bcel_big_target, {8}}}, [](const auto& x, Reduction r) { return binary_cross_entropy_with_logits(x[0], x[1], r); }, g::bcel_big_none, &g::bcel_big_mean, nullptr, {g::bcel_big_grad0, g::bcel_big_grad1}},
    {"cross_entropy", {ce_x}, [labels](const auto& x, Reduction r) { return cross_entropy(x[0], labels, r); }, g::ce_none, &g::ce_mean, &g::ce_sum, {g::ce_grad0}},
    {"cross_entropy smoothing 0.1", {ce_x}, [labels](const auto& x, Reduction r) { return cross_entropy(x[0], labels, r, 0.1); }, g::ce_ls1_none, &g::ce_ls1_mean, &g::ce_ls1_sum, {g::ce_ls1_grad0}},
    {"cross_entropy smoothing 0.3", {ce_x}, [labels](const auto& x, Reduction r) { return cross_entropy(x[0], labels, r, 0.3); }, g::ce_ls3_none, &g::ce_ls3_mean, &g::ce_ls3_sum, {g::ce_ls3_grad0}},
    {"cross_entropy rank 1", {{g::ce_logits + 5, {5}}}, [](const auto& x, Reduction r) { return cross_entropy(x[0], Labels{2}, r); }, &g::ce_rank1_none, &g::ce_rank1_mean, &g::ce_rank1_sum, {g::ce_rank1_grad0}},
    {"cross_entropy logits 1e4", {{g::ce_big_logits, {3, 3}}}, [big_labels](const auto& x, Reduction r) { return cross_entropy(x[0], big_labels, r); }, g::ce_big_none, &g::ce_big_mean, &g::ce_big_sum, {g::ce_big_grad0}},
    {"cross_entropy logits 1e4, smoothing 0.1", {{g::ce_big_logits, {3, 3}}}, [big_labels](const auto& x, Reduction r) { return cross_entropy(x[0], big_labels, r, 0.1); }, g::ce_big_ls1_none, &g::ce_big_ls1_mean, &g::ce_big_ls1_sum, {g::ce_big_ls1_grad0}},
    {"cross_entropy probabilities", {ce_x, {g::ce_soft_target, {4, 5}}}, [](const auto& x, Reduction r) { return cross_entropy(x[0], x[1], r); }, g::ce_soft_none, &g::ce_soft_mean, &g::ce_soft_sum, {g::ce_soft_grad0, g::ce_soft_grad1}},
    {"cross_entropy probabilities, smoothing 0.2", {ce_x, {g::ce_soft_target, {4, 5}}}, [](const auto& x, Reduction r) { return cross_entropy(x[0], x[1], r, 0.2); }, g::ce_soft_ls2_none, &g::ce_soft_ls2_mean, &g::ce_soft_ls2_sum, {g::ce_soft_ls2_grad0, g::ce_soft_ls2_grad1}},
    {"nll_loss", {{g::nll_log_probs, {4, 5}}}, [labels](const auto& x, Reduction r) { return nll_loss(x[0], labels, r); }, g::nll_none, &g::nll_mean, &g::nll_sum, {g::nll_grad0}},
  };
  // clang-format on
}

std::vector<TensorD> leaves(const Golden& c) {
  std::vector<TensorD> xs;
  for (const auto& [values, shape] : c.inputs) {
    const std::vector<double> v(values, values + shape_numel(shape));
    xs.push_back(from_vector<double>(v, shape, true));
  }
  return xs;
}

TEST_CASE("losses: values and gradients match PyTorch (float64, 1e-10 relative)") {
  for (const auto& c : golden_cases()) {
    CAPTURE(std::string(c.name));
    {
      const auto y = c.f(leaves(c), Reduction::None);
      const std::size_t n = y.numel();
      check_close(y, c.none, n);
    }
    if (c.sum) check_close(c.f(leaves(c), Reduction::Sum), c.sum, 1);
    if (c.mean) {
      const auto xs = leaves(c);
      const auto y = c.f(xs, Reduction::Mean);
      CHECK(y.dim() == 0);
      check_close(y, c.mean, 1);
      y.backward();
      for (std::size_t k = 0; k < c.grads.size(); ++k) {
        CAPTURE(k);
        if (c.grads[k]) check_close(xs[k].grad(), c.grads[k], xs[k].numel());
      }
    }
  }
}

// ---- shapes, stability, label smoothing ------------------------------------------------------

TEST_CASE("losses: reduction None keeps the per-element or per-sample shape") {
  auto x = zeros<double>({2, 3, 4});
  CHECK(mse_loss(x, x, Reduction::None).shape() == Shape{2, 3, 4});
  CHECK(binary_cross_entropy_with_logits(x, x, Reduction::None).shape() == Shape{2, 3, 4});
  CHECK(mse_loss(x, x).dim() == 0);
  CHECK(mse_loss(x, x, Reduction::Sum).dim() == 0);
  auto logits = zeros<double>({4, 5});
  CHECK(cross_entropy(logits, Labels{0, 1, 2, 3}, Reduction::None).shape() == Shape{4});
  CHECK(cross_entropy(logits, logits, Reduction::None).shape() == Shape{4});
  CHECK(nll_loss(logits, Labels{0, 1, 2, 3}, Reduction::None).shape() == Shape{4});
  CHECK(cross_entropy(zeros<double>({5}), Labels{1}, Reduction::None).dim() == 0);
  // Mean of no elements is NaN (as PyTorch), Sum is 0.
  auto empty = zeros<double>({0, 3});
  CHECK(std::isnan(mse_loss(empty, empty).item()));
  CHECK(mse_loss(empty, empty, Reduction::Sum).item() == 0.0);
}

TEST_CASE("losses: cross_entropy is exact and finite for logits of magnitude 1e4") {
  // log softmax([1e4, 0, -1e4]) = [0, -1e4, -2e4] exactly.
  auto x = from_vector<double>({1e4, 0, -1e4}, {1, 3}, true);
  auto loss = cross_entropy(x, Labels{1});
  CHECK(loss.item() == 1e4);
  loss.backward();
  CHECK(x.grad().data() == xt::xarray<double>({{1.0, -1.0, 0.0}}));
  CHECK(cross_entropy(x, Labels{0}).item() == 0.0);
  CHECK(cross_entropy(x, Labels{2}).item() == 2e4);
  // (1 - 0.1) 1e4 + 0.1 (0 + 1e4 + 2e4) / 3 = 1e4
  CHECK(cross_entropy(x, Labels{1}, Reduction::Mean, 0.1).item() == doctest::Approx(1e4));
  // float: finite loss and gradient, same values
  auto xf = from_vector<float>({1e4f, 0, -1e4f, -1e4f, 1e4f, 1e4f}, {2, 3}, true);
  auto lf = cross_entropy(xf, Labels{1, 0}, Reduction::Sum);
  CHECK(lf.item() == doctest::Approx(3e4 + 0.6931472));  // 1e4, then 2e4 + log 2
  lf.backward();
  const auto xf_grad = xf.grad();  // keep the temporary alive while iterating
  for (float g : xf_grad.data()) CHECK(std::isfinite(g));
  CHECK(xf.grad().data()(1, 0) == -1.0f);
}

TEST_CASE("losses: binary_cross_entropy_with_logits is stable for |logits| = 1e4 (float)") {
  auto x = from_vector<float>({1e4f, -1e4f, 1e4f, -1e4f}, {4}, true);
  auto y = from_vector<float>({1, 1, 0, 0}, {4}, true);
  auto pw = from_vector<float>({2}, {1}, true);
  auto loss = binary_cross_entropy_with_logits(x, y, Reduction::None, pw);
  CHECK(loss.data() == xt::xarray<float>({0, 2e4f, 1e4f, 0}));
  loss.backward(ones<float>({4}));
  CHECK(x.grad().data() == xt::xarray<float>({0, -2, 1, 0}));
  const auto y_grad = y.grad(), pw_grad = pw.grad();
  for (float g : y_grad.data()) CHECK(std::isfinite(g));
  for (float g : pw_grad.data()) CHECK(std::isfinite(g));
}

TEST_CASE("losses: label smoothing matches its definition") {
  Generator gen(5);
  auto x = randn<double>({3, 4}, gen);
  const Labels labels = {1, 3, 0};
  const double eps = 0.25;
  // eps = 1: the mean over classes of -log p, whatever the labels
  const auto uniform = cross_entropy(x, labels, Reduction::None, 1.0);
  const auto uniform_other = cross_entropy(x, Labels{0, 0, 0}, Reduction::None, 1.0);
  CHECK(uniform.data() == uniform_other.data());
  const auto nll = cross_entropy(x, labels, Reduction::None);
  const auto smoothed = cross_entropy(x, labels, Reduction::None, eps);
  for (std::size_t i = 0; i < 3; ++i) {
    const double want = (1 - eps) * nll.data()(i) + eps * uniform.data()(i);
    CHECK(smoothed.data()(i) == doctest::Approx(want).epsilon(1e-14));
  }
  // labels and their one-hot probabilities give the same loss and gradient
  auto onehot = zeros<double>({3, 4});
  for (std::size_t i = 0; i < 3; ++i) onehot.mutable_data()(i, labels[i]) = 1;
  auto a = x.detach().requires_grad_();
  auto b = x.detach().requires_grad_();
  auto la = cross_entropy(a, labels, Reduction::Mean, eps);
  auto lb = cross_entropy(b, onehot, Reduction::Mean, eps);
  CHECK(la.item() == doctest::Approx(lb.item()).epsilon(1e-14));
  la.backward(true);  // both graphs live on the same tape
  lb.backward();
  for (std::size_t i = 0; i < 12; ++i) {
    CHECK(a.grad().data_ptr()[i] == doctest::Approx(b.grad().data_ptr()[i]).epsilon(1e-12));
  }
}

TEST_CASE("losses: gradients reach the target; nothing is recorded without requires_grad") {
  auto x = from_vector<double>({1, 2}, {2});
  auto y = from_vector<double>({0, 4}, {2}, true);
  auto loss = mse_loss(x, y, Reduction::Sum);  // (1)^2 + (-2)^2
  CHECK(loss.item() == 5.0);
  loss.backward();
  CHECK_FALSE(x.has_grad());
  CHECK(y.grad().data() == xt::xarray<double>({-2, 4}));
  CHECK_FALSE(mse_loss(x, x).requires_grad());
  CHECK_FALSE(cross_entropy(zeros<double>({2, 3}), Labels{0, 1}).requires_grad());
}

// ---- loss objects ------------------------------------------------------------------------------

TEST_CASE("losses: the loss objects call the functions with their options") {
  Generator gen(11);
  auto x = randn<double>({4, 3}, gen);
  auto y = rand<double>({4, 3}, gen, 0.1, 0.9);
  auto p = rand<double>({4, 3}, gen, 0.1, 0.9);
  const Labels labels = {2, 0, 1, 1};
  const auto same = [](const TensorD& a, const TensorD& b) { return a.data() == b.data(); };
  CHECK(same(MSELoss()(x, y), mse_loss(x, y)));
  CHECK(same(MSELoss(Reduction::Sum)(x, y), mse_loss(x, y, Reduction::Sum)));
  CHECK(same(L1Loss(Reduction::None)(x, y), l1_loss(x, y, Reduction::None)));
  CHECK(same(HuberLoss(Reduction::Mean, 0.3)(x, y), huber_loss(x, y, Reduction::Mean, 0.3)));
  CHECK(same(SmoothL1Loss(Reduction::Sum, 0.4)(x, y), smooth_l1_loss(x, y, Reduction::Sum, 0.4)));
  CHECK(same(BCELoss()(p, y), binary_cross_entropy(p, y)));
  CHECK(same(BCEWithLogitsLoss<double>()(x, y), binary_cross_entropy_with_logits(x, y)));
  auto pw = from_vector<double>({1, 2, 3}, {3});
  BCEWithLogitsLoss weighted(Reduction::Sum, pw);  // deduces double from pos_weight
  CHECK(same(weighted(x, y), binary_cross_entropy_with_logits(x, y, Reduction::Sum, pw)));
  CrossEntropyLoss ce(Reduction::None, 0.1);
  CHECK(ce.label_smoothing() == 0.1);
  CHECK(same(ce(x, labels), cross_entropy(x, labels, Reduction::None, 0.1)));
  CHECK(same(ce(x, y), cross_entropy(x, y, Reduction::None, 0.1)));
  CHECK(same(NLLLoss()(x, labels), nll_loss(x, labels)));
  // float works through the same objects
  BCEWithLogitsLoss float_loss;  // BCEWithLogitsLoss<float>
  auto xf = x.to<float>();
  CHECK(CrossEntropyLoss()(xf, labels).item() == doctest::Approx(cross_entropy(x, labels).item()));
  CHECK(float_loss(xf, y.to<float>()).item() ==
        doctest::Approx(binary_cross_entropy_with_logits(x, y).item()));
}

// ---- errors ------------------------------------------------------------------------------------

TEST_CASE("losses: bad inputs give typed errors naming the op and the shapes or values") {
  auto a = zeros<double>({2, 3});
  auto b = zeros<double>({3, 2});
  auto logits = zeros<double>({3, 5});
  auto probs = full<double>({2, 3}, 0.5);
  struct Row {
    const char* what;
    std::function<void()> call;
    const char* must_contain;
  };
  const std::vector<Row> shape_rows = {
      {"mse", [&] { mse_loss(a, b); }, "mse_loss: input [2,3] and target [3,2] must have"},
      {"l1", [&] { l1_loss(a, b); }, "l1_loss: input [2,3] and target [3,2]"},
      {"huber", [&] { huber_loss(a, b); }, "huber_loss: input [2,3] and target [3,2]"},
      {"smooth_l1", [&] { smooth_l1_loss(a, b); }, "smooth_l1_loss: input [2,3] and target [3,2]"},
      {"bce", [&] { binary_cross_entropy(probs, b); },
       "binary_cross_entropy: probs [2,3] and target [3,2]"},
      {"bce logits", [&] { binary_cross_entropy_with_logits(a, b); },
       "binary_cross_entropy_with_logits: logits [2,3] and target [3,2]"},
      {"pos_weight", [&] { binary_cross_entropy_with_logits(a, a, Reduction::Mean, b); },
       "binary_cross_entropy_with_logits: shapes [3,2] and [2,3]"},
      {"pos_weight widens",
       [&] {
         binary_cross_entropy_with_logits(a, a, Reduction::Mean, zeros<double>({4, 2, 3}));
       },
       "pos_weight [4,2,3] does not broadcast to logits [2,3]"},
      {"ce probabilities", [&] { cross_entropy(logits, a); },
       "cross_entropy: logits [3,5] and target [2,3]"},
      {"ce rank 3",
       [&] {
         cross_entropy(zeros<double>({2, 3, 4}), Labels{0, 0});
       },
       "cross_entropy: logits must be [N,C] or [C], got [2,3,4]"},
      {"ce rank 0", [&] { cross_entropy(zeros<double>({}), Labels{0}); },
       "cross_entropy: logits must be [N,C] or [C], got []"},
      {"ce label count",
       [&] {
         cross_entropy(logits, Labels{0, 1});
       },
       "cross_entropy: 2 labels for input [3,5] (expected 3)"},
      {"nll label count",
       [&] {
         nll_loss(logits, Labels{0, 1, 2, 3});
       },
       "nll_loss: 4 labels for input [3,5] (expected 3)"},
      {"nll rank 3",
       [&] {
         nll_loss(zeros<double>({1, 1, 1}), Labels{0});
       },
       "nll_loss: log_probs must be [N,C] or [C], got [1,1,1]"},
  };
  for (const auto& r : shape_rows) {
    CAPTURE(r.what);
    try {
      r.call();
      FAIL("no exception");
    } catch (const ShapeError& e) {
      CHECK(std::string(e.what()).find(r.must_contain) != std::string::npos);
    }
  }
  const std::vector<Row> index_rows = {
      {"ce label",
       [&] {
         cross_entropy(logits, Labels{0, 4, 7});
       },
       "cross_entropy: label 7 of sample 2 is out of range for 5 classes"},
      {"ce label = C", [&] { cross_entropy(zeros<double>({5}), Labels{5}); },
       "cross_entropy: label 5 of sample 0 is out of range for 5 classes"},
      {"nll label",
       [&] {
         nll_loss(logits, Labels{9, 0, 0});
       },
       "nll_loss: label 9 of sample 0 is out of range for 5 classes"},
  };
  for (const auto& r : index_rows) {
    CAPTURE(r.what);
    try {
      r.call();
      FAIL("no exception");
    } catch (const IndexError& e) {
      CHECK(std::string(e.what()).find(r.must_contain) != std::string::npos);
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<Row> value_rows = {
      {"probs above 1",
       [&] {
         binary_cross_entropy(from_vector<double>({0.5, 1.5}, {2}), full<double>({2}, 0.5));
       },
       "binary_cross_entropy: probs must lie in [0, 1], but element 1 is 1.5"},
      {"probs below 0",
       [&] { binary_cross_entropy(from_vector<double>({-0.25}, {1}), full<double>({1}, 0.5)); },
       "but element 0 is -0.25"},
      {"probs NaN",
       [&] {
         binary_cross_entropy(from_vector<double>({0.1, 0.2, nan}, {3}), full<double>({3}, 0.5));
       },
       "but element 2 is nan"},
      {"huber delta", [&] { huber_loss(a, a, Reduction::Mean, 0.0); },
       "huber_loss: delta must be positive, got 0"},
      {"smooth_l1 beta", [&] { smooth_l1_loss(a, a, Reduction::Mean, -1.0); },
       "smooth_l1_loss: beta must be non-negative, got -1"},
      {"smoothing",
       [&] {
         cross_entropy(logits, Labels{0, 0, 0}, Reduction::Mean, 1.5);
       },
       "cross_entropy: label_smoothing must lie in [0, 1], got 1.5"},
      {"smoothing probabilities", [&] { cross_entropy(logits, logits, Reduction::Mean, -0.1); },
       "cross_entropy: label_smoothing must lie in [0, 1], got -0.1"},
  };
  for (const auto& r : value_rows) {
    CAPTURE(r.what);
    try {
      r.call();
      FAIL("no exception");
    } catch (const IndexError&) {
      FAIL("an IndexError where a plain ValueError was expected");
    } catch (const ValueError& e) {
      CHECK(std::string(e.what()).find(r.must_contain) != std::string::npos);
    }
  }
  CHECK_THROWS_AS(mse_loss(TensorD(), a), ValueError);
}

}  // namespace
}  // namespace axon::test
