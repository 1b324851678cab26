// SPDX-License-Identifier: MIT
// The recurrent cells and the step function shared with the sequence layers (nn/rnn.cpp).
#include "axon/nn/rnn_cell.hpp"

#include <cmath>

#include "axon/autograd/ops/activations.hpp"
#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/linalg.hpp"
#include "axon/autograd/ops/recurrent.hpp"
#include "axon/nn/init.hpp"

namespace axon::nn {

std::size_t gate_count(RecurrentKind kind) {
  switch (kind) {
    case RecurrentKind::lstm:
      return 4;
    case RecurrentKind::gru:
      return 3;
    default:
      return 1;
  }
}

std::string kind_name(RecurrentKind kind) {
  switch (kind) {
    case RecurrentKind::lstm:
      return "LSTM";
    case RecurrentKind::gru:
      return "GRU";
    default:
      return "RNN";
  }
}

namespace detail {

template <class T>
RecurrentWeights<T> register_recurrent_weights(BasicModule<T>& module, const std::string& suffix,
                                               RecurrentKind kind, std::size_t input_size,
                                               std::size_t hidden_size, bool bias,
                                               autograd::Generator& gen) {
  if (input_size == 0 || hidden_size == 0) {  // 1/sqrt(hidden_size) init bound
    throw ValueError(module.name() + ": input_size and hidden_size must be at least 1 (got " +
                     std::to_string(input_size) + " and " + std::to_string(hidden_size) + ")");
  }
  const std::size_t rows = gate_count(kind) * hidden_size;
  RecurrentWeights<T> w;
  w.w_ih = &module.register_parameter("weight_ih" + suffix, autograd::zeros<T>({rows, input_size}));
  w.w_hh =
      &module.register_parameter("weight_hh" + suffix, autograd::zeros<T>({rows, hidden_size}));
  if (bias) {
    w.b_ih = &module.register_parameter("bias_ih" + suffix, autograd::zeros<T>({rows}));
    w.b_hh = &module.register_parameter("bias_hh" + suffix, autograd::zeros<T>({rows}));
  }
  // PyTorch: every parameter U(-1/sqrt(H), 1/sqrt(H)), in registration order.
  if (hidden_size > 0) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
    for (auto* p : {w.w_ih, w.w_hh, w.b_ih, w.b_hh}) {
      if (p) init::uniform_(*p, gen, -bound, bound);
    }
  }
  return w;
}

template <class T>
BasicTensor<T> input_gates(RecurrentKind kind, const BasicTensor<T>& x,
                           const RecurrentWeights<T>& weights) {
  if (!weights.b_ih) return autograd::linear(x, *weights.w_ih, BasicTensor<T>());
  if (kind == RecurrentKind::gru) return autograd::linear(x, *weights.w_ih, *weights.b_ih);
  return autograd::linear(x, *weights.w_ih, autograd::add(*weights.b_ih, *weights.b_hh));
}

template <class T>
void recurrent_step(RecurrentKind kind, const BasicTensor<T>& sequence_gates, std::size_t step,
                    const RecurrentWeights<T>& weights, RecurrentState<T>& state) {
  if (kind == RecurrentKind::gru) {
    // r scales the hidden projection of n, so it stays a separate [B,3H] tensor.
    const std::size_t batch = state.h.shape()[0];
    const BasicTensor<T> h_gates =
        autograd::linear(state.h, *weights.w_hh, weights.b_hh ? *weights.b_hh : BasicTensor<T>());
    state.h =
        autograd::gru_cell(autograd::sequence_step(sequence_gates, step, batch), h_gates, state.h);
    return;
  }
  // x_t W_ih^T + b_ih + b_hh + h W_hh^T   [B,G*H]
  const BasicTensor<T> gates =
      autograd::recurrent_gates(sequence_gates, step, state.h, *weights.w_hh);
  switch (kind) {
    case RecurrentKind::lstm:
      state.c = autograd::lstm_cell_state(gates, state.c);
      state.h = autograd::lstm_cell_output(gates, state.c);
      return;
    case RecurrentKind::rnn_relu:
      state.h = autograd::relu(gates);
      return;
    default:
      state.h = autograd::tanh(gates);
      return;
  }
}

}  // namespace detail

template <class T>
BasicRecurrentCell<T>::BasicRecurrentCell(RecurrentKind kind, std::size_t input_size,
                                          std::size_t hidden_size, bool bias,
                                          autograd::Generator& gen)
    : kind_(kind), input_size_(input_size), hidden_size_(hidden_size), bias_(bias) {
  weights_ =
      detail::register_recurrent_weights<T>(*this, "", kind, input_size, hidden_size, bias, gen);
}

