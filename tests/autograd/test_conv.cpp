// SPDX-License-Identifier: MIT
// Tests autograd/ops/conv.cpp: the op-case table (stride, padding, dilation and group
// combinations, 1-D and 2-D, batch 1 and more, non-square kernels, with and without bias), float
// vs double, values against a direct seven-loop convolution, values by hand, the parallel chunks
// (bitwise the same on 1 and 2 threads, and the same sums as one sample at a time), empty
// extents, and the error table.
#include <doctest/doctest.h>

#include <climits>
#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <oneapi/tbb/global_control.h>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

/// An undefined tensor of the inputs' type: "no bias".
template <class X>
auto none(const X&) {
  return std::decay_t<decltype(std::declval<X>()[0])>();
}

std::vector<OpCase> conv_cases() {
  // clang-format off
  return {
    {"conv1d", "bias", {{2, 3, 7}, {4, 3, 3}, {4}}, [](const auto& x) { return conv1d(x[0], x[1], x[2]); }},
    {"conv1d", "no bias, batch 1", {{1, 2, 6}, {3, 2, 2}}, [](const auto& x) { return conv1d(x[0], x[1], none(x)); }},
    {"conv1d", "stride 2, padding 1", {{2, 3, 8}, {2, 3, 3}, {2}}, [](const auto& x) { return conv1d(x[0], x[1], x[2], 2, 1); }},
    {"conv1d", "stride 3, last window short of the end", {{1, 2, 10}, {2, 2, 2}, {2}}, [](const auto& x) { return conv1d(x[0], x[1], x[2], 3); }},
    {"conv1d", "dilation 2, padding 2", {{2, 2, 7}, {3, 2, 3}, {3}}, [](const auto& x) { return conv1d(x[0], x[1], x[2], 1, 2, 2); }},
    {"conv1d", "groups 3", {{2, 6, 5}, {6, 2, 3}, {6}}, [](const auto& x) { return conv1d(x[0], x[1], x[2], 1, 1, 1, 3); }},
    {"conv1d", "depthwise x2 (groups = channels), stride 2, dilation 2", {{2, 3, 9}, {6, 1, 3}, {6}}, [](const auto& x) { return conv1d(x[0], x[1], x[2], 2, 1, 2, 3); }},
    {"conv1d", "kernel 1 (no unfolding)", {{2, 3, 5}, {4, 3, 1}, {4}}, [](const auto& x) { return conv1d(x[0], x[1], x[2]); }},
    {"conv1d", "kernel 1, stride 2, padding 1", {{1, 3, 5}, {2, 3, 1}}, [](const auto& x) { return conv1d(x[0], x[1], none(x), 2, 1); }},
    {"conv1d", "kernel spans the padded input (one output)", {{2, 2, 3}, {2, 2, 5}, {2}}, [](const auto& x) { return conv1d(x[0], x[1], x[2], 1, 1); }},
    {"conv1d", "padding wider than the kernel", {{1, 1, 3}, {2, 1, 2}, {2}}, [](const auto& x) { return conv1d(x[0], x[1], x[2], 1, 3); }},
    {"conv1d", "x used twice: conv(x) + x", {{2, 2, 5}, {2, 2, 3}}, [](const auto& x) { return conv1d(x[0], x[1], none(x), 1, 1) + x[0]; }},
    {"conv2d", "bias, 3x3", {{2, 3, 5, 5}, {4, 3, 3, 3}, {4}}, [](const auto& x) { return conv2d(x[0], x[1], x[2]); }},
    {"conv2d", "no bias, batch 1, non-square kernel 2x3", {{1, 2, 5, 6}, {3, 2, 2, 3}}, [](const auto& x) { return conv2d(x[0], x[1], none(x)); }},
    {"conv2d", "non-square input, padding 1 (same size)", {{2, 2, 4, 6}, {3, 2, 3, 3}, {3}}, [](const auto& x) { return conv2d(x[0], x[1], x[2], 1, 1); }},
    {"conv2d", "stride (2, 1), padding (1, 0)", {{2, 2, 6, 5}, {3, 2, 3, 2}, {3}}, [](const auto& x) { return conv2d(x[0], x[1], x[2], {2, 1}, {1, 0}); }},
    {"conv2d", "stride 2 both, padding 1", {{1, 3, 7, 7}, {2, 3, 3, 3}, {2}}, [](const auto& x) { return conv2d(x[0], x[1], x[2], 2, 1); }},
    {"conv2d", "stride (1, 3), last column window short", {{1, 2, 4, 8}, {2, 2, 2, 2}, {2}}, [](const auto& x) { return conv2d(x[0], x[1], x[2], {1, 3}); }},
    {"conv2d", "dilation (2, 1), padding (2, 1)", {{2, 2, 6, 5}, {2, 2, 3, 3}, {2}}, [](const auto& x) { return conv2d(x[0], x[1], x[2], 1, {2, 1}, {2, 1}); }},
    {"conv2d", "dilation 2 both, no padding", {{1, 2, 7, 7}, {3, 2, 3, 2}}, [](const auto& x) { return conv2d(x[0], x[1], none(x), 1, 0, 2); }},
    {"conv2d", "groups 2", {{2, 4, 5, 5}, {6, 2, 3, 3}, {6}}, [](const auto& x) { return conv2d(x[0], x[1], x[2], 1, 1, 1, 2); }},
    {"conv2d", "depthwise (groups = channels)", {{2, 3, 5, 4}, {3, 1, 3, 3}, {3}}, [](const auto& x) { return conv2d(x[0], x[1], x[2], 1, 1, 1, 3); }},
    {"conv2d", "groups 2, stride 2, padding 1, dilation 2, non-square", {{2, 4, 7, 6}, {4, 2, 2, 3}, {4}}, [](const auto& x) { return conv2d(x[0], x[1], x[2], 2, 1, 2, 2); }},
    {"conv2d", "1x1 kernel (no unfolding)", {{2, 3, 4, 4}, {5, 3, 1, 1}, {5}}, [](const auto& x) { return conv2d(x[0], x[1], x[2]); }},
    {"conv2d", "1x1 kernel, stride 2", {{2, 3, 5, 5}, {2, 3, 1, 1}}, [](const auto& x) { return conv2d(x[0], x[1], none(x), 2); }},
    {"conv2d", "1x1 kernel, groups 3", {{1, 6, 3, 3}, {3, 2, 1, 1}, {3}}, [](const auto& x) { return conv2d(x[0], x[1], x[2], 1, 0, 1, 3); }},
    {"conv2d", "kernel spans the padded input (1x1 output)", {{1, 2, 3, 2}, {2, 2, 5, 4}, {2}}, [](const auto& x) { return conv2d(x[0], x[1], x[2], 1, 1); }},
    {"conv2d", "two layers: conv(relu(conv(x)))", {{2, 2, 6, 6}, {3, 2, 3, 3}, {3}, {2, 3, 3, 3}}, [](const auto& x) { return conv2d(relu(conv2d(x[0], x[1], x[2], 1, 1)), x[3], none(x), 2); }},
  };
  // clang-format on
}

