// SPDX-License-Identifier: MIT
#include "axon/nn/init.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace axon::nn::init {

namespace {

template <class T, class F>
BasicTensor<T> fill(BasicTensor<T> tensor, F&& draw) {
  T* p = tensor.mutable_data_ptr();
  for (std::size_t i = 0; i < tensor.numel(); ++i) p[i] = static_cast<T>(draw());
  return tensor;
}

/// The fan selected by `mode`, non-zero; ValueError naming `fn` otherwise.
std::size_t chosen_fan(const Shape& shape, FanMode mode, const char* fn) {
  const Fans fans = calculate_fan_in_and_fan_out(shape);
  const std::size_t fan = mode == FanMode::fan_in ? fans.fan_in : fans.fan_out;
  if (fan == 0) {
    throw ValueError(std::string(fn) + ": tensor of shape " + autograd::shape_str(shape) +
                     " has a zero fan");
  }
  return fan;
}

double xavier_std(const Shape& shape, double gain, const char* fn) {
  const Fans fans = calculate_fan_in_and_fan_out(shape);
  if (fans.fan_in + fans.fan_out == 0) {
    throw ValueError(std::string(fn) + ": tensor of shape " + autograd::shape_str(shape) +
                     " has zero fans");
  }
  return gain * std::sqrt(2.0 / static_cast<double>(fans.fan_in + fans.fan_out));
}

double kaiming_std(const Shape& shape, double a, FanMode mode, Nonlinearity nonlinearity,
                   const char* fn) {
  const double fan = static_cast<double>(chosen_fan(shape, mode, fn));
  return calculate_gain(nonlinearity, a) / std::sqrt(fan);
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param) {
  switch (nonlinearity) {
    case Nonlinearity::tanh:
      return 5.0 / 3.0;
    case Nonlinearity::relu:
      return std::sqrt(2.0);
    case Nonlinearity::leaky_relu: {
      const double slope = param.value_or(0.01);
      return std::sqrt(2.0 / (1.0 + slope * slope));
    }
    case Nonlinearity::selu:
      return 0.75;
    case Nonlinearity::linear:
    case Nonlinearity::conv:
    case Nonlinearity::sigmoid:
      break;
  }
  return 1.0;
}

Fans calculate_fan_in_and_fan_out(const Shape& shape) {
  if (shape.size() < 2) {
    throw ValueError("init: fan in and fan out need a tensor with at least 2 axes, got shape " +
                     autograd::shape_str(shape));
  }
  std::size_t receptive = 1;
  for (std::size_t d = 2; d < shape.size(); ++d) receptive *= shape[d];
  return {shape[1] * receptive, shape[0] * receptive};
}

template <class T>
BasicTensor<T> uniform_(BasicTensor<T> tensor, Generator& gen, double low, double high) {
  return fill(std::move(tensor), [&] { return gen.uniform(low, high); });
}

template <class T>
BasicTensor<T> normal_(BasicTensor<T> tensor, Generator& gen, double mean, double std) {
  return fill(std::move(tensor), [&] { return gen.normal(mean, std); });
}

template <class T>
BasicTensor<T> constant_(BasicTensor<T> tensor, double value) {
  return fill(std::move(tensor), [&] { return value; });
}

template <class T>
BasicTensor<T> zeros_(BasicTensor<T> tensor) {
  return constant_(std::move(tensor), 0.0);
}

template <class T>
BasicTensor<T> ones_(BasicTensor<T> tensor) {
  return constant_(std::move(tensor), 1.0);
}

template <class T>
BasicTensor<T> xavier_uniform_(BasicTensor<T> tensor, Generator& gen, double gain) {
  const double bound = std::sqrt(3.0) * xavier_std(tensor.shape(), gain, "xavier_uniform_");
  return uniform_(std::move(tensor), gen, -bound, bound);
}

template <class T>
BasicTensor<T> xavier_normal_(BasicTensor<T> tensor, Generator& gen, double gain) {
  const double std = xavier_std(tensor.shape(), gain, "xavier_normal_");
  return normal_(std::move(tensor), gen, 0.0, std);
}

template <class T>
BasicTensor<T> kaiming_uniform_(BasicTensor<T> tensor, Generator& gen, double a, FanMode mode,
                                Nonlinearity nonlinearity) {
  const double bound =
      std::sqrt(3.0) * kaiming_std(tensor.shape(), a, mode, nonlinearity, "kaiming_uniform_");
  return uniform_(std::move(tensor), gen, -bound, bound);
}

template <class T>
BasicTensor<T> kaiming_normal_(BasicTensor<T> tensor, Generator& gen, double a, FanMode mode,
                               Nonlinearity nonlinearity) {
  const double std = kaiming_std(tensor.shape(), a, mode, nonlinearity, "kaiming_normal_");
  return normal_(std::move(tensor), gen, 0.0, std);
}

template <class T>
BasicTensor<T> orthogonal_(BasicTensor<T> tensor, Generator& gen, double gain) {
  if (tensor.dim() < 2) {
    throw ValueError("orthogonal_: needs a tensor with at least 2 axes, got shape " +
                     autograd::shape_str(tensor.shape()));
  }
  const std::size_t rows = tensor.shape()[0];
  const std::size_t cols = rows ? tensor.numel() / rows : 0;
  if (rows == 0 || cols == 0) return tensor;
  std::vector<double> w(rows * cols);  // [rows, cols], row-major
  for (auto& v : w) v = gen.normal();
  // Orthonormalise the k = min(rows, cols) vectors along the shorter side, each of length n:
  // vector j, element i sits at w[i * cols + j] (columns) or w[j * cols + i] (rows).
  const bool by_columns = rows >= cols;
  const std::size_t k = by_columns ? cols : rows;
  const std::size_t n = by_columns ? rows : cols;
  auto at = [&](std::size_t j, std::size_t i) -> double& {
    return by_columns ? w[i * cols + j] : w[j * cols + i];
  };
  for (std::size_t j = 0; j < k; ++j) {
    // Modified Gram-Schmidt, applied twice for accuracy in floating point.
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t q = 0; q < j; ++q) {
        double dot = 0;
        for (std::size_t i = 0; i < n; ++i) dot += at(q, i) * at(j, i);
        for (std::size_t i = 0; i < n; ++i) at(j, i) -= dot * at(q, i);
      }
    }
    double norm = 0;
    for (std::size_t i = 0; i < n; ++i) norm += at(j, i) * at(j, i);
    norm = std::sqrt(norm);
    for (std::size_t i = 0; i < n; ++i) at(j, i) /= norm;
  }
  T* p = tensor.mutable_data_ptr();
  for (std::size_t i = 0; i < w.size(); ++i) p[i] = static_cast<T>(gain * w[i]);
  return tensor;
}

#define AXON_INSTANTIATE_INIT(T)                                                        \
  template BasicTensor<T> uniform_(BasicTensor<T>, Generator&, double, double);         \
  template BasicTensor<T> normal_(BasicTensor<T>, Generator&, double, double);          \
  template BasicTensor<T> constant_(BasicTensor<T>, double);                            \
  template BasicTensor<T> zeros_(BasicTensor<T>);                                       \
  template BasicTensor<T> ones_(BasicTensor<T>);                                        \
  template BasicTensor<T> xavier_uniform_(BasicTensor<T>, Generator&, double);          \
  template BasicTensor<T> xavier_normal_(BasicTensor<T>, Generator&, double);           \
  template BasicTensor<T> kaiming_uniform_(BasicTensor<T>, Generator&, double, FanMode, \
                                           Nonlinearity);                               \
  template BasicTensor<T> kaiming_normal_(BasicTensor<T>, Generator&, double, FanMode,  \
                                          Nonlinearity);                                \
  template BasicTensor<T> orthogonal_(BasicTensor<T>, Generator&, double);

AXON_INSTANTIATE_INIT(float)
AXON_INSTANTIATE_INIT(double)
#undef AXON_INSTANTIATE_INIT

}  // namespace axon::nn::init
