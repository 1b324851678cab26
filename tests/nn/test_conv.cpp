// SPDX-License-Identifier: MIT
// Tests nn/conv.cpp: parameters, shapes and names (state dicts as PyTorch's), reprs, the default
// init bounds, option and input errors, gradcheck of whole layers in double; and, against PyTorch
// (tests/nn/golden_conv.hpp from scripts/golden_conv.py), the conv and pooling ops and the CNN of
// examples/fashion_mnist_cnn.cpp built from these layers.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/conv.hpp"
#include "axon/nn/flatten.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/nn/pooling.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/nn/unflatten.hpp"
#include "tests/nn/golden_conv.hpp"

namespace axon::test {

using namespace axon::autograd;
using nn::Conv1dOptions;
using nn::Conv2dOptions;

namespace {

/// |got - want| <= tol (1 + |want|) for every element.
template <class T>
void check_close(const BasicTensor<T>& got, const double* want, double tol) {
  double worst = 0;
  for (std::size_t i = 0; i < got.numel(); ++i) {
    const double w = want[i];
    worst = std::max(worst, std::abs(double(got.data_ptr()[i]) - w) / (1 + std::abs(w)));
  }
  CHECK(worst <= tol);
}

template <class T>
BasicTensor<T> tensor_of(const double* values, const Shape& shape, bool requires_grad = false) {
  std::vector<T> v(values, values + shape_numel(shape));
  return from_vector<T>(v, shape, requires_grad);
}

/// One PyTorch op case: inputs, the function, its value and the gradients of sum(value * seed).
struct GoldenOp {
  const char* name;
  std::vector<std::pair<const double*, Shape>> inputs;
  std::function<TensorD(const std::vector<TensorD>&)> fd;
  std::function<Tensor(const std::vector<Tensor>&)> ff;
  const double* out;
  const double* seed;
  std::vector<const double*> grads;
};

#define AXON_BOTH(body) [](const auto& x) { return body; }, [](const auto& x) { return body; }

std::vector<GoldenOp> golden_ops() {
  namespace g = golden_conv;
  // clang-format off
  return {
    {"conv2d stride (2,1) padding (1,0) dilation (1,2)", {{g::conv2d_a_in0, {2, 3, 7, 6}}, {g::conv2d_a_in1, {4, 3, 3, 2}}, {g::conv2d_a_in2, {4}}}, AXON_BOTH(conv2d(x[0], x[1], x[2], {2, 1}, {1, 0}, {1, 2})), g::conv2d_a_out, g::conv2d_a_seed, {g::conv2d_a_grad0, g::conv2d_a_grad1, g::conv2d_a_grad2}},
    {"conv2d groups 2 padding 2 dilation 2", {{g::conv2d_b_in0, {1, 4, 6, 5}}, {g::conv2d_b_in1, {6, 2, 3, 3}}, {g::conv2d_b_in2, {6}}}, AXON_BOTH(conv2d(x[0], x[1], x[2], 1, 2, 2, 2)), g::conv2d_b_out, g::conv2d_b_seed, {g::conv2d_b_grad0, g::conv2d_b_grad1, g::conv2d_b_grad2}},
    {"conv2d 1x1 stride 2 padding 1 no bias", {{g::conv2d_c_in0, {2, 2, 5, 5}}, {g::conv2d_c_in1, {3, 2, 1, 1}}}, AXON_BOTH(conv2d(x[0], x[1], std::decay_t<decltype(x[0])>(), 2, 1)), g::conv2d_c_out, g::conv2d_c_seed, {g::conv2d_c_grad0, g::conv2d_c_grad1}},
    {"conv1d stride 2 padding 1 dilation 2 groups 2", {{g::conv1d_a_in0, {2, 4, 10}}, {g::conv1d_a_in1, {6, 2, 3}}, {g::conv1d_a_in2, {6}}}, AXON_BOTH(conv1d(x[0], x[1], x[2], 2, 1, 2, 2)), g::conv1d_a_out, g::conv1d_a_seed, {g::conv1d_a_grad0, g::conv1d_a_grad1, g::conv1d_a_grad2}},
    {"conv1d no bias", {{g::conv1d_b_in0, {1, 3, 8}}, {g::conv1d_b_in1, {2, 3, 4}}}, AXON_BOTH(conv1d(x[0], x[1], std::decay_t<decltype(x[0])>())), g::conv1d_b_out, g::conv1d_b_seed, {g::conv1d_b_grad0, g::conv1d_b_grad1}},
    {"max_pool2d 3 stride 2 padding 1", {{g::max_pool2d_in0, {2, 3, 7, 6}}}, AXON_BOTH(max_pool2d(x[0], 3, 2, 1)), g::max_pool2d_out, g::max_pool2d_seed, {g::max_pool2d_grad0}},
    {"max_pool2d (2,3) stride (1,2)", {{g::max_pool2d_b_in0, {1, 2, 5, 7}}}, AXON_BOTH(max_pool2d(x[0], {2, 3}, Size2{1, 2})), g::max_pool2d_b_out, g::max_pool2d_b_seed, {g::max_pool2d_b_grad0}},
    {"avg_pool2d 3 stride 2 padding 1", {{g::avg_pool2d_in0, {2, 3, 7, 6}}}, AXON_BOTH(avg_pool2d(x[0], 3, 2, 1)), g::avg_pool2d_out, g::avg_pool2d_seed, {g::avg_pool2d_grad0}},
    {"avg_pool2d count_include_pad false", {{g::avg_pool2d_nopad_in0, {2, 3, 7, 6}}}, AXON_BOTH(avg_pool2d(x[0], 3, 2, 1, false)), g::avg_pool2d_nopad_out, g::avg_pool2d_nopad_seed, {g::avg_pool2d_nopad_grad0}},
    {"adaptive_avg_pool2d (3,4)", {{g::adaptive_avg_pool2d_in0, {2, 3, 7, 6}}}, AXON_BOTH(adaptive_avg_pool2d(x[0], {3, 4})), g::adaptive_avg_pool2d_out, g::adaptive_avg_pool2d_seed, {g::adaptive_avg_pool2d_grad0}},
    {"max_pool1d 3 stride 2 padding 1", {{g::max_pool1d_in0, {2, 3, 9}}}, AXON_BOTH(max_pool1d(x[0], 3, 2, 1)), g::max_pool1d_out, g::max_pool1d_seed, {g::max_pool1d_grad0}},
    {"avg_pool1d 4 stride 3 padding 2", {{g::avg_pool1d_in0, {2, 3, 9}}}, AXON_BOTH(avg_pool1d(x[0], 4, 3, 2)), g::avg_pool1d_out, g::avg_pool1d_seed, {g::avg_pool1d_grad0}},
    {"adaptive_avg_pool1d 4", {{g::adaptive_avg_pool1d_in0, {2, 3, 9}}}, AXON_BOTH(adaptive_avg_pool1d(x[0], 4)), g::adaptive_avg_pool1d_out, g::adaptive_avg_pool1d_seed, {g::adaptive_avg_pool1d_grad0}},
  };
  // clang-format on
}

#undef AXON_BOTH

/// The CNN of examples/fashion_mnist_cnn.cpp: [B,28,28] images -> [B,10] logits.
template <class T>
std::shared_ptr<nn::BasicSequential<T>> example_cnn(Generator& gen) {
  using Ptr = std::shared_ptr<nn::BasicModule<T>>;
  return std::make_shared<nn::BasicSequential<T>>(std::vector<Ptr>{
      std::make_shared<nn::BasicUnflatten<T>>(1, std::vector<long>{1, 28}),
      std::make_shared<nn::BasicConv2d<T>>(Conv2dOptions(1, 8, 3).padding(1), gen),
      std::make_shared<nn::BasicReLU<T>>(),
      std::make_shared<nn::BasicMaxPool2d<T>>(nn::Pool2dOptions(2)),
      std::make_shared<nn::BasicConv2d<T>>(Conv2dOptions(8, 16, 3).padding(1), gen),
      std::make_shared<nn::BasicReLU<T>>(),
      std::make_shared<nn::BasicMaxPool2d<T>>(nn::Pool2dOptions(2)),
      std::make_shared<nn::BasicFlatten<T>>(),
      std::make_shared<nn::BasicLinear<T>>(nn::LinearOptions(784, 10), gen)});
}

}  // namespace

TEST_CASE("nn: conv layers' parameters, names, shapes and reprs") {
  Generator gen(0);
  nn::Conv2d conv(Conv2dOptions(3, 8, 3).padding(1), gen);
  CHECK(conv.weight().shape() == Shape{8, 3, 3, 3});
  CHECK(conv.bias().shape() == Shape{8});
  const auto state = conv.state_dict();
  REQUIRE(state.size() == 2);
  CHECK(state[0].first == "weight");
  CHECK(state[1].first == "bias");
  CHECK(conv.num_parameters() == 8 * 27 + 8);
  CHECK(conv.repr() ==
        "Conv2d(in_channels=3, out_channels=8, kernel_size=3, stride=1, padding=1)  # 224 "
        "parameters");
  CHECK(conv(zeros<float>({2, 3, 10, 9})).shape() == Shape{2, 8, 10, 9});

  nn::Conv2d grouped(Conv2dOptions(4, 6, {3, 2}).stride({2, 1}).dilation(2).groups(2).bias(false),
                     gen);
  CHECK(grouped.weight().shape() == Shape{6, 2, 3, 2});
  CHECK_FALSE(grouped.bias().defined());
  CHECK(grouped.named_parameters().size() == 1);
  CHECK(grouped.extra_repr() ==
        "in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1), dilation=2, groups=2, "
        "bias=false");
  CHECK(grouped(zeros<float>({1, 4, 9, 7})).shape() == Shape{1, 6, 3, 5});

  nn::Conv1d c1(Conv1dOptions(4, 6, 5).stride(2).padding(2).groups(2), gen);
  CHECK(c1.weight().shape() == Shape{6, 2, 5});
  CHECK(c1.extra_repr() ==
        "in_channels=4, out_channels=6, kernel_size=5, stride=2, padding=2, groups=2");
  CHECK(c1(zeros<float>({3, 4, 11})).shape() == Shape{3, 6, 6});
}

TEST_CASE("nn: conv default init is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and reproducible") {
  Generator gen(0);
  nn::Conv2dD conv(Conv2dOptions(16, 64, 3).groups(2), gen);
  const double bound = 1.0 / std::sqrt(8.0 * 9.0);  // fan_in = in/groups * kh * kw
  double sq = 0, wmax = 0;
  for (double w : conv.weight().data()) {
    sq += w * w;
    wmax = std::max(wmax, std::abs(w));
  }
  CHECK(wmax <= bound);
  CHECK(wmax > 0.99 * bound);
  const double n = double(conv.weight().numel());
  CHECK(std::sqrt(sq / n) == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.03));
  double bmax = 0;
  for (double b : conv.bias().data()) bmax = std::max(bmax, std::abs(b));
  CHECK(bmax <= bound);
  CHECK(bmax > 0.8 * bound);

