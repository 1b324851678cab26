// SPDX-License-Identifier: MIT
// Tests autograd/ops/pooling.cpp: the op-case table (kernel, stride, padding combinations, 1-D and
// 2-D, batch 1 and more, non-square windows, count_include_pad on and off, adaptive bins that
// overlap), float vs double, values by hand, ties and NaN in max pooling, the parallel planes
// (bitwise the same on 1 and 2 threads), and the error table.
#include <doctest/doctest.h>

#include <climits>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <oneapi/tbb/global_control.h>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

std::vector<OpCase> pooling_cases() {
  // clang-format off
  return {
    OpCase{"max_pool1d", "kernel 2 (stride = kernel)", {{2, 3, 8}}, [](const auto& x) { return max_pool1d(x[0], 2); }}.with_distinct(),
    OpCase{"max_pool1d", "kernel 3, stride 2, padding 1, batch 1", {{1, 2, 7}}, [](const auto& x) { return max_pool1d(x[0], 3, 2, 1); }}.with_distinct(),
    OpCase{"max_pool1d", "kernel 3, stride 1 (overlapping windows)", {{2, 2, 6}}, [](const auto& x) { return max_pool1d(x[0], 3, 1); }}.with_distinct(),
    OpCase{"max_pool1d", "input length not a multiple of the stride", {{1, 2, 9}}, [](const auto& x) { return max_pool1d(x[0], 2); }}.with_distinct(),
    OpCase{"max_pool2d", "2x2", {{2, 3, 4, 6}}, [](const auto& x) { return max_pool2d(x[0], 2); }}.with_distinct(),
    OpCase{"max_pool2d", "3x3, stride 2, padding 1", {{1, 2, 7, 7}}, [](const auto& x) { return max_pool2d(x[0], 3, 2, 1); }}.with_distinct(),
    OpCase{"max_pool2d", "non-square kernel (2, 3), stride (1, 2), padding (1, 1)", {{2, 2, 5, 6}}, [](const auto& x) { return max_pool2d(x[0], {2, 3}, Size2{1, 2}, {1, 1}); }}.with_distinct(),
    OpCase{"max_pool2d", "stride 1 (overlapping windows), odd sizes", {{1, 3, 5, 5}}, [](const auto& x) { return max_pool2d(x[0], 2, 1); }}.with_distinct(),
    OpCase{"max_pool2d", "after a product: x * max_pool(x) broadcast", {{1, 1, 4, 4}}, [](const auto& x) { return mul(x[0], mean(max_pool2d(x[0], 2))); }}.with_distinct(),
    {"avg_pool1d", "kernel 2", {{2, 3, 8}}, [](const auto& x) { return avg_pool1d(x[0], 2); }},
    {"avg_pool1d", "kernel 3, stride 2, padding 1 (padding counted)", {{1, 2, 7}}, [](const auto& x) { return avg_pool1d(x[0], 3, 2, 1); }},
    {"avg_pool1d", "kernel 3, stride 2, padding 1, count_include_pad false", {{2, 2, 6}}, [](const auto& x) { return avg_pool1d(x[0], 3, 2, 1, false); }},
    {"avg_pool2d", "2x2", {{2, 3, 4, 6}}, [](const auto& x) { return avg_pool2d(x[0], 2); }},
    {"avg_pool2d", "3x3, stride 2, padding 1, batch 1", {{1, 2, 7, 6}}, [](const auto& x) { return avg_pool2d(x[0], 3, 2, 1); }},
    {"avg_pool2d", "non-square (3, 2), stride (2, 1), padding (1, 0), count_include_pad false", {{2, 2, 6, 5}}, [](const auto& x) { return avg_pool2d(x[0], {3, 2}, Size2{2, 1}, {1, 0}, false); }},
    {"avg_pool2d", "stride 1 (overlapping windows)", {{1, 2, 4, 4}}, [](const auto& x) { return avg_pool2d(x[0], 3, 1); }},
    {"adaptive_avg_pool1d", "7 -> 3 (overlapping bins)", {{2, 3, 7}}, [](const auto& x) { return adaptive_avg_pool1d(x[0], 3); }},
    {"adaptive_avg_pool1d", "5 -> 8 (more bins than inputs)", {{1, 2, 5}}, [](const auto& x) { return adaptive_avg_pool1d(x[0], 8); }},
    {"adaptive_avg_pool1d", "6 -> 1", {{2, 2, 6}}, [](const auto& x) { return adaptive_avg_pool1d(x[0], 1); }},
    {"adaptive_avg_pool2d", "7x5 -> 3x2", {{2, 3, 7, 5}}, [](const auto& x) { return adaptive_avg_pool2d(x[0], {3, 2}); }},
    {"adaptive_avg_pool2d", "4x4 -> 2x2 (exact bins), batch 1", {{1, 2, 4, 4}}, [](const auto& x) { return adaptive_avg_pool2d(x[0], 2); }},
    {"adaptive_avg_pool2d", "3x2 -> 4x5", {{1, 1, 3, 2}}, [](const auto& x) { return adaptive_avg_pool2d(x[0], {4, 5}); }},
    {"global_avg_pool2d", "[2,3,4,5] -> [2,3]", {{2, 3, 4, 5}}, [](const auto& x) { return global_avg_pool2d(x[0]); }},
    {"global_avg_pool2d", "1x1 planes", {{3, 2, 1, 1}}, [](const auto& x) { return global_avg_pool2d(x[0]); }},
  };
  // clang-format on
}

