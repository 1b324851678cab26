// SPDX-License-Identifier: MIT
// Positional encodings: the sinusoidal table, the learnt one, and the shared add of the first T
// rows (broadcast over the batch axis).
#include "axon/nn/positional.hpp"

#include <cmath>
#include <sstream>

#include "axon/autograd/error.hpp"
#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/shape.hpp"
#include "axon/nn/init.hpp"

namespace axon::nn {

namespace {

void check_options(const PositionalEncodingOptions& o, const std::string& where) {
  if (o.d_model() == 0 || o.max_len() == 0) {
    throw ValueError(where + ": d_model and max_len must be at least 1");
  }
}

/// x + table[:T], the rows broadcast over the batch: [T, B, D] gets table[:T] as [T, 1, D],
/// [B, T, D] and [T, D] get it as [T, D].
template <class T>
BasicTensor<T> add_positions(const BasicTensor<T>& x, const BasicTensor<T>& table,
                             const PositionalEncodingOptions& o, const std::string& where) {
  const auto& shape = x.shape();
  const bool ok_rank = x.dim() == 2 || x.dim() == 3;
  if (!ok_rank || shape.back() != o.d_model()) {
    throw ShapeError(where + ": input " + autograd::shape_str(shape) +
                     " must be [T, B, D], [B, T, D] (batch_first) or [T, D] with D = " +
                     std::to_string(o.d_model()));
  }
  const std::size_t time_axis = x.dim() == 3 && o.batch_first() ? 1 : 0;
  const std::size_t len = shape[time_axis];
  if (len > o.max_len()) {
    throw ShapeError(where + ": input " + autograd::shape_str(shape) + " has " +
                     std::to_string(len) + " positions, more than max_len " +
                     std::to_string(o.max_len()));
  }
  BasicTensor<T> rows = autograd::slice(table, 0, 0, static_cast<long>(len));
  if (x.dim() == 3 && !o.batch_first()) rows = autograd::unsqueeze(rows, 1);
  return autograd::add(x, rows);
}

}  // namespace

template <class T>
BasicSinusoidalPositionalEncoding<T>::BasicSinusoidalPositionalEncoding(
    const PositionalEncodingOptions& options)
    : options_(options) {
  check_options(options_, name() + "(" + extra_repr() + ")");
  const std::size_t D = options_.d_model();
  xt::xarray<T> pe = xt::zeros<T>({options_.max_len(), D});
  for (std::size_t t = 0; t < options_.max_len(); ++t) {
    for (std::size_t i = 0; i < D; i += 2) {
      // 1 / 10000^(i/D) as exp(-i ln(10000) / D), the form PyTorch's tutorial uses
      const double angle = static_cast<double>(t) *
                           std::exp(-static_cast<double>(i) * std::log(10000.0) / double(D));
      pe(t, i) = static_cast<T>(std::sin(angle));
      if (i + 1 < D) pe(t, i + 1) = static_cast<T>(std::cos(angle));
    }
  }
  pe_ = &this->register_buffer("pe", BasicTensor<T>(std::move(pe)));
}

template <class T>
auto BasicSinusoidalPositionalEncoding<T>::forward(const Tensor& x) -> Tensor {
  return add_positions(x, *pe_, options_, name() + "(" + extra_repr() + ")");
}

template <class T>
std::string BasicSinusoidalPositionalEncoding<T>::extra_repr() const {
  std::ostringstream os;
  os << "d_model=" << options_.d_model() << ", max_len=" << options_.max_len()
     << ", batch_first=" << (options_.batch_first() ? "true" : "false");
  return os.str();
}

template <class T>
BasicLearnedPositionalEncoding<T>::BasicLearnedPositionalEncoding(
    const PositionalEncodingOptions& options, autograd::Generator& gen)
    : options_(options) {
  check_options(options_, name() + "(" + extra_repr() + ")");
  weight_ = &this->register_parameter("weight",
                                      autograd::zeros<T>({options_.max_len(), options_.d_model()}));
  reset_parameters(gen);
}

template <class T>
void BasicLearnedPositionalEncoding<T>::reset_parameters(autograd::Generator& gen) {
  init::normal_(*weight_, gen, 0.0, 0.02);
}

template <class T>
auto BasicLearnedPositionalEncoding<T>::forward(const Tensor& x) -> Tensor {
  return add_positions(x, *weight_, options_, name() + "(" + extra_repr() + ")");
}

template <class T>
std::string BasicLearnedPositionalEncoding<T>::extra_repr() const {
  std::ostringstream os;
  os << "d_model=" << options_.d_model() << ", max_len=" << options_.max_len()
     << ", batch_first=" << (options_.batch_first() ? "true" : "false");
  return os.str();
}

template class BasicSinusoidalPositionalEncoding<float>;
template class BasicSinusoidalPositionalEncoding<double>;
template class BasicLearnedPositionalEncoding<float>;
template class BasicLearnedPositionalEncoding<double>;

}  // namespace axon::nn
