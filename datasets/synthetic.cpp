// SPDX-License-Identifier: MIT
#include "axon/datasets/synthetic.hpp"

#include <cmath>
#include <numbers>

#include "axon/autograd/error.hpp"
#include "axon/autograd/random.hpp"

namespace axon::datasets {

Dataset make_xor() {
  DatasetParts parts;
  parts.features = std::vector<float>{0, 0, 0, 1, 1, 0, 1, 1};
  parts.sample_shape = {2};
  parts.labels = {0, 1, 1, 0};
  parts.num_classes = 2;
  parts.targets = {0, 1, 1, 0};
  parts.target_dim = 1;
  return Dataset(std::move(parts));
}

Dataset make_spirals(std::size_t n_per_class, double noise, std::uint64_t seed) {
  if (n_per_class == 0) throw ValueError("make_spirals: n_per_class must be at least 1");
  if (!(noise >= 0) || !std::isfinite(noise)) {
    throw ValueError("make_spirals: noise must be finite and >= 0, got " + std::to_string(noise));
  }
  autograd::Generator gen(seed);
  const double turns = 1.5;
  std::vector<float> x;
  std::vector<std::size_t> labels;
  x.reserve(4 * n_per_class);
  labels.reserve(2 * n_per_class);
  for (std::size_t cls = 0; cls < 2; ++cls) {
    for (std::size_t i = 0; i < n_per_class; ++i) {
      // radius r in (0, 1], angle growing with r; class 1 is class 0 rotated by half a turn.
      const double r = (static_cast<double>(i) + 1.0) / static_cast<double>(n_per_class);
      const double angle = 2 * std::numbers::pi * turns * r + std::numbers::pi * cls;
      x.push_back(static_cast<float>(r * std::cos(angle) + noise * gen.normal()));
      x.push_back(static_cast<float>(r * std::sin(angle) + noise * gen.normal()));
      labels.push_back(cls);
    }
  }
  return Dataset::classification(std::move(x), {2}, std::move(labels), 2);
}

LinearRegressionData make_linear_regression(std::size_t n, std::size_t features, double noise,
                                            std::uint64_t seed) {
  if (n == 0 || features == 0) {
    throw ValueError("make_linear_regression: n and features must be at least 1");
  }
  if (!(noise >= 0) || !std::isfinite(noise)) {
    throw ValueError("make_linear_regression: noise must be finite and >= 0, got " +
                     std::to_string(noise));
  }
  autograd::Generator gen(seed);
  LinearRegressionData out;
  out.weights.resize(features);
  for (float& w : out.weights) w = static_cast<float>(gen.normal());
  out.bias = static_cast<float>(gen.normal());
  std::vector<float> x(n * features), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    double sum = out.bias;
    for (std::size_t k = 0; k < features; ++k) {
      const float v = static_cast<float>(gen.normal());
      x[i * features + k] = v;
      sum += static_cast<double>(v) * out.weights[k];
    }
    y[i] = static_cast<float>(sum + noise * gen.normal());
  }
  out.data = Dataset::regression(std::move(x), {features}, std::move(y), 1);
  return out;
}

}  // namespace axon::datasets