  nn::Conv1dD c1(Conv1dOptions(4, 32, 5), gen);
  const double b1 = 1.0 / std::sqrt(20.0);
  for (double w : c1.weight().data()) CHECK(std::abs(w) <= b1);

  Generator ga(0), gb(0), gc(1);
  nn::Conv2d a(Conv2dOptions(2, 3, 3), ga), b(Conv2dOptions(2, 3, 3), gb),
      c(Conv2dOptions(2, 3, 3), gc);
  CHECK(a.weight().data() == b.weight().data());
  CHECK(a.weight().data() != c.weight().data());
  Generator g1(5), g2(5);
  nn::Conv2d l1(Conv2dOptions(2, 3, 3), g1), l2(Conv2dOptions(2, 3, 3), g1);
  nn::Conv2d m1(Conv2dOptions(2, 3, 3), g2);
  CHECK(l1.weight().data() != l2.weight().data());
  CHECK(l1.bias().data() == m1.bias().data());
}

TEST_CASE("nn: conv option and input errors are typed and name the layer") {
  Generator gen(0);
  CHECK_THROWS_AS(nn::Conv2d(Conv2dOptions(3, 4, 3).groups(2), gen), ValueError);
  CHECK_THROWS_AS(nn::Conv2d(Conv2dOptions(4, 3, 3).groups(2), gen), ValueError);
  CHECK_THROWS_AS(nn::Conv2d(Conv2dOptions(4, 4, 0), gen), ValueError);
  CHECK_THROWS_AS(nn::Conv2d(Conv2dOptions(4, 4, 3).stride({1, 0}), gen), ValueError);
  CHECK_THROWS_AS(nn::Conv1d(Conv1dOptions(4, 4, 3).padding(-1), gen), ValueError);
  CHECK_THROWS_AS(nn::Conv1d(Conv1dOptions(4, 4, 3).dilation(0), gen), ValueError);
  CHECK_THROWS_AS(nn::Conv1d(Conv1dOptions(4, 4, 3).groups(0), gen), ValueError);
  try {
    nn::Conv2d(Conv2dOptions(3, 4, 3).groups(2), gen);
    FAIL("no exception");
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()).find("Conv2d(in_channels=3") != std::string::npos);
    CHECK(std::string(e.what()).find("groups=2 must divide in_channels=3") != std::string::npos);
  }
  nn::Conv2d conv(Conv2dOptions(3, 4, 3), gen);
  try {
    conv(zeros<float>({2, 5, 8, 8}));
    FAIL("no exception");
  } catch (const ShapeError& e) {
    const std::string what = e.what();
    CHECK(what.find("Conv2d(in_channels=3, out_channels=4") != std::string::npos);
    CHECK(what.find("input [2,5,8,8]") != std::string::npos);
  }
  CHECK_THROWS_AS(conv(zeros<float>({3, 8, 8})), ShapeError);
  CHECK_THROWS_AS(conv(zeros<float>({1, 3, 2, 8})), ShapeError);
}