template <class T>
void require_error(const std::function<void()>& call, const std::string& part) {
  try {
    call();
    FAIL("no exception");
  } catch (const T& e) {
    CHECK_MESSAGE(std::string(e.what()).find(part) != std::string::npos, e.what());
  }
}

}  // namespace

TEST_CASE("pooling: gradients match finite differences (double)") {
  check_gradients(pooling_cases());
}

TEST_CASE("pooling: second derivatives match finite differences (double)") {
  check_second_gradients(pooling_cases());
}

TEST_CASE("pooling: third derivatives: the scatter and gather of the recorded backward") {
  // f(x) = d sum(pool(x)^3) / dx, recorded (a scatter of 3 pool(x)^2 at the arg maxes or over
  // the windows): a gradgradcheck of f differentiates that scatter and its gather once more.
  const std::vector<std::function<TensorD(const TensorD&)>> pools = {
      [](const TensorD& x) { return max_pool2d(x, 3, 2, 1); },
      [](const TensorD& x) {
        return avg_pool2d(x, {3, 2}, Size2{2, 1}, {1, 0}, false);
      },
      [](const TensorD& x) { return adaptive_avg_pool1d(x, 3); }};
  const std::vector<Shape> shapes = {{1, 2, 5, 5}, {1, 2, 5, 4}, {2, 2, 7}};
  for (std::size_t k = 0; k < pools.size(); ++k) {
    CAPTURE(k);
    const auto f = [&, k](const std::vector<TensorD>& in) {
      EnableGradGuard on;  // gradcheck's finite differences run with recording off
      TensorD y = pools[k](in[0]);
      return grad(sum(y * y * y), in[0], {}, GradOptions().create_graph(true));
    };
    // Well-separated values (no near-ties between a window's elements): a permutation of a grid.
    const std::size_t n = shape_numel(shapes[k]);
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = -1.0 + 2.0 * double((i * 11) % n) / double(n);
    TensorD x = from_vector<double>(v, shapes[k], true);
    auto r = gradgradcheck(f, {x});
    INFO(r.message);
    CHECK(r.ok);
    CHECK(r.comparisons > 10);
  }
}

TEST_CASE("pooling: float agrees with double") {
  check_float_matches_double(pooling_cases());
}

TEST_CASE("pooling: every declared op has a row") {
  check_every_op_has_a_row("ops/pooling.hpp", pooling_cases());
}