template <class T>
auto BasicRecurrentCell<T>::forward(const Tensor& x) -> Tensor {
  return forward_with_state(x, {}).h;
}

template <class T>
RecurrentState<T> BasicRecurrentCell<T>::forward_with_state(const Tensor& x,
                                                            const RecurrentState<T>& state) {
  const std::string me = name() + "(" + extra_repr() + ")";
  if (x.dim() != 2 || x.shape()[1] != input_size_) {
    throw ShapeError(me + ": input of shape " + autograd::shape_str(x.shape()) +
                     " must be [batch, " + std::to_string(input_size_) + "]");
  }
  const std::size_t batch = x.shape()[0];
  if (batch == 0) {
    throw ShapeError(me + ": input of shape " + autograd::shape_str(x.shape()) +
                     " has no samples (an empty batch)");
  }
  const autograd::Shape want{batch, hidden_size_};
  const auto check = [&](const Tensor& s, const char* what) {
    if (s.defined() && s.shape() != want) {
      throw ShapeError(me + ": " + what + " of shape " + autograd::shape_str(s.shape()) +
                       " must be " + autograd::shape_str(want) + " for input " +
                       autograd::shape_str(x.shape()));
    }
  };
  check(state.h, "h");
  check(state.c, "c");
  if (state.c.defined() && kind_ != RecurrentKind::lstm) {
    throw ValueError(me + ": a cell state c is only taken by an LSTM cell");
  }
  if (kind_ == RecurrentKind::lstm && state.h.defined() != state.c.defined()) {
    throw ValueError(me + ": an LSTM cell takes both h and c or neither");
  }
  RecurrentState<T> next;
  next.h = state.h.defined() ? state.h : autograd::zeros<T>(want);
  if (kind_ == RecurrentKind::lstm) {
    next.c = state.c.defined() ? state.c : autograd::zeros<T>(want);
  }
  // x W_ih^T + b_ih (+ b_hh)   [B,in]x[in,G*H] -> [B,G*H]: a sequence of one step
  detail::recurrent_step(kind_, detail::input_gates(kind_, x, weights_), 0, weights_, next);
  return next;
}

template <class T>
std::string BasicRecurrentCell<T>::extra_repr() const {
  std::string s = "input_size=" + std::to_string(input_size_) +
                  ", hidden_size=" + std::to_string(hidden_size_) +
                  ", bias=" + (bias_ ? "true" : "false");
  if (kind_ == RecurrentKind::rnn_relu) s += ", nonlinearity=relu";
  return s;
}

namespace {
RecurrentKind rnn_kind(const RNNCellOptions& o) {
  return o.nonlinearity() == RNNNonlinearity::relu ? RecurrentKind::rnn_relu
                                                   : RecurrentKind::rnn_tanh;
}
}  // namespace

template <class T>
BasicRNNCell<T>::BasicRNNCell(const RNNCellOptions& o, autograd::Generator& gen)
    : BasicRecurrentCell<T>(rnn_kind(o), o.input_size(), o.hidden_size(), o.bias(), gen) {}
template <class T>
BasicLSTMCell<T>::BasicLSTMCell(const LSTMCellOptions& o, autograd::Generator& gen)
    : BasicRecurrentCell<T>(RecurrentKind::lstm, o.input_size(), o.hidden_size(), o.bias(), gen) {}
template <class T>
BasicGRUCell<T>::BasicGRUCell(const GRUCellOptions& o, autograd::Generator& gen)
    : BasicRecurrentCell<T>(RecurrentKind::gru, o.input_size(), o.hidden_size(), o.bias(), gen) {}

#define AXON_INSTANTIATE(T)                                                                        \
  template struct detail::RecurrentWeights<T>;                                                     \
  template detail::RecurrentWeights<T> detail::register_recurrent_weights<T>(                      \
      BasicModule<T>&, const std::string&, RecurrentKind, std::size_t, std::size_t, bool,          \
      autograd::Generator&);                                                                       \
  template BasicTensor<T> detail::input_gates<T>(RecurrentKind, const BasicTensor<T>&,             \
                                                 const detail::RecurrentWeights<T>&);              \
  template void detail::recurrent_step<T>(RecurrentKind, const BasicTensor<T>&, std::size_t,       \
                                          const detail::RecurrentWeights<T>&, RecurrentState<T>&); \
  template class BasicRecurrentCell<T>;                                                            \
  template class BasicRNNCell<T>;                                                                  \
  template class BasicLSTMCell<T>;                                                                 \
  template class BasicGRUCell<T>;

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::nn