TEST_CASE("nn: conv layers pass gradcheck_module in double (input, weight, bias)") {
  Generator gen(17);
  struct Row {
    std::string what;
    std::shared_ptr<nn::ModuleD> layer;
    Shape input;
  };
  // clang-format off
  const std::vector<Row> rows = {
    {"Conv2d 3x3 padding 1", std::make_shared<nn::Conv2dD>(Conv2dOptions(2, 3, 3).padding(1), gen), {2, 2, 5, 4}},
    {"Conv2d (2,3) stride (2,1) dilation (1,2) no bias", std::make_shared<nn::Conv2dD>(Conv2dOptions(2, 2, {2, 3}).stride({2, 1}).dilation({1, 2}).bias(false), gen), {1, 2, 6, 7}},
    {"Conv2d groups 2", std::make_shared<nn::Conv2dD>(Conv2dOptions(4, 2, 3).groups(2).padding(1), gen), {2, 4, 4, 4}},
    {"Conv1d stride 2 padding 1", std::make_shared<nn::Conv1dD>(Conv1dOptions(3, 4, 3).stride(2).padding(1), gen), {2, 3, 9}},
    {"Conv1d depthwise dilation 2", std::make_shared<nn::Conv1dD>(Conv1dOptions(3, 3, 2).groups(3).dilation(2), gen), {1, 3, 7}},
  };
  // clang-format on
  for (const auto& r : rows) {
    CAPTURE(r.what);
    const auto x = randn<double>(r.input, gen, 0.0, 1.0, true);
    const auto result = nn::gradcheck_module(*r.layer, x);
    CHECK_MESSAGE(result.ok, result.message);
    CHECK(result.comparisons > 0);
  }
}