TEST_CASE("pooling: max and average values by hand") {
  // A 4x4 ramp 0..15.
  auto x = arange<double>(0, 16).data();
  auto img = from_vector<double>(std::vector<double>(x.begin(), x.end()), {1, 1, 4, 4});
  CHECK(max_pool2d(img, 2).data() == xt::xarray<double>({{{{5, 7}, {13, 15}}}}));
  CHECK(avg_pool2d(img, 2).data() == xt::xarray<double>({{{{2.5, 4.5}, {10.5, 12.5}}}}));
  // 3x3 windows, stride 2, padding 1: windows start at -1 and 1 on each axis.
  CHECK(max_pool2d(img, 3, 2, 1).data() == xt::xarray<double>({{{{5, 7}, {13, 15}}}}));
  // count_include_pad: the corner window covers 4 real elements {0,1,4,5} out of 9.
  auto avg = avg_pool2d(img, 3, 2, 1);
  CHECK(avg.data()(0, 0, 0, 0) == doctest::Approx(10.0 / 9));
  CHECK(avg.data()(0, 0, 1, 1) == doctest::Approx((5 + 6 + 7 + 9 + 10 + 11 + 13 + 14 + 15) / 9.0));
  auto avg_real = avg_pool2d(img, 3, 2, 1, false);
  CHECK(avg_real.data()(0, 0, 0, 0) == doctest::Approx(10.0 / 4));
  // Rows of 1-D: [0 1 2 3 4] with kernel 2, stride 2: the last element is dropped.
  auto row = from_vector<double>({0, 1, 2, 3, 4}, {1, 1, 5});
  CHECK(max_pool1d(row, 2).data() == xt::xarray<double>({{{1, 3}}}));
  CHECK(avg_pool1d(row, 2).data() == xt::xarray<double>({{{0.5, 2.5}}}));
  CHECK(avg_pool1d(row, 2, 1).data() == xt::xarray<double>({{{0.5, 1.5, 2.5, 3.5}}}));
}

TEST_CASE("pooling: adaptive bins are PyTorch's [floor(i L/n), ceil((i+1) L/n))") {
  // L = 5, 3 bins: [0,2), [1,4), [3,5).
  auto row = from_vector<double>({1, 2, 3, 4, 5}, {1, 1, 5}, true);
  auto y = adaptive_avg_pool1d(row, 3);
  CHECK(y.data() == xt::xarray<double>({{{1.5, 3, 4.5}}}));
  y.backward(ones<double>({1, 1, 3}));
  // Element 1 is in bins 0 and 1 (1/2 + 1/3); element 3 in bins 1 and 2.
  const xt::xarray<double> want = {{{0.5, 0.5 + 1.0 / 3, 1.0 / 3, 1.0 / 3 + 0.5, 0.5}}};
  CHECK(xt::allclose(row.grad().data(), want));
  // Global pooling is the plane mean, shape [N, C].
  auto img = from_vector<double>({1, 2, 3, 4, 10, 20, 30, 40}, {1, 2, 2, 2});
  CHECK(global_avg_pool2d(img).data() == xt::xarray<double>({{2.5, 25}}));
  const auto one = adaptive_avg_pool2d(img, 1);
  CHECK(one.shape() == Shape{1, 2, 1, 1});
  CHECK(one.data_ptr()[0] == 2.5);
  CHECK(one.data_ptr()[1] == 25);
}

TEST_CASE("pooling: max sends the gradient to the first maximum; NaN wins") {
  auto x = from_vector<double>({3, 3, 1, 3}, {1, 1, 2, 2}, true);
  auto y = max_pool2d(x, 2);
  CHECK(y.item() == 3);
  y.backward(from_vector<double>({2}, {1, 1, 1, 1}));
  CHECK(x.grad().data() == xt::xarray<double>({{{{2, 0}, {0, 0}}}}));

  // Overlapping windows: an element that is the maximum of two windows gets both gradients.
  auto r = from_vector<double>({0, 5, 1, 0}, {1, 1, 4}, true);
  max_pool1d(r, 2, 1).backward(ones<double>({1, 1, 3}));
  CHECK(r.grad().data() == xt::xarray<double>({{{0, 2, 1, 0}}}));

  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto n = from_vector<double>({1, nan, 7, nan}, {1, 1, 4}, true);
  auto m = max_pool1d(n, 4);
  CHECK(std::isnan(m.item()));
  m.backward(ones<double>({1, 1, 1}));
  CHECK(n.grad().data() == xt::xarray<double>({{{0, 1, 0, 0}}}));

  // Padding never wins, even over negative inputs.
  auto neg = from_vector<double>({-5, -3, -4}, {1, 1, 3});
  CHECK(max_pool1d(neg, 3, 1, 1).data() == xt::xarray<double>({{{-3, -3, -3}}}));
}

