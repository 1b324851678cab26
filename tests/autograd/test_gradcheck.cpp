// SPDX-License-Identifier: MIT
// Tests autograd/gradcheck.cpp: it passes correct gradients and catches wrong ones.
#include <doctest/doctest.h>

#include "op_case.hpp"

namespace axon::test {

using namespace axon::autograd;

namespace {

/// x * 2 recorded with a deliberately wrong backward (factor 3): gradcheck must catch it.
TensorD wrong_double(const TensorD& x) {
  auto ix = x.impl_ptr();
  return make_result<double>("wrong_double", xt::xarray<double>(x.data() * 2.0), {&x},
                             [ix](const xt::xarray<double>& g, const xt::xarray<double>&) {
                               accumulate_grad(*ix, xt::xarray<double>(g * 3.0));
                             });
}

}  // namespace

TEST_CASE("gradcheck: accepts a correct gradient (full Jacobian)") {
  Generator gen(3);
  auto x = randn<double>({3, 2}, gen, 0.0, 1.0, true);
  auto r = gradcheck([](const auto& xs) { return exp(xs[0]) * xs[0]; }, {x});
  INFO(r.message);
  CHECK(r.ok);
  CHECK(r.comparisons == 36);  // 6 outputs x 6 inputs
}

TEST_CASE("gradcheck: rejects a wrong gradient and names the input and element") {
  auto x = from_vector<double>({1, 2, 3}, {3}, true);
  auto r = gradcheck([](const auto& xs) { return wrong_double(xs[0]); }, {x});
  CHECK_FALSE(r.ok);
  CHECK(r.message.find("input 0") != std::string::npos);
  CHECK(r.message.find("analytic 3") != std::string::npos);
  CHECK(r.message.find("numeric 2") != std::string::npos);
}

TEST_CASE("gradcheck: random projections for large inputs catch a wrong gradient") {
  Generator gen(4);
  auto x = randn<double>({40, 40}, gen, 0.0, 1.0, true);
  auto ok = gradcheck([](const auto& xs) { return xs[0] * xs[0]; }, {x});
  INFO(ok.message);
  CHECK(ok.ok);
  CHECK(ok.comparisons == 12);  // 6 projections x (direction + element)
  auto bad = gradcheck([](const auto& xs) { return wrong_double(xs[0]); }, {x});
  CHECK_FALSE(bad.ok);
  CHECK(bad.message.find("projection") != std::string::npos);
}

TEST_CASE("gradcheck: constant inputs are held fixed, caller tensors untouched") {
  auto x = from_vector<double>({1, 2}, {2}, true);
  auto c = from_vector<double>({5, 6}, {2});
  auto r = gradcheck([](const auto& xs) { return xs[0] * xs[1]; }, {x, c});
  CHECK(r.ok);
  CHECK(r.comparisons == 4);
  CHECK_FALSE(x.has_grad());
  CHECK(x.data() == xt::xarray<double>({1, 2}));
}

}  // namespace axon::test
