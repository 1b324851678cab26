// SPDX-License-Identifier: MIT
// A physics-informed network: a 1-32-32-1 tanh MLP u(x) trained so that u''(x) = -pi^2 sin(pi x)
// on [0, 1] with u(0) = u(1) = 0, whose solution is u(x) = sin(pi x). The loss needs the second
// derivative of the network's output with respect to its input, taken with autograd::grad and
// create_graph, and then its gradient with respect to the weights (a third backward through
// the same graph). Trained in double with Adam; reports the relative L2 error against the exact
// solution on a fine grid.
#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"
#include "examples/common.hpp"

using namespace axon;
using autograd::mean;
using autograd::pow;
using autograd::sqrt;
using autograd::sum;
using autograd::TensorD;

namespace {

constexpr double kPi = std::numbers::pi;

/// n points evenly spread over [0, 1] (ends included), as a column [n, 1].
TensorD grid(std::size_t n, bool requires_grad) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<double>(i) / static_cast<double>(n - 1);
  return autograd::from_vector<double>(x, {n, 1}, requires_grad);
}

/// Relative L2 error of the network against sin(pi x) on `n` points.
double relative_l2(nn::BasicModule<double>& u, std::size_t n) {
  autograd::NoGradGuard off;
  const TensorD x = grid(n, false);
  const TensorD pred = u(x);
  double err = 0, norm = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double exact = std::sin(kPi * x.data_ptr()[i]);
    err += (pred.data_ptr()[i] - exact) * (pred.data_ptr()[i] - exact);
    norm += exact * exact;
  }
  return std::sqrt(err / norm);
}

}  // namespace

int main(int argc, char** argv) try {
  examples::Args args;
  args.epochs = 4000;
  args.seed = 0;
  std::size_t points = 64;
  CLI::App app("Physics-informed network for u'' = -pi^2 sin(pi x), u(0) = u(1) = 0", "pinn");
  examples::add_flags(app, args, examples::kEpochs | examples::kSeed | examples::kSave);
  examples::add_integer(app, "--points", points, "N", "collocation points on [0, 1]", 3, 100000);
  examples::parse(app, argc, argv, args);

  autograd::Generator gen(args.seed);
  nn::BasicSequential<double> u{
      std::make_shared<nn::LinearD>(nn::LinearOptions(1, 32), gen), std::make_shared<nn::TanhD>(),
      std::make_shared<nn::LinearD>(nn::LinearOptions(32, 32), gen), std::make_shared<nn::TanhD>(),
      std::make_shared<nn::LinearD>(nn::LinearOptions(32, 1), gen)};
  optim::BasicAdam<double> optimizer(u.parameters(), optim::AdamOptions(3e-3));

  const TensorD x = grid(points, true);  // collocation points; gradients flow to them
  TensorD forcing;                       // f(x) = -pi^2 sin(pi x)
  {
    std::vector<double> f(points);
    for (std::size_t i = 0; i < points; ++i) f[i] = -kPi * kPi * std::sin(kPi * x.data_ptr()[i]);
    forcing = autograd::from_vector<double>(f, {points, 1});
  }
  const TensorD ends = autograd::from_vector<double>({0.0, 1.0}, {2, 1});

  examples::Stopwatch clock;
  double loss_value = 0, residual = 0, boundary = 0;
  for (std::size_t epoch = 1; epoch <= args.epochs; ++epoch) {
    optimizer.zero_grad();
    const TensorD y = u(x);
    // Each output depends only on its own input, so the gradient of sum(y) is u'(x) pointwise.
    const auto opts = autograd::GradOptions().create_graph(true);
    const TensorD du = autograd::grad(sum(y), x, {}, opts);
    const TensorD d2u = autograd::grad(sum(du), x, {}, opts);
    const TensorD pde = mean(pow(d2u - forcing, 2.0));
    const TensorD bc = mean(pow(u(ends), 2.0));
    const TensorD loss = pde + bc * 100.0;
    loss.backward();
    optimizer.step();
    loss_value = loss.item();
    residual = pde.item();
    boundary = bc.item();
    if (epoch % std::max<std::size_t>(args.epochs / 10, 1) == 0) {
      std::printf("epoch %5zu  loss %.3e  pde %.3e  boundary %.3e  rel. L2 error %.3e\n", epoch,
                  loss_value, residual, boundary, relative_l2(u, 1001));
    }
  }
  const double seconds = clock.seconds();
  const double error = relative_l2(u, 1001);
  examples::save_parameters(args, u);
  examples::print_result("pinn", {{"epochs", args.epochs},
                                  {"points", points},
                                  {"final_loss", loss_value},
                                  {"pde_residual", residual},
                                  {"boundary_loss", boundary},
                                  {"relative_l2_error", error},
                                  {"train_seconds", seconds}});
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