/// max_pool2d(x, 2) (the 2x2 stride-2 fast path, vectorised for float) against a direct loop:
/// values and the gradient's routing, with ties (values on a grid of 4), NaN and odd extents.
template <class T>
void check_2x2_fast_path(std::size_t h, std::size_t w, std::uint64_t seed_value) {
  CAPTURE(h);
  CAPTURE(w);
  Generator gen(seed_value);
  const std::size_t planes = 6, oh = h / 2, ow = w / 2;
  std::vector<T> v(planes * h * w);
  for (auto& e : v) e = T(gen.below(4));
  for (int k = 0; k < 4; ++k) v[gen.below(v.size())] = std::numeric_limits<T>::quiet_NaN();
  auto x = from_vector<T>(v, {2, 3, h, w}, true);
  auto y = max_pool2d(x, 2);
  REQUIRE(y.shape() == Shape{2, 3, oh, ow});
  std::vector<T> want(y.numel()), grad(v.size(), T(0));
  for (std::size_t pl = 0; pl < planes; ++pl) {
    for (std::size_t r = 0; r < oh; ++r) {
      for (std::size_t c = 0; c < ow; ++c) {
        const std::size_t first = pl * h * w + 2 * r * w + 2 * c;
        std::size_t at = first;
        for (std::size_t k : {first + 1, first + w, first + w + 1}) {
          if (v[k] > v[at] || (std::isnan(v[k]) && !std::isnan(v[at]))) at = k;
        }
        const std::size_t o = (pl * oh + r) * ow + c;
        want[o] = v[at];
        grad[at] += T(o + 1);
      }
    }
  }
  for (std::size_t o = 0; o < want.size(); ++o) {
    const T got = y.data_ptr()[o];
    CHECK(((std::isnan(want[o]) && std::isnan(got)) || got == want[o]));
  }
  std::vector<T> seed(want.size());
  for (std::size_t o = 0; o < seed.size(); ++o) seed[o] = T(o + 1);
  y.backward(from_vector<T>(seed, y.shape()));
  const auto dx = x.grad();
  CHECK(std::vector<T>(dx.data_ptr(), dx.data_ptr() + dx.numel()) == grad);
}

TEST_CASE("pooling: the 2x2 stride-2 fast path matches a direct loop (ties, NaN, odd sizes)") {
  for (auto [h, w] : {std::pair<std::size_t, std::size_t>{7, 9}, {6, 21}, {28, 28}, {3, 2}}) {
    check_2x2_fast_path<float>(h, w, 6 + h);
    check_2x2_fast_path<double>(h, w, 6 + h);
  }
}

TEST_CASE("pooling: values without recording match values with recording") {
  Generator gen(2);
  auto x = randn<float>({2, 3, 9, 8}, gen, 0.0f, 1.0f, true);
  const auto recorded = max_pool2d(x, 3, 2, 1).data();
  NoGradGuard guard;
  CHECK(max_pool2d(x, 3, 2, 1).data() == recorded);
}

TEST_CASE("pooling: many planes run in parallel chunks with thread-independent results") {
  Generator gen(4);
  auto x = randn<float>({64, 16, 28, 28}, gen, 0.0f, 1.0f, true);
  const auto seed = randn<float>({64, 16, 14, 14}, gen);
  auto run = [&](std::size_t threads, bool max) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    x.zero_grad();
    auto y = max ? max_pool2d(x, 2) : avg_pool2d(x, 3, 2, 1);
    y.backward(seed);
    return std::make_pair(y.data(), x.grad().data());
  };
  for (bool max : {true, false}) {
    CAPTURE(max);
    const auto one = run(1, max), two = run(2, max);
    CHECK(one.first == two.first);
    CHECK(one.second == two.second);
  }
}

