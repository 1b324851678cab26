// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <optional>

#include "axon/autograd/random.hpp"
#include "axon/autograd/tensor.hpp"

/// Weight initialisation, in place, as torch.nn.init. Each function overwrites the tensor's values
/// (the handle shares storage, so passing `layer.weight()` initialises the layer), records nothing
/// on the tape, and returns the tensor. Every random one draws from the Generator it is given.
///
/// Fans follow PyTorch's _calculate_fan_in_and_fan_out: for a weight of shape
/// [out, in, k...] (Linear [out, in], Conv2d [out, in, kh, kw]), with r = product of the kernel
/// extents k..., fan_in = in * r and fan_out = out * r.
namespace axon::nn::init {

using autograd::BasicTensor;
using autograd::Generator;
using autograd::Shape;

/// Which fan kaiming initialisation preserves the variance of: the forward pass (fan_in, the
/// default) or the backward pass (fan_out).
enum class FanMode { fan_in, fan_out };

/// The nonlinearity following the layer, for calculate_gain.
enum class Nonlinearity { linear, conv, sigmoid, tanh, relu, leaky_relu, selu };

/// The recommended gain for a nonlinearity, as PyTorch: linear, conv, sigmoid 1; tanh 5/3;
/// relu sqrt(2); leaky_relu sqrt(2 / (1 + slope^2)) with slope = `param` (default 0.01);
/// selu 3/4. `param` is ignored for the others.
double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param = std::nullopt);

/// fan_in and fan_out of a weight shape (see above).
struct Fans {
  std::size_t fan_in = 0;   ///< in * r: inputs feeding each output
  std::size_t fan_out = 0;  ///< out * r: outputs fed by each input
};
/// Fans of `shape`; ValueError for fewer than 2 axes.
Fans calculate_fan_in_and_fan_out(const Shape& shape);

/// U(low, high).
template <class T>
BasicTensor<T> uniform_(BasicTensor<T> tensor, Generator& gen, double low = 0.0, double high = 1.0);
/// N(mean, std^2).
template <class T>
BasicTensor<T> normal_(BasicTensor<T> tensor, Generator& gen, double mean = 0.0, double std = 1.0);
/// Every element = value.
template <class T>
BasicTensor<T> constant_(BasicTensor<T> tensor, double value);
/// Every element = 0.
template <class T>
BasicTensor<T> zeros_(BasicTensor<T> tensor);
/// Every element = 1.
template <class T>
BasicTensor<T> ones_(BasicTensor<T> tensor);

/// Glorot: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)).
template <class T>
BasicTensor<T> xavier_uniform_(BasicTensor<T> tensor, Generator& gen, double gain = 1.0);
/// Glorot: N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)).
template <class T>
BasicTensor<T> xavier_normal_(BasicTensor<T> tensor, Generator& gen, double gain = 1.0);

/// He: U(-b, b), b = sqrt(3) * gain / sqrt(fan), gain = calculate_gain(nonlinearity, a), fan by
/// `mode`. PyTorch's defaults: a = 0, fan_in, leaky_relu (so gain sqrt(2)). Linear's default
/// init is this with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
template <class T>
BasicTensor<T> kaiming_uniform_(BasicTensor<T> tensor, Generator& gen, double a = 0.0,
                                FanMode mode = FanMode::fan_in,
                                Nonlinearity nonlinearity = Nonlinearity::leaky_relu);
/// He: N(0, s^2), s = gain / sqrt(fan), with the same arguments as kaiming_uniform_.
template <class T>
BasicTensor<T> kaiming_normal_(BasicTensor<T> tensor, Generator& gen, double a = 0.0,
                               FanMode mode = FanMode::fan_in,
                               Nonlinearity nonlinearity = Nonlinearity::leaky_relu);

/// A (semi-)orthogonal matrix times `gain`: the tensor is viewed as [shape[0], rest]; a normal
/// matrix of that shape is orthonormalised (Gram-Schmidt, i.e. QR with a positive diagonal of R)
/// along its shorter side, so W W^T = gain^2 I when rows <= columns and W^T W = gain^2 I
/// otherwise. ValueError for fewer than 2 axes.
template <class T>
BasicTensor<T> orthogonal_(BasicTensor<T> tensor, Generator& gen, double gain = 1.0);

}  // namespace axon::nn::init
