// SPDX-License-Identifier: MIT
// XOR with a 2-3-1 sigmoid network, mean squared error and plain gradient descent (lr 0.1),
// written directly against the autograd engine: the smallest complete training loop.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "autograd/autograd.hpp"

using namespace axon::autograd;

int main(int argc, char** argv) {
  int epochs = 20000;
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--epochs") epochs = std::atoi(argv[i + 1]);
    if (flag == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
  }

  const auto x = from_vector<float>({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  const auto y = from_vector<float>({0, 1, 1, 0}, {4, 1});

  Generator gen(seed);
  auto w1 = rand<float>({3, 2}, gen, -1.0f, 1.0f, true);  // [out, in], as nn::Linear
  auto b1 = rand<float>({3}, gen, -1.0f, 1.0f, true);
  auto w2 = rand<float>({1, 3}, gen, -1.0f, 1.0f, true);
  auto b2 = rand<float>({1}, gen, -1.0f, 1.0f, true);
  const float lr = 0.1f;

  const auto start = std::chrono::steady_clock::now();
  float last_loss = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    auto hidden = sigmoid(linear(x, w1, b1));  // [4,3]
    auto out = sigmoid(linear(hidden, w2, b2));  // [4,1]
    auto loss = mean((out - y) * (out - y));
    loss.backward();
    {
      NoGradGuard no_grad;  // the update itself is not recorded
      for (auto* p : {&w1, &b1, &w2, &b2}) {
        p->data() -= lr * p->grad_data();
        p->zero_grad();
      }
    }
    last_loss = loss.item();
    if (epoch % (epochs / 10 > 0 ? epochs / 10 : 1) == 0) {
      std::printf("epoch %6d  loss %.6f\n", epoch, last_loss);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  NoGradGuard no_grad;
  const auto pred = sigmoid(linear(sigmoid(linear(x, w1, b1)), w2, b2));
  float worst = 0;
  for (int i = 0; i < 4; ++i) {
    const float p = pred.data()(i, 0), t = y.data()(i, 0);
    worst = std::max(worst, std::abs(p - t));
    std::printf("xor(%g, %g) = %.4f  (target %g)\n", x.data()(i, 0), x.data()(i, 1), p, t);
  }
  std::printf(
      "{\"example\":\"xor\",\"epochs\":%d,\"final_loss\":%.6f,\"max_abs_error\":%.4f,"
      "\"train_seconds\":%.3f,\"solved\":%s}\n",
      epochs, last_loss, worst, seconds, worst < 0.1f ? "true" : "false");
  return worst < 0.1f ? 0 : 1;
}
