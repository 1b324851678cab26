// SPDX-License-Identifier: MIT
#pragma once
// What the batch-parallel tests (test_parallel.cpp, test_sharding.cpp) share.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "autograd/autograd.hpp"
#include "datasets/dataset.hpp"
#include "nn/module.hpp"

namespace axon::test {

/// A batch of `n` random samples with `features` inputs and labels in [0, classes).
inline datasets::Batch random_batch(std::size_t n, std::size_t features, std::size_t classes,
                                    std::uint64_t seed) {
  autograd::Generator gen(seed);
  datasets::Batch b;
  b.inputs = autograd::randn<float>({n, features}, gen);
  for (std::size_t i = 0; i < n; ++i) {
    b.labels.push_back(static_cast<std::size_t>(gen.below(classes)));
    b.indices.push_back(i);
  }
  return b;
}

/// Every parameter's gradient, in parameters() order.
template <class T>
std::vector<xt::xarray<T>> gradients(nn::BasicModule<T>& model) {
  std::vector<xt::xarray<T>> out;
  for (auto& p : model.parameters()) out.push_back(p.grad().data());
  return out;
}

}  // namespace axon::test
