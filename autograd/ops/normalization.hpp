// SPDX-License-Identifier: MIT
// Normalisation ops, each a fused forward with a hand-written closed-form backward: batch_norm
// (statistics per channel over the batch and spatial axes) and layer_norm (statistics per sample
// over the trailing axes). Under create_graph the backward runs in recorded ops instead, the
// statistics recomputed on the tape in training mode, so it can be differentiated again.
#pragma once

#include <vector>

#include "axon/autograd/tensor.hpp"

namespace axon::autograd {

/// Batch normalisation of x [N,C], [N,C,L] or [N,C,H,W] per channel c:
/// y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c, mean and var over every axis but 1.
/// training: mean_c and the biased var_c of this batch; when running_mean and running_var are
/// given they are updated in place, r = (1 - momentum) r + momentum s, with the unbiased batch
/// variance for running_var (as PyTorch). Not training: the running statistics are used (both
/// required). weight, bias, running_mean, running_var are [C] or undefined (absent); momentum and
/// eps are double for every T.
/// With xh = (x - mean) * invstd and M = N*L (or N*H*W) values per channel, training:
/// dx = weight * invstd / M * (M g - sum(g) - xh sum(g xh)); eval: dx = weight * invstd * g;
/// dweight = sum(g xh), dbias = sum(g) over every axis but 1.
/// ShapeError for a bad rank or a [C] argument of another size; ValueError for eps <= 0,
/// momentum outside [0, 1], one value per channel in training, or eval without running stats.
template <class T>
BasicTensor<T> batch_norm(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                          const BasicTensor<T>& bias, const BasicTensor<T>& running_mean,
                          const BasicTensor<T>& running_var, bool training, double momentum = 0.1,
                          double eps = 1e-5);

/// Layer normalisation over the trailing axes `normalized_shape` (x's shape must end with it):
/// each sample's D = prod(normalized_shape) values get y = (x - mean) / sqrt(var + eps) * weight +
/// bias, var biased; weight and bias have shape normalized_shape or are undefined (absent).
/// With xh = (x - mean) * invstd per sample: dx = invstd / D * (D gw - sum(gw) - xh sum(gw xh)),
/// gw = g * weight; dweight = sum over samples of g xh, dbias = sum over samples of g.
/// ShapeError when x does not end with normalized_shape or weight/bias differ from it;
/// ValueError for eps <= 0 or an empty normalized_shape.
template <class T>
BasicTensor<T> layer_norm(const BasicTensor<T>& x, const std::vector<std::size_t>& normalized_shape,
                          const BasicTensor<T>& weight, const BasicTensor<T>& bias,
                          double eps = 1e-5);

}  // namespace axon::autograd