/// Direct convolution: seven nested loops, summed in double. x [N,C,H,W], w [O,C/g,KH,KW].
std::vector<double> reference_conv2d(const std::vector<double>& x, const Shape& sx,
                                     const std::vector<double>& w, const Shape& sw,
                                     const std::vector<double>& b, Size2 s, Size2 p, Size2 d,
                                     std::size_t groups, Shape& out_shape) {
  const long n = long(sx[0]), c = long(sx[1]), h = long(sx[2]), wd = long(sx[3]);
  const long o = long(sw[0]), cg = long(sw[1]), kh = long(sw[2]), kw = long(sw[3]);
  const long og = o / long(groups);
  const long oh = (h + 2 * p.h - d.h * (kh - 1) - 1) / s.h + 1;
  const long ow = (wd + 2 * p.w - d.w * (kw - 1) - 1) / s.w + 1;
  out_shape = {std::size_t(n), std::size_t(o), std::size_t(oh), std::size_t(ow)};
  std::vector<double> y(std::size_t(n * o * oh * ow), 0.0);
  for (long in = 0; in < n; ++in) {
    for (long oc = 0; oc < o; ++oc) {
      const long grp = oc / og;
      for (long yo = 0; yo < oh; ++yo) {
        for (long xo = 0; xo < ow; ++xo) {
          double acc = b.empty() ? 0.0 : b[std::size_t(oc)];
          for (long ci = 0; ci < cg; ++ci) {
            const long ch = grp * cg + ci;
            for (long i = 0; i < kh; ++i) {
              for (long j = 0; j < kw; ++j) {
                const long yi = yo * s.h - p.h + i * d.h, xi = xo * s.w - p.w + j * d.w;
                if (yi < 0 || yi >= h || xi < 0 || xi >= wd) continue;
                acc += x[std::size_t(((in * c + ch) * h + yi) * wd + xi)] *
                       w[std::size_t(((oc * cg + ci) * kh + i) * kw + j)];
              }
            }
          }
          y[std::size_t(((in * o + oc) * oh + yo) * ow + xo)] = acc;
        }
      }
    }
  }
  (void)c;
  return y;
}

