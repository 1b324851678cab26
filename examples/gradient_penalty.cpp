// SPDX-License-Identifier: MIT
// WGAN-GP on a 2-D toy distribution (eight Gaussians on a ring), written as the PyTorch recipe:
// the critic's loss adds lambda * (|grad_x critic(x_hat)| - 1)^2 at random interpolates x_hat of
// real and generated points, where the input gradient comes from autograd::grad with
// create_graph so that the penalty's own gradient reaches the critic's weights. Five critic steps
// per generator step, Adam(1e-4, betas 0.5/0.9), lambda 10. Reports the mean input-gradient norm
// at the interpolates (the penalty drives it towards 1) and the critic's Wasserstein estimate.
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
using autograd::Tensor;

namespace {

/// `n` points from eight Gaussians (std 0.02) evenly spaced on the circle of radius 2.
Tensor real_batch(std::size_t n, autograd::Generator& gen) {
  std::vector<float> v(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    const double angle = 2 * std::numbers::pi * static_cast<double>(gen.below(8)) / 8;
    v[2 * i] = static_cast<float>(2 * std::cos(angle) + gen.normal(0, 0.02));
    v[2 * i + 1] = static_cast<float>(2 * std::sin(angle) + gen.normal(0, 0.02));
  }
  return autograd::from_vector<float>(v, {n, 2});
}

std::shared_ptr<nn::Sequential> mlp(std::size_t in, std::size_t out, autograd::Generator& gen) {
  return std::make_shared<nn::Sequential>(std::vector<nn::Sequential::ModulePtr>{
      std::make_shared<nn::Linear>(nn::LinearOptions(in, 64), gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions(64, 64), gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions(64, out), gen)});
}

/// Per-row L2 norm of a [B, 2] gradient: sqrt(sum(g^2, axis 1)).
Tensor row_norms(const Tensor& g) {
  return sqrt(sum(g * g, {1}));
}

}  // namespace

int main(int argc, char** argv) try {
  examples::Args args;
  args.epochs = 600;  // generator steps
  args.batch_size = 128;
  args.seed = 0;
  CLI::App app("WGAN-GP critic and generator on eight Gaussians", "gradient_penalty");
  examples::add_flags(app, args, examples::kEpochs | examples::kBatchSize | examples::kSeed);
  examples::parse(app, argc, argv, args);

  const float lambda = 10;
  const std::size_t critic_steps = 5, batch = args.batch_size;
  autograd::Generator gen(args.seed);
  auto critic = mlp(2, 1, gen);
  auto generator = mlp(2, 2, gen);
  const auto adam = optim::AdamOptions(1e-4).betas(0.5, 0.9);
  optim::Adam critic_opt(critic->parameters(), adam);
  optim::Adam generator_opt(generator->parameters(), adam);

  examples::Stopwatch clock;
  double grad_norm = 0, wasserstein = 0, penalty_value = 0;
  for (std::size_t step = 1; step <= args.epochs; ++step) {
    for (std::size_t c = 0; c < critic_steps; ++c) {
      const Tensor real = real_batch(batch, gen);
      const Tensor fake = (*generator)(autograd::randn<float>({batch, 2}, gen)).detach();
      const Tensor alpha = autograd::rand<float>({batch, 1}, gen);
      Tensor interp = alpha * real + (1.0f - alpha) * fake;
      interp.requires_grad_(true);
      const Tensor d_interp = (*critic)(interp);
      const Tensor grads = autograd::grad(d_interp, interp, autograd::ones<float>(d_interp.shape()),
                                          autograd::GradOptions().create_graph(true));
      const Tensor norms = row_norms(grads);
      const Tensor penalty = mean(pow(norms - 1.0f, 2.0f)) * lambda;
      const Tensor w = mean((*critic)(real)) - mean((*critic)(fake));
      const Tensor d_loss = penalty - w;
      grad_norm = mean(norms.detach()).item();
      wasserstein = w.item();
      penalty_value = penalty.item();
      critic_opt.zero_grad();
      d_loss.backward();
      critic_opt.step();
    }
    const Tensor fake = (*generator)(autograd::randn<float>({batch, 2}, gen));
    const Tensor g_loss = -mean((*critic)(fake));
    generator_opt.zero_grad();
    g_loss.backward();
    generator_opt.step();
    critic->zero_grad();  // the generator's backward also reached the critic's weights
    if (step % std::max<std::size_t>(args.epochs / 10, 1) == 0) {
      std::printf("step %5zu  wasserstein %.4f  penalty %.4f  |grad| %.4f\n", step, wasserstein,
                  penalty_value, grad_norm);
    }
  }
  const double seconds = clock.seconds();
  examples::print_result("gradient_penalty", {{"generator_steps", args.epochs},
                                              {"critic_steps", args.epochs * critic_steps},
                                              {"mean_input_grad_norm", grad_norm},
                                              {"wasserstein_estimate", wasserstein},
                                              {"penalty", penalty_value},
                                              {"train_seconds", seconds}});
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