TEST_CASE("nn: conv and pooling ops match PyTorch (float64 1e-10, float32 1e-5)") {
  for (const auto& c : golden_ops()) {
    CAPTURE(std::string(c.name));
    std::vector<TensorD> xd;
    std::vector<Tensor> xf;
    for (const auto& [values, shape] : c.inputs) {
      xd.push_back(tensor_of<double>(values, shape, true));
      xf.push_back(tensor_of<float>(values, shape));
    }
    const TensorD yd = c.fd(xd);
    check_close(yd, c.out, 1e-10);
    const Tensor yf = c.ff(xf);
    REQUIRE(yf.shape() == yd.shape());
    check_close(yf, c.out, 1e-5);
    yd.backward(tensor_of<double>(c.seed, yd.shape()));
    for (std::size_t k = 0; k < xd.size(); ++k) {
      CAPTURE(k);
      check_close(xd[k].grad(), c.grads[k], 1e-10);
    }
  }
}

TEST_CASE("nn: the example CNN matches PyTorch: state dict names, logits, loss, gradients") {
  namespace g = golden_conv;
  Generator gen(0);
  auto model = example_cnn<double>(gen);
  auto model_f = example_cnn<float>(gen);
  auto params = model->named_parameters();
  auto params_f = model_f->named_parameters();
  REQUIRE(params.size() == std::size(g::cnn_parameter_names));
  for (std::size_t k = 0; k < params.size(); ++k) {
    CHECK(params[k].first == g::cnn_parameter_names[k]);
    // The closed-form values of scripts/golden_conv.py: sin(0.7 i + 1.3 k + 0.5), weights
    // scaled by 1/sqrt(fan_in), biases by 0.1.
    auto& p = params[k].second;
    const double scale = p.dim() > 1 ? 1.0 / std::sqrt(double(p.numel() / p.shape()[0])) : 0.1;
    for (std::size_t i = 0; i < p.numel(); ++i) {
      p.mutable_data_ptr()[i] = std::sin(0.7 * double(i) + 1.3 * double(k) + 0.5) * scale;
      params_f[k].second.mutable_data_ptr()[i] = float(p.data_ptr()[i]);
    }
  }
  std::vector<double> pixels(3 * 784);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = 0.5 + 0.5 * std::sin(0.37 * i + 0.2);
  const auto images = from_vector<double>(pixels, {3, 28, 28}, true);

  const TensorD logits = model->forward(images);
  REQUIRE(logits.shape() == Shape{3, 10});
  check_close(logits, g::cnn_logits, 1e-10);

  const TensorD loss = nn::cross_entropy(logits, nn::Labels{3, 7, 0});
  check_close(loss, g::cnn_loss, 1e-10);
  loss.backward();
  // Every parameter's gradient, in double and in float.
  const auto check_grads = [&](auto& m, double tolerance) {
    check_close(m.parameter("1.weight").grad(), g::cnn_grad_conv1_weight, tolerance);
    check_close(m.parameter("1.bias").grad(), g::cnn_grad_conv1_bias, tolerance);
    check_close(m.parameter("4.weight").grad(), g::cnn_grad_conv2_weight, tolerance);
    check_close(m.parameter("4.bias").grad(), g::cnn_grad_conv2_bias, tolerance);
    check_close(m.parameter("8.weight").grad(), g::cnn_grad_linear_weight, tolerance);
    check_close(m.parameter("8.bias").grad(), g::cnn_grad_linear_bias, tolerance);
  };
  check_grads(*model, 1e-10);
  check_close(images.grad(), g::cnn_grad_images, 1e-10);
  // Float, recorded after the double graph's backward (which releases the tape it is on).
  const Tensor logits_f = model_f->forward(images.detach().to<float>());
  check_close(logits_f, g::cnn_logits, 1e-5);
  nn::cross_entropy(logits_f, nn::Labels{3, 7, 0}).backward();
  check_grads(*model_f, 1e-5);
}

TEST_CASE("nn: the example CNN passes gradcheck_module in double") {
  // ReLU and max pooling are piecewise linear: a projection that moves all 1,568 inputs by eps
  // can cross a kink (a pre-activation near 0, two window values near a tie). With eps 1e-6 that
  // happened for 2 of 7 seeds (errors of 1e-2); eps 1e-8 makes it a hundred times less likely
  // and is still accurate to about 1e-8 in double.
  Generator gen(3);
  auto model = example_cnn<double>(gen);
  const auto x = rand<double>({2, 28, 28}, gen, 0.0, 1.0, true);
  const auto r = nn::gradcheck_module(*model, x, GradcheckOptions().projections(3).eps(1e-8));
  CHECK_MESSAGE(r.ok, r.message);
}

}  // namespace axon::test
