// SPDX-License-Identifier: MIT
// Tests autograd/tensor.cpp: the handle, factories, item, detach, conversion, printing.
#include <doctest/doctest.h>

#include <limits>
#include <sstream>

#include "op_case.hpp"

namespace axon::test {

using namespace axon::autograd;

TEST_CASE("tensor: shape, numel, dim, size") {
  auto t = zeros<float>({2, 3, 4});
  CHECK(t.shape() == Shape{2, 3, 4});
  CHECK(t.numel() == 24);
  CHECK(t.dim() == 3);
  CHECK(t.size(-1) == 4);
  CHECK(t.size(0) == 2);
  CHECK_THROWS_AS(t.size(3), ValueError);
  auto s = scalar<double>(2.5);
  CHECK(s.dim() == 0);
  CHECK(s.numel() == 1);
  CHECK(s.item() == 2.5);
}

TEST_CASE("tensor: factories") {
  CHECK(ones<double>({2}).data() == xt::xarray<double>({1, 1}));
  CHECK(full<double>({3}, 7.0).data() == xt::xarray<double>({7, 7, 7}));
  CHECK(arange<double>(0, 5).data() == xt::xarray<double>({0, 1, 2, 3, 4}));
  CHECK(arange<double>(1, 2, 0.25).numel() == 4);
  CHECK_THROWS_AS(arange<double>(0, 1, 0), ValueError);
  auto v = from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(v.data()(1, 2) == 6.0f);
  CHECK_THROWS_AS(from_vector<float>({1, 2, 3}, {2, 2}), ShapeError);
}

TEST_CASE("tensor: factories reject shapes and ranges whose element count overflows") {
  // 2^32 * 2^32 wraps to 0 in size_t: the tensor would claim [2^32,2^32] over no storage.
  const Shape wraps_to_0{std::size_t(1) << 32, std::size_t(1) << 32};
  CHECK_THROWS_AS(zeros<double>(wraps_to_0), ValueError);
  CHECK_THROWS_AS(ones<float>(wraps_to_0), ValueError);
  CHECK_THROWS_AS(full<double>(wraps_to_0, 1.0), ValueError);
  Generator gen(0);
  CHECK_THROWS_AS(rand<double>(wraps_to_0, gen), ValueError);
  CHECK_THROWS_AS(randn<double>(wraps_to_0, gen), ValueError);
  // (2^32+1)(2^32-1) = 2^64-1 = -1, so its square wraps to exactly 1 element.
  const std::size_t p = (std::size_t(1) << 32) + 1, q = (std::size_t(1) << 32) - 1;
  CHECK_THROWS_AS(from_vector<double>({1}, {p, q, p, q}), ValueError);
  try {
    zeros<double>(wraps_to_0);
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()) ==
          "zeros: shape [4294967296,4294967296] has too many elements to allocate");
  }
  // No element, but strides that overflow (a signed-overflow report from UBSan in xtensor).
  CHECK_THROWS_AS(zeros<double>({0, std::size_t(1) << 62, std::size_t(1) << 62}), ValueError);
  CHECK(zeros<double>({0, std::size_t(1) << 31, std::size_t(1) << 20}).numel() == 0);
  // arange: a count beyond size_t gave an empty tensor; a non-finite step too.
  CHECK_THROWS_AS(arange<double>(0, 1e30), ValueError);
  CHECK_THROWS_AS(arange<double>(0, 10, 1e-30), ValueError);
  CHECK_THROWS_AS(arange<double>(0, 10, std::numeric_limits<double>::infinity()), ValueError);
  CHECK_THROWS_AS(arange<double>(0, 10, std::numeric_limits<double>::quiet_NaN()), ValueError);
}

