// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/random.hpp"
#include "axon/nn/module.hpp"

namespace axon::nn {

/// Options of Dropout: `Dropout(0.2)` or `Dropout(DropoutOptions(0.2).seed(7))`.
class DropoutOptions {
 public:
  /// Drop probability `p` (default 0.5), in [0, 1).
  DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT: implicit, so Dropout(0.2) reads naturally

  /// Drop probability, in [0, 1).
  AXON_ARG(double, p);
  /// Seed of the layer's own mask Generator (default 0).
  AXON_ARG(std::uint64_t, seed) = 0;
};

/// Inverted dropout. In training mode each element is zeroed with probability p and the survivors
/// are scaled by 1 / (1 - p), so the expected output equals the input; in eval mode (and for
/// p = 0) it is the identity. The masks come from the thread's scoped generator when one is set
/// (autograd::GeneratorScope: the batch-parallel trainer sets one per shard), otherwise from the
/// layer's own Generator, seeded from the options (seed 0 by default), so a run is reproducible.
/// set_generator() replaces the layer's own stream. p outside [0, 1) is a ValueError.
template <class T>
class BasicDropout : public BasicModule<T> {
 public:
  using Options = DropoutOptions;  ///< the options class this is built from
  /// A dropout layer with `options` (ValueError when p is outside [0, 1)).
  explicit BasicDropout(const DropoutOptions& options = DropoutOptions());

  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "Dropout"; }
  std::string extra_repr() const override;

  /// The drop probability.
  double p() const { return options_.p(); }
  /// The layer's own Generator (used when no scoped generator is set).
  autograd::Generator& generator() { return gen_; }
  autograd::Generator* own_generator() override { return &gen_; }
  /// Replaces the mask Generator (e.g. a shard's fork of it).
  void set_generator(const autograd::Generator& gen) { gen_ = gen; }

 private:
  DropoutOptions options_;
  autograd::Generator gen_;
};

using Dropout = BasicDropout<float>;    ///< float32 elements
using DropoutD = BasicDropout<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
