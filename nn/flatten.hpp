// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "axon/nn/module.hpp"

namespace axon::nn {

/// Merges axes [start_axis, end_axis] into one (negative axes count from the end). The defaults
/// (1, -1) keep the batch axis: [N, C, H, W] -> [N, C*H*W].
template <class T>
class BasicFlatten : public BasicModule<T> {
 public:
  /// Flattens axes [start_axis, end_axis]; bad axes are reported when forward runs.
  explicit BasicFlatten(int start_axis = 1, int end_axis = -1)
      : start_axis_(start_axis), end_axis_(end_axis) {}

  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "Flatten"; }
  std::string extra_repr() const override {
    return "start_axis=" + std::to_string(start_axis_) + ", end_axis=" + std::to_string(end_axis_);
  }

 private:
  int start_axis_;
  int end_axis_;
};

using Flatten = BasicFlatten<float>;    ///< float32 elements
using FlattenD = BasicFlatten<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