TEST_CASE("tensor: seeded random factories are reproducible") {
  Generator g1(123), g2(123), g3(124);
  auto a = randn<double>({100}, g1);
  auto b = randn<double>({100}, g2);
  auto c = randn<double>({100}, g3);
  CHECK(a.data() == b.data());
  CHECK(a.data() != c.data());
  Generator g4(5);
  auto u = rand<double>({1000}, g4, -1.0, 3.0);
  double lo = 1e9, hi = -1e9, mean = 0;
  for (double x : u.data()) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    mean += x / 1000;
  }
  CHECK(lo >= -1.0);
  CHECK(hi < 3.0);
  CHECK(mean == doctest::Approx(1.0).epsilon(0.1));
}

TEST_CASE("tensor: item on a multi-element tensor is a typed error") {
  auto t = zeros<float>({2});
  CHECK_THROWS_AS(t.item(), ValueError);
}

TEST_CASE("tensor: requires_grad, is_leaf, detach, grad copies") {
  auto x = ones<double>({2}, true);
  CHECK(x.requires_grad());
  CHECK(x.is_leaf());
  auto y = x * 3.0;
  CHECK(y.requires_grad());
  CHECK_FALSE(y.is_leaf());
  CHECK_THROWS_AS(y.requires_grad_(false), GraphError);
  auto d = y.detach();
  CHECK_FALSE(d.requires_grad());
  d.mutable_data()(0) = 100;  // a copy: y is untouched
  CHECK(y.data()(0) == 3.0);
  y.backward(ones<double>({2}));
  auto g = x.grad();
  g.mutable_data()(0) = 42;
  CHECK(x.grad().data()(0) == 3.0);
}