TEST_CASE("pooling: bad inputs give typed errors naming the op and the shape") {
  const auto z = [](Shape s) { return zeros<double>(s); };
  // clang-format off
  require_error<ShapeError>([&] { max_pool2d(z({3, 4, 4}), 2); }, "max_pool2d: input [3,4,4]: input must be 4-D [N, C, H, W]");
  require_error<ShapeError>([&] { avg_pool1d(z({3, 4}), 2); }, "avg_pool1d: input [3,4]: input must be 3-D [N, C, L]");
  require_error<ShapeError>([&] { adaptive_avg_pool2d(z({1, 4, 4}), 2); }, "adaptive_avg_pool2d: input [1,4,4]: input must be 4-D");
  require_error<ShapeError>([&] { global_avg_pool2d(z({2, 3})); }, "global_avg_pool2d: input [2,3]: input must be 4-D");
  require_error<ShapeError>([&] { max_pool2d(z({1, 1, 2, 5}), 3); }, "max_pool2d: input [1,1,2,5]: kernel height 3 does not fit the padded input height 2");
  require_error<ShapeError>([&] { avg_pool2d(z({1, 1, 5, 2}), {2, 3}); }, "kernel width 3 does not fit the padded input width 2");
  require_error<ShapeError>([&] { max_pool1d(z({1, 1, 2}), 3); }, "kernel length 3 does not fit the padded input length 2");
  require_error<ShapeError>([&] { max_pool1d(z({1, 1, 0}), 2, 2, 1); }, "the spatial extents must be non-zero");
  require_error<ShapeError>([&] { adaptive_avg_pool1d(z({1, 1, 0}), 2); }, "adaptive_avg_pool1d: input [1,1,0]: the spatial extents must be non-zero");
  require_error<ShapeError>([&] { global_avg_pool2d(z({1, 1, 3, 0})); }, "the spatial extents must be non-zero");
  require_error<ValueError>([&] { max_pool2d(z({1, 1, 4, 4}), 0); }, "max_pool2d: kernel size must be >= 1, got 0");
  require_error<ValueError>([&] { max_pool2d(z({1, 1, 4, 4}), 2, Size2{0, 1}); }, "max_pool2d: stride must be >= 1, got (0, 1)");
  require_error<ValueError>([&] { max_pool1d(z({1, 1, 4}), 2, 0); }, "max_pool1d: stride must be >= 1, got 0");
  require_error<ValueError>([&] { avg_pool2d(z({1, 1, 4, 4}), 2, std::nullopt, -1); }, "avg_pool2d: padding must be >= 0, got -1");
  require_error<ValueError>([&] { avg_pool1d(z({1, 1, 4}), 3, 1, 2); }, "avg_pool1d: padding 2 must be at most half the kernel size 3");
  require_error<ValueError>([&] { max_pool2d(z({1, 1, 4, 4}), 2, 1, 2); }, "padding 2 must be at most half the kernel size 2");
  require_error<ValueError>([&] { adaptive_avg_pool2d(z({1, 1, 4, 4}), {2, 0}); }, "adaptive_avg_pool2d: output size must be >= 1, got (2, 0)");
  require_error<ValueError>([&] { adaptive_avg_pool1d(z({1, 1, 4}), -1); }, "adaptive_avg_pool1d: output size must be >= 1, got -1");
  // clang-format on
}

TEST_CASE("pooling: a huge padding or output size is a typed error, not an overflow") {
  const auto z = [](Shape s) { return zeros<double>(s); };
  // 2 * LONG_MAX overflowed in the padding check (undefined behaviour).
  // clang-format off
  require_error<ValueError>([&] { max_pool1d(z({1, 1, 6}), LONG_MAX, 1, LONG_MAX); }, "max_pool1d: padding 9223372036854775807 must be at most half the kernel size 9223372036854775807");
  require_error<ValueError>([&] { avg_pool2d(z({1, 1, 4, 4}), {3, LONG_MAX}, 1, {1, LONG_MAX / 2 + 1}); }, "avg_pool2d: padding (1, 4611686018427387904) must be at most half the kernel size (3, 9223372036854775807)");
  // A std::length_error from the bins' vector before.
  require_error<ValueError>([&] { adaptive_avg_pool1d(z({1, 1, 6}), LONG_MAX); }, "adaptive_avg_pool1d: shape [1,1,9223372036854775807] has too many elements to allocate");
  require_error<ValueError>([&] { adaptive_avg_pool2d(z({2, 1, 6, 6}), {1L << 31, 1L << 31}); }, "adaptive_avg_pool2d: shape [2,1,2147483648,2147483648] has too many elements");
  // clang-format on
  // padding k / 2 for an odd kernel still passes, as in PyTorch.
  CHECK(max_pool1d(z({1, 1, 4}), 3, 1, 1).shape() == Shape{1, 1, 4});
}

}  // namespace axon::test
