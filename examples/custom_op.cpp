// SPDX-License-Identifier: MIT
// Your own differentiable op, written outside the library with autograd::custom_op: softclip,
// y = c tanh(x / c), a smooth clip of x to (-c, c) with a learnable scale c broadcast over x.
// The forward is a plain loop over the values; the backward is written once, in tensor ops, and
// serves both first-order training and gradients of gradients. The program checks the op with
// gradcheck and gradgradcheck in double, then fits c and a linear map to data made by a clip
// at c = 1.5, and reports the checks and the learned c in its JSON line (exit 1 if a check
// fails). docs/AUTOGRAD.md ("Your own op") explains each step.
#include <cmath>
#include <cstdio>

#include "axon/autograd/autograd.hpp"
#include "axon/autograd/custom_op.hpp"
#include "axon/autograd/gradcheck.hpp"
#include "axon/optim/adam.hpp"
#include "examples/common.hpp"

using namespace axon;
using autograd::BasicTensor;

namespace {

/// softclip(x, c) = c tanh(x / c) for x of any shape and c of shape [1] (broadcast).
///   dy/dx = 1 - t^2,  dy/dc = t - (x / c)(1 - t^2),  with t = tanh(x / c).
template <class T>
BasicTensor<T> softclip(const BasicTensor<T>& x, const BasicTensor<T>& c) {
  if (c.shape() != autograd::Shape{1}) {
    throw ShapeError("softclip: the scale c must have shape [1], got " +
                     autograd::shape_str(c.shape()));
  }
  const T scale = c.data_ptr()[0];
  if (!(scale > T(0))) throw ValueError("softclip: the scale c must be > 0");
  // Forward: any code at all; here a loop over the values.
  xt::xarray<T> y = xt::xarray<T>::from_shape(x.shape());
  for (std::size_t i = 0; i < x.numel(); ++i)
    y.data()[i] = scale * std::tanh(x.data_ptr()[i] / scale);
  // Backward: in tensor ops, so a pass with create_graph records it.
  return autograd::custom_op<T>(
      "softclip", std::move(y), {x, c},
      [](const BasicTensor<T>& g, const BasicTensor<T>& out,
         const std::vector<BasicTensor<T>>& in) -> std::vector<BasicTensor<T>> {
        const BasicTensor<T>& xs = in[0];
        const BasicTensor<T>& cs = in[1];
        const BasicTensor<T> t = out / cs;  // tanh(x / c), from the saved output
        const BasicTensor<T> slope = 1.0 - t * t;
        const BasicTensor<T> dx = g * slope;
        const BasicTensor<T> dc = autograd::sum_to(g * (t - xs / cs * slope), cs.shape());
        return {dx, dc};
      });
}

}  // namespace

int main(int argc, char** argv) try {
  examples::Args args;
  args.epochs = 300;
  args.seed = 0;
  CLI::App app("A user-defined differentiable op (softclip) checked and trained", "custom_op");
  examples::add_flags(app, args, examples::kEpochs | examples::kSeed);
  examples::parse(app, argc, argv, args);

  autograd::Generator gen(args.seed);
  // 1. Check the op in double: first derivatives and second derivatives against central
  //    differences, with respect to both inputs.
  const autograd::TensorD x = autograd::randn<double>({3, 4}, gen, 0.0, 2.0, true);
  const autograd::TensorD c = autograd::from_vector<double>({1.3}, {1}, true);
  const auto f = [](const std::vector<autograd::TensorD>& in) { return softclip(in[0], in[1]); };
  const auto first = autograd::gradcheck(f, {x, c});
  const auto second = autograd::gradgradcheck(f, {x, c});
  std::printf("gradcheck: %s\ngradgradcheck: %s\n", first ? "passed" : first.message.c_str(),
              second ? "passed" : second.message.c_str());

  // 2. Train with it: y = softclip(w x + b, c) fitted to data clipped at c = 1.5.
  const std::size_t n = 256;
  const autograd::Tensor inputs = autograd::randn<float>({n, 1}, gen, 0.0f, 3.0f);
  autograd::Tensor targets;
  {
    autograd::NoGradGuard off;
    targets = softclip(inputs * 2.0f, autograd::from_vector<float>({1.5f}, {1}));
  }
  autograd::Tensor w = autograd::from_vector<float>({1.0f}, {1}, true);
  autograd::Tensor b = autograd::from_vector<float>({0.0f}, {1}, true);
  autograd::Tensor scale = autograd::from_vector<float>({1.0f}, {1}, true);
  optim::Adam optimizer({w, b, scale}, optim::AdamOptions(0.05));
  examples::Stopwatch clock;
  double loss_value = 0;
  for (std::size_t epoch = 1; epoch <= args.epochs; ++epoch) {
    optimizer.zero_grad();
    const autograd::Tensor loss =
        autograd::mean(autograd::pow(softclip(inputs * w + b, scale) - targets, 2.0f));
    loss.backward();
    optimizer.step();
    loss_value = loss.item();
  }
  std::printf("learned w %.4f  b %.4f  c %.4f (data: w 2, b 0, c 1.5)\n", w.item(), b.item(),
              scale.item());
  examples::print_result("custom_op", {{"gradcheck", first ? 1 : 0},
                                       {"gradgradcheck", second ? 1 : 0},
                                       {"final_loss", loss_value},
                                       {"learned_c", scale.item()},
                                       {"learned_w", w.item()},
                                       {"train_seconds", clock.seconds()}});
  return first && second ? 0 : 1;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