/// The message of the GraphError `f` throws ("" when it throws none).
template <class F>
std::string graph_error(F&& f) {
  try {
    f();
  } catch (const GraphError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("tensor: a non-leaf's grad() is a GraphError unless retain_grad() kept it") {
  auto x = from_vector<double>({1, 2}, {2}, true);
  auto h = x * 3.0;
  auto kept = x * 3.0;
  CHECK_FALSE(kept.retains_grad());
  kept.retain_grad();
  CHECK(kept.retains_grad());
  CHECK(x.retains_grad());
  (sum(h * h) + sum(kept * kept)).backward();  // d/dh = 2h = [6, 12]
  // Used to return zeros silently (the gradient is freed during backward).
  CHECK(graph_error([&] { h.grad(); }).find("call retain_grad()") != std::string::npos);
  CHECK_FALSE(h.has_grad());
  CHECK(kept.has_grad());
  CHECK(kept.grad().data() == xt::xarray<double>({6, 12}));
  CHECK(x.grad().data() == xt::xarray<double>({36, 72}));
  kept.zero_grad();
  CHECK_FALSE(kept.has_grad());
  CHECK(kept.grad().data() == xt::xarray<double>({0, 0}));
  // retain_grad on a leaf is a no-op; on a tensor without a gradient it is an error.
  CHECK_NOTHROW(x.retain_grad());
  CHECK_THROWS_AS(ones<double>({2}).retain_grad(), GraphError);
}

TEST_CASE("tensor: retained gradients accumulate over backward calls like a leaf's") {
  auto x = scalar<double>(2.0, true);
  auto h = x * x;
  h.retain_grad();
  auto y = h * 5.0;
  y.backward(true);
  y.backward();
  CHECK(h.grad().item() == doctest::Approx(10.0));
  CHECK(x.grad().item() == doctest::Approx(40.0));
}

TEST_CASE("tensor: register_hook sees and replaces a gradient as it passes") {
  auto x = from_vector<double>({1, 2}, {2}, true);
  auto h = x * 3.0;
  std::vector<double> seen;
  h.register_hook([&](const TensorD& g) {
    seen.assign(g.data().begin(), g.data().end());
    return g * 2.0;  // doubles what flows on into x
  });
  h.register_hook([&](const TensorD& g) {
    CHECK(g.data() == xt::xarray<double>({12, 24}));  // the first hook's result
    return TensorD();                                 // undefined: keep it
  });
  int leaf_calls = 0;
  x.register_hook([&](const TensorD& g) {
    ++leaf_calls;
    return g + 1.0;
  });
  h.retain_grad();
  sum(h * h).backward();
  CHECK(seen == std::vector<double>{6, 12});
  CHECK(h.grad().data() == xt::xarray<double>({12, 24}));  // retained after the hooks
  CHECK(leaf_calls == 1);
  CHECK(x.grad().data() == xt::xarray<double>({37, 73}));  // 3 * [12, 24] + 1

  auto z = x * 2.0;
  z.register_hook([](const TensorD&) { return zeros<double>({3}); });
  CHECK_THROWS_AS(sum(z).backward(), ShapeError);
  CHECK_THROWS_AS(ones<double>({2}).register_hook([](const TensorD& g) { return g; }), GraphError);
}

TEST_CASE("tensor: a gradient read by grad() in a recorded loss is a GraphError") {
  // A gradient penalty written without create_graph: grad() is a constant, so the penalty adds
  // nothing to the parameters' gradient and the result was silently wrong (issue 18, case 1).
  auto w = from_vector<double>({0.5, -1.0}, {2}, true);
  auto x = from_vector<double>({1.0, 2.0}, {2}, true);
  sum(w * x * x).backward();
  auto grad_x = x.grad();                               // 2 w x
  auto penalty = sum((grad_x - 1.0) * (grad_x - 1.0));  // values from it stay marked
  CHECK_FALSE(penalty.requires_grad());
  auto critic = sum(w * x);
  const std::string msg = graph_error([&] { critic + penalty; });
  CHECK(msg.find("input 1 holds values read from a gradient") != std::string::npos);
  CHECK(msg.find("create_graph") != std::string::npos);
  CHECK(graph_error([&] { w* grad_x; }).find("input 1") != std::string::npos);
  // detach() says a constant is meant; without recording the values are ordinary.
  CHECK_NOTHROW(critic + penalty.detach());
  NoGradGuard guard;
  CHECK_NOTHROW(w * grad_x);
}

TEST_CASE("tensor: backward into a hand-set gradient of another shape is a ShapeError") {
  // grad_data() can be assigned any array; adding a [4] gradient into a [1] one used to read and
  // write past its end (AddressSanitizer: heap-buffer-overflow in accumulate_grad).
  auto w = from_vector<double>({1, 2, 3, 4}, {4}, true);
  w.grad_data() = xt::xarray<double>({1.0});
  CHECK_THROWS_WITH_AS((w * w).backward(ones<double>({4})),
                       "backward of mul: the tensor's gradient has shape [1] but its value has "
                       "shape [4] (a gradient assigned through grad_data() must have the value's "
                       "shape)",
                       ShapeError);
  CHECK(w.grad_data() == xt::xarray<double>({1.0}));  // left as it was
  w.grad_data() = xt::zeros<double>({4});             // the value's shape: accumulates
  (w * w).backward(ones<double>({4}));
  CHECK(w.grad_data() == xt::xarray<double>({2.0, 4.0, 6.0, 8.0}));
}

TEST_CASE("tensor: float <-> double conversion") {
  auto f = from_vector<float>({1.5f, -2.0f}, {2});
  auto d = f.to<double>();
  CHECK(d.data() == xt::xarray<double>({1.5, -2.0}));
}

TEST_CASE("tensor: printing") {
  std::ostringstream os;
  os << from_vector<double>({1, 2, 3, 4}, {2, 2}, true);
  const std::string s = os.str();
  CHECK(s.find("tensor([[1, 2],") != std::string::npos);
  CHECK(s.find("shape=[2,2]") != std::string::npos);
  CHECK(s.find("requires_grad") != std::string::npos);
  std::ostringstream big;
  big << arange<double>(0, 100);
  CHECK(big.str().find("...") != std::string::npos);
  std::ostringstream undef;
  undef << TensorD();
  CHECK(undef.str() == "tensor(undefined)");
}

}  // namespace axon::test
