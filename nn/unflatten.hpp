// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

#include "axon/nn/module.hpp"

/// Unflatten: the inverse of Flatten, as torch.nn.Unflatten.
namespace axon::nn {

/// Splits axis `axis` (negative counts from the end) into `shape`, whose product must equal the
/// axis' extent (one entry may be -1: inferred). `Unflatten(1, {1, 28})` turns a batch of images
/// [B, 28, 28] into [B, 1, 28, 28] (axis 1, of extent 28, becomes 1 x 28), as does
/// `Unflatten(1, {1, 28, 28})` for flat images [B, 784]. A shape that does not fit is a
/// ShapeError naming the layer; an axis out of range a ValueError.
template <class T>
class BasicUnflatten : public BasicModule<T> {
 public:
  /// Splits `axis` into `shape`; a shape that does not fit is reported when forward runs.
  BasicUnflatten(int axis, std::vector<long> shape) : axis_(axis), shape_(std::move(shape)) {}

  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "Unflatten"; }
  std::string extra_repr() const override;

 private:
  int axis_;
  std::vector<long> shape_;
};

using Unflatten = BasicUnflatten<float>;    ///< float32 elements
using UnflattenD = BasicUnflatten<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