template <class T>
std::vector<double> values(const BasicTensor<T>& t) {
  return std::vector<double>(t.data_ptr(), t.data_ptr() + t.numel());
}

struct RefRow {
  bool one_d;
  Shape x, w;
  bool bias;
  Size2 stride, padding, dilation;
  long groups;
};

/// conv1d/conv2d on random inputs against reference_conv2d (1-D as height 1).
template <class T>
void check_against_reference() {
  // clang-format off
  const std::vector<RefRow> rows = {
    {false, {3, 4, 9, 11}, {6, 4, 3, 3}, true, 1, 1, 1, 1},
    {false, {2, 6, 10, 7}, {4, 3, 3, 2}, true, {2, 1}, {1, 2}, {1, 2}, 2},
    {false, {2, 4, 8, 8}, {8, 1, 5, 5}, false, 2, 2, 1, 4},
    {false, {1, 3, 6, 6}, {5, 3, 1, 1}, true, 1, 0, 1, 1},
    {false, {1, 3, 6, 6}, {5, 3, 1, 1}, true, 3, 1, 1, 1},
    {false, {2, 2, 12, 9}, {3, 2, 3, 4}, true, {3, 2}, 0, {2, 1}, 1},
    {false, {1, 1, 28, 28}, {8, 1, 3, 3}, true, 1, 1, 1, 1},
    {true, {3, 4, 1, 20}, {6, 2, 1, 5}, true, {1, 3}, {0, 2}, {1, 2}, 2},
    {true, {2, 3, 1, 8}, {4, 3, 1, 1}, false, 1, 0, 1, 1},
  };
  // clang-format on
  Generator gen(5);
  for (const auto& r : rows) {
    CAPTURE(shape_str(r.x));
    CAPTURE(shape_str(r.w));
    CAPTURE(r.stride.str());
    const auto x = randn<T>(r.x, gen);
    const auto w = randn<T>(r.w, gen);
    const auto b = r.bias ? randn<T>({r.w[0]}, gen) : BasicTensor<T>();
    Shape want_shape;
    const auto want =
        reference_conv2d(values(x), r.x, values(w), r.w, r.bias ? values(b) : std::vector<double>{},
                         r.stride, r.padding, r.dilation, std::size_t(r.groups), want_shape);
    BasicTensor<T> y;
    if (r.one_d) {
      const auto x1 = reshape(x, {long(r.x[0]), long(r.x[1]), long(r.x[3])});
      const auto w1 = reshape(w, {long(r.w[0]), long(r.w[1]), long(r.w[3])});
      y = conv1d(x1, w1, b, r.stride.w, r.padding.w, r.dilation.w, r.groups);
      REQUIRE(y.shape() == Shape{want_shape[0], want_shape[1], want_shape[3]});
    } else {
      y = conv2d(x, w, b, r.stride, r.padding, r.dilation, r.groups);
      REQUIRE(y.shape() == want_shape);
    }
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-12;
    for (std::size_t i = 0; i < want.size(); ++i) {
      CHECK(std::abs(double(y.data_ptr()[i]) - want[i]) <= tol * (1 + std::abs(want[i])));
    }
  }
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

TEST_CASE("conv: gradients match finite differences (double)") {
  check_gradients(conv_cases());
}

TEST_CASE("conv: second derivatives match finite differences (double)") {
  check_second_gradients(conv_cases());
}

TEST_CASE("conv: third derivatives: the ops of the recorded backward differentiate again") {
  // f(x, w, b) = d sum(conv(x, w, b)^2) / d(x, w), recorded: a gradgradcheck of f differentiates
  // the recorded backwards of conv_input_grad and conv_weight_grad (third derivatives of conv).
  for (int wrt = 0; wrt < 2; ++wrt) {
    CAPTURE(wrt);
    const auto f = [wrt](const std::vector<TensorD>& in) {
      EnableGradGuard on;  // gradcheck's finite differences run with recording off
      TensorD y = conv2d(in[0], in[1], in[2], {2, 1}, 1, {1, 2}, 2);
      return grad(sum(y * y), in[static_cast<std::size_t>(wrt)], {},
                  GradOptions().create_graph(true));
    };
    Generator gen(11);
    std::vector<TensorD> in = {randn<double>({2, 4, 5, 6}, gen, 0, 1, true),
                               randn<double>({4, 2, 3, 2}, gen, 0, 1, true),
                               randn<double>({4}, gen, 0, 1, true)};
    auto r = gradgradcheck(f, in);
    INFO(r.message);
    CHECK(r.ok);
    CHECK(r.comparisons > 100);
  }
}

TEST_CASE("conv: float agrees with double") {
  check_float_matches_double(conv_cases());
}

TEST_CASE("conv: every declared op has a row") {
  check_every_op_has_a_row("ops/conv.hpp", conv_cases());
}

TEST_CASE("conv: values match a direct convolution (float and double)") {
  check_against_reference<float>();
  check_against_reference<double>();
}

TEST_CASE("conv: small values by hand") {
  // 1-D: x = [1 2 3 4], kernel [1 0 -1], padding 1: y_i = x_{i-1} - x_{i+1} (zeros outside).
  auto x = from_vector<double>({1, 2, 3, 4}, {1, 1, 4}, true);
  auto w = from_vector<double>({1, 0, -1}, {1, 1, 3}, true);
  auto b = from_vector<double>({10}, {1}, true);
  auto y = conv1d(x, w, b, 1, 1);
  CHECK(y.data() == xt::xarray<double>({{{8, 8, 8, 13}}}));
  y.backward(from_vector<double>({1, 2, 3, 4}, {1, 1, 4}));
  // db = sum g; dw_k = sum_i g_i x_{i+k-1}; dx_j = g_{j+1} - g_{j-1}.
  CHECK(b.grad().data() == xt::xarray<double>({10}));
  CHECK(w.grad().data() == xt::xarray<double>({{{0 + 2 + 6 + 12, 1 + 4 + 9 + 16, 2 + 6 + 12}}}));
  CHECK(x.grad().data() == xt::xarray<double>({{{2, 2, 2, -3}}}));

  // 2-D: a 2x2 box filter over a 3x3 ramp, stride 1: sums of each 2x2 window.
  auto img = from_vector<double>({0, 1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 3, 3});
  auto box = ones<double>({1, 1, 2, 2});
  CHECK(conv2d(img, box, TensorD()).data() == xt::xarray<double>({{{{8, 12}, {20, 24}}}}));
  // Stride 2 and padding 1 on the same: windows at (-1,-1), (-1,1), (1,-1), (1,1).
  CHECK(conv2d(img, box, TensorD(), 2, 1).data() == xt::xarray<double>({{{{0, 3}, {9, 24}}}}));
  // Dilation 2: the 2x2 kernel reads the four corners.
  const auto corners = conv2d(img, box, TensorD(), 1, 0, 2);
  CHECK(corners.shape() == Shape{1, 1, 1, 1});
  CHECK(corners.item() == 16);
}

TEST_CASE("conv: an input that needs no gradient gets none; the weight still does") {
  Generator gen(3);
  auto x = randn<float>({2, 1, 6, 6}, gen);  // like an image batch
  auto w = randn<float>({3, 1, 3, 3}, gen, 0.0f, 1.0f, true);
  auto b = zeros<float>({3}, true);
  sum(conv2d(x, w, b, 1, 1)).backward();
  CHECK_FALSE(x.has_grad());
  CHECK(w.has_grad());
  CHECK(b.grad().data() == xt::xarray<float>({72, 72, 72}));  // 2 samples x 36 positions
}

TEST_CASE("conv: large batches run in parallel chunks with thread-independent results") {
  // 590K FLOPs per sample: chunks of 4 samples, 12 chunks for 46 samples (the last one short).
  Generator gen(9);
  const auto x = randn<float>({46, 8, 16, 16}, gen, 0.0f, 1.0f, true);
  const auto w = randn<float>({16, 8, 3, 3}, gen, 0.0f, 0.2f, true);
  const auto b = randn<float>({16}, gen, 0.0f, 1.0f, true);
  const auto seed = randn<float>({46, 16, 16, 16}, gen);
  struct Out {
    xt::xarray<float> y, dx, dw, db;
  };
  auto run = [&](std::size_t threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    for (auto t : {x, w, b}) t.zero_grad();
    auto y = conv2d(x, w, b, 1, 1);
    y.backward(seed);
    return Out{y.data(), x.grad().data(), w.grad().data(), b.grad().data()};
  };
  const Out one = run(1), two = run(2);
  CHECK(one.y == two.y);
  CHECK(one.dx == two.dx);
  CHECK(one.dw == two.dw);
  CHECK(one.db == two.db);

  // The same gradients, up to rounding, as one sample at a time (a single chunk each).
  xt::xarray<double> dw_sum = xt::zeros<double>(w.shape());
  for (long s = 0; s < 46; ++s) {
    auto ws = w.detach().requires_grad_();
    auto xs = slice(x.detach(), 0, s, s + 1);
    conv2d(xs, ws, b.detach(), 1, 1).backward(slice(seed, 0, s, s + 1));
    for (std::size_t i = 0; i < dw_sum.size(); ++i) dw_sum.data()[i] += ws.grad().data_ptr()[i];
  }
  double worst = 0;
  for (std::size_t i = 0; i < dw_sum.size(); ++i) {
    worst = std::max(
        worst, std::abs(dw_sum.data()[i] - one.dw.data()[i]) / (1.0 + std::abs(dw_sum.data()[i])));
  }
  CHECK(worst < 1e-4);
}

TEST_CASE("conv: columns too large to keep are unfolded again in backward: same gradients") {
  // 16 samples x 288 rows x 4096 positions = 18.9M column entries: above the 16M kept from
  // forward, so backward recomputes them; each half of the batch (9.4M) is kept instead.
  Generator gen(21);
  const auto x = rand<float>({16, 32, 64, 64}, gen);
  const auto w = randn<float>({8, 32, 3, 3}, gen, 0.0f, 0.1f, true);
  const auto seed = randn<float>({16, 8, 64, 64}, gen);
  conv2d(x, w, Tensor(), 1, 1).backward(seed);
  const xt::xarray<float> whole = w.grad().data();
  xt::xarray<double> halves = xt::zeros<double>(w.shape());
  for (long half = 0; half < 2; ++half) {
    auto wh = w.detach().requires_grad_();
    conv2d(slice(x, 0, 8 * half, 8 * half + 8), wh, Tensor(), 1, 1)
        .backward(slice(seed, 0, 8 * half, 8 * half + 8));
    for (std::size_t i = 0; i < halves.size(); ++i) halves.data()[i] += wh.grad().data_ptr()[i];
  }
  double worst = 0;
  for (std::size_t i = 0; i < halves.size(); ++i) {
    worst = std::max(
        worst, std::abs(halves.data()[i] - whole.data()[i]) / (1.0 + std::abs(halves.data()[i])));
  }
  CHECK(worst < 1e-3);
}

TEST_CASE("conv: empty batch, no output channels and no input channels") {
  auto x = zeros<double>({0, 2, 5, 5}, true);
  auto w = ones<double>({3, 2, 3, 3}, true);
  auto b = ones<double>({3}, true);
  auto y = conv2d(x, w, b);
  CHECK(y.shape() == Shape{0, 3, 3, 3});
  y.backward(zeros<double>({0, 3, 3, 3}));
  CHECK(w.grad().data() == xt::zeros<double>({3, 2, 3, 3}));
  CHECK(b.grad().data() == xt::zeros<double>({3}));

  auto none_out = conv1d(ones<double>({2, 2, 5}), zeros<double>({0, 2, 3}), TensorD());
  CHECK(none_out.shape() == Shape{2, 0, 3});
  // No input channels: every output is the bias.
  auto bias_only = conv1d(ones<float>({2, 0, 4}), ones<float>({2, 0, 2}), full<float>({2}, 1.5f));
  CHECK(bias_only.data() == xt::xarray<float>({{{1.5f, 1.5f, 1.5f}, {1.5f, 1.5f, 1.5f}},
                                               {{1.5f, 1.5f, 1.5f}, {1.5f, 1.5f, 1.5f}}}));
}

TEST_CASE("conv: bad inputs give typed errors naming the op and the shapes") {
  const auto z = [](Shape s) { return zeros<double>(s); };
  const TensorD nb;
  // clang-format off
  require_error<ShapeError>([&] { conv2d(z({3, 5, 5}), z({2, 3, 3, 3}), nb); }, "conv2d: input [3,5,5], weight [2,3,3,3]: input must be 4-D [N, C, H, W]");
  require_error<ShapeError>([&] { conv1d(z({1, 3, 5, 5}), z({2, 3, 3}), nb); }, "conv1d: input [1,3,5,5], weight [2,3,3]: input must be 3-D [N, C, L]");
  require_error<ShapeError>([&] { conv2d(z({1, 3, 5, 5}), z({2, 3, 3}), nb); }, "weight must be 4-D [out_channels, in_channels/groups, kH, kW]");
  require_error<ShapeError>([&] { conv2d(z({1, 4, 5, 5}), z({2, 3, 3, 3}), nb); }, "conv2d: input [1,4,5,5], weight [2,3,3,3]: input has 4 channels, weight expects 3 (3 per group x 1 groups)");
  require_error<ShapeError>([&] { conv1d(z({1, 4, 5}), z({2, 4, 3}), nb, 1, 0, 1, 2); }, "input has 4 channels, weight expects 8 (4 per group x 2 groups)");
  require_error<ShapeError>([&] { conv2d(z({1, 3, 5, 5}), z({2, 1, 3, 3}), nb, 1, 0, 1, 2); }, "groups=2 does not divide the 3 input channels");
  require_error<ShapeError>([&] { conv2d(z({1, 4, 5, 5}), z({3, 2, 3, 3}), nb, 1, 0, 1, 2); }, "groups=2 does not divide the 3 output channels");
  require_error<ShapeError>([&] { conv2d(z({1, 3, 5, 5}), z({2, 3, 3, 3}), z({3})); }, "conv2d: weight [2,3,3,3], bias [3]: bias must be [2]");
  require_error<ShapeError>([&] { conv1d(z({1, 3, 5}), z({2, 3, 3}), z({1, 2})); }, "bias [1,2]: bias must be [2]");
  require_error<ShapeError>([&] { conv2d(z({1, 1, 4, 4}), z({1, 1, 5, 3}), nb); }, "kernel height 5 (dilated 5) does not fit the padded input height 4");
  require_error<ShapeError>([&] { conv2d(z({1, 1, 4, 4}), z({1, 1, 3, 3}), nb, 1, 0, {1, 2}); }, "kernel width 3 (dilated 5) does not fit the padded input width 4");
  require_error<ShapeError>([&] { conv1d(z({1, 1, 3}), z({1, 1, 6}), nb, 1, 1); }, "kernel length 6 (dilated 6) does not fit the padded input length 5");
  require_error<ShapeError>([&] { conv1d(z({1, 1, 0}), z({1, 1, 1}), nb); }, "does not fit the padded input length 0");
  require_error<ShapeError>([&] { conv1d(z({1, 1, 3}), z({1, 1, 0}), nb); }, "kernel length 0");
  require_error<ValueError>([&] { conv2d(z({1, 1, 4, 4}), z({1, 1, 3, 3}), nb, 0); }, "conv2d: stride must be >= 1, got 0");
  require_error<ValueError>([&] { conv2d(z({1, 1, 4, 4}), z({1, 1, 3, 3}), nb, {1, 0}); }, "conv2d: stride must be >= 1, got (1, 0)");
  require_error<ValueError>([&] { conv1d(z({1, 1, 4}), z({1, 1, 3}), nb, 1, -1); }, "conv1d: padding must be >= 0, got -1");
  require_error<ValueError>([&] { conv2d(z({1, 1, 4, 4}), z({1, 1, 3, 3}), nb, 1, 0, 0); }, "conv2d: dilation must be >= 1, got 0");
  require_error<ValueError>([&] { conv1d(z({1, 1, 4}), z({1, 1, 3}), nb, 1, 0, 1, 0); }, "conv1d: groups must be >= 1, got 0");
  // clang-format on
  CHECK_THROWS_AS(conv2d(TensorD(), z({1, 1, 3, 3}), nb), ValueError);
}

TEST_CASE("conv: a huge dilation, padding or stride does not wrap the window around") {
  const auto z = [](Shape s) { return zeros<double>(s); };
  const TensorD nb;
  // dilation 2^62 * (5 - 1) + 1 wrapped to 1, which "fit" and read outside the input (crash).
  // clang-format off
  require_error<ShapeError>([&] { conv1d(z({1, 1, 6}), z({1, 1, 5}), nb, 1, 0, 1L << 62); }, "conv1d: input [1,1,6], weight [1,1,5]: kernel length 5 (dilated beyond 2^64) does not fit the padded input length 6");
  require_error<ShapeError>([&] { conv2d(z({1, 1, 4, 6}), z({1, 1, 1, 3}), nb, 1, 0, {1, 1L << 62}); }, "kernel width 3 (dilated 9223372036854775809) does not fit the padded input width 6");
  // 6 + 2 * LONG_MAX wrapped to 4 (a silent all-zero [1,1,4] result), or crashed.
  require_error<ValueError>([&] { conv1d(z({1, 1, 6}), z({1, 1, 1}), nb, 1, LONG_MAX); }, "conv1d: input [1,1,6], weight [1,1,1]: padding 9223372036854775807 is too large");
  require_error<ValueError>([&] { conv2d(z({1, 1, 6, 6}), z({1, 1, 1, 1}), nb, 2, {0, LONG_MAX}); }, "padding 9223372036854775807 is too large");
  // clang-format on
  // A stride near LONG_MAX is fine: one output per axis, from the window at the start.
  auto x = from_vector<double>({1, 2, 3, 4, 5, 6}, {1, 1, 6});
  auto y = conv1d(x, ones<double>({1, 1, 2}), nb, LONG_MAX, 1);
  CHECK(y.shape() == Shape{1, 1, 1});
  CHECK(y.data()(0, 0, 0) == 1.0);  // the padding, then x[0]
}

}  // namespace axon::test
