// SPDX-License-Identifier: MIT
// A user's script, built outside the axon tree against the installed library (tests/install/):
// a 4-8-1 network fitted to a noisy linear target for 60 full-batch Adam steps. Exits 0 when the
// loss fell below half its first value, and prints both.
#include <axon/axon.hpp>
#include <cstdio>
#include <memory>
#include <vector>

using namespace axon;

int main() try {
  autograd::Generator gen(0);
  const std::size_t n = 64;
  // x [64,4] standard normal; y = x . (1, -2, 0.5, 3) + 0.1 noise   [64,1]
  const auto x = autograd::randn<float>({n, 4}, gen, 0.0f, 1.0f);
  const auto noise = autograd::randn<float>({n, 1}, gen, 0.0f, 0.1f);
  const auto w_true = autograd::from_vector<float>({1.0f, -2.0f, 0.5f, 3.0f}, {4, 1});
  const auto y = autograd::matmul(x, w_true) + noise;

  nn::Sequential model{std::make_shared<nn::Linear>(nn::LinearOptions(4, 8), gen),
                       std::make_shared<nn::Tanh>(),
                       std::make_shared<nn::Linear>(nn::LinearOptions(8, 1), gen)};
  optim::Adam adam(model.parameters(), optim::AdamOptions(0.05));

  double first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    adam.zero_grad();
    auto loss = nn::mse_loss(model(x), y);
    loss.backward();
    adam.step();
    last = loss.item();
    if (step == 0) first = last;
  }
  std::printf("{\"first_loss\":%.6f,\"last_loss\":%.6f}\n", first, last);
  return last < 0.5 * first ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 2;
}
