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
  d.data()(0) = 100;  // a copy: y is untouched
  CHECK(y.data()(0) == 3.0);
  y.backward(ones<double>({2}));
  auto g = x.grad();
  g.data()(0) = 42;
  CHECK(x.grad().data()(0) == 3.0);
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
