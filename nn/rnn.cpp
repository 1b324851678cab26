// SPDX-License-Identifier: MIT
// The recurrent layers: per layer and direction one GEMM for the input projection of every time
// step, then the step function of nn/rnn_cell.cpp through time.
#include "axon/nn/rnn.hpp"

#include <sstream>

#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/linalg.hpp"
#include "axon/autograd/ops/recurrent.hpp"
#include "axon/autograd/ops/shape.hpp"

namespace axon::nn {

template <class T>
BasicRNN<T>::BasicRNN(const RNNOptions& o, autograd::Generator& gen)
    : BasicRecurrent<T>(o.nonlinearity() == RNNNonlinearity::relu ? RecurrentKind::rnn_relu
                                                                  : RecurrentKind::rnn_tanh,
                        o, gen) {}

template <class T>
BasicRecurrent<T>::BasicRecurrent(RecurrentKind kind, std::size_t input_size,
                                  std::size_t hidden_size, std::size_t num_layers, bool bias,
                                  bool batch_first, double dropout, bool bidirectional,
                                  autograd::Generator& gen)
    : kind_(kind),
      input_size_(input_size),
      hidden_size_(hidden_size),
      num_layers_(num_layers),
      bias_(bias),
      batch_first_(batch_first),
      dropout_(dropout),
      bidirectional_(bidirectional),
      dropout_gen_(0) {
  if (hidden_size == 0 || num_layers == 0) {
    throw ValueError(kind_name(kind) + ": hidden_size and num_layers must be positive (got " +
                     std::to_string(hidden_size) + " and " + std::to_string(num_layers) + ")");
  }
  if (!(dropout >= 0.0 && dropout < 1.0)) {
    std::ostringstream os;
    os << kind_name(kind) << ": dropout must be in [0, 1), got " << dropout;
    throw ValueError(os.str());
  }
  const std::size_t directions = num_directions();
  for (std::size_t layer = 0; layer < num_layers; ++layer) {
    const std::size_t in = layer == 0 ? input_size : hidden_size * directions;
    for (std::size_t d = 0; d < directions; ++d) {
      const std::string suffix = "_l" + std::to_string(layer) + (d == 1 ? "_reverse" : "");
      weights_.push_back(
          detail::register_recurrent_weights<T>(*this, suffix, kind, in, hidden_size, bias, gen));
    }
  }
}

template <class T>
auto BasicRecurrent<T>::forward(const Tensor& x) -> Tensor {
  return forward_with_state(x, {}).output;
}

template <class T>
auto BasicRecurrent<T>::run_direction(const Tensor& x, const detail::RecurrentWeights<T>& w,
                                      bool reverse, RecurrentState<T>& state) -> Tensor {
  const std::size_t steps = x.shape()[0], batch = x.shape()[1];
  // Input gates of every step at once: x W_ih^T + b_ih (+ b_hh)   [T*B,F]x[F,G*H] -> [T*B,G*H]
  const Tensor x_gates =
      detail::input_gates(kind_, autograd::reshape(x, {static_cast<long>(steps * batch), -1}), w);
  // RNN and LSTM steps read W_hh through one recorded copy per sequence, into whose gradient
  // each step's backward adds g^T h in place (no [G*H, H] array per step).
  detail::RecurrentWeights<T> step_weights = w;
  Tensor w_hh_copy;
  if (kind_ != RecurrentKind::gru && steps > 1) {
    w_hh_copy = autograd::reshape(*w.w_hh, {-1, static_cast<long>(hidden_size_)});
    step_weights.w_hh = &w_hh_copy;
  }
  std::vector<Tensor> hs(steps);
  for (std::size_t s = 0; s < steps; ++s) {
    const std::size_t t = reverse ? steps - 1 - s : s;
    detail::recurrent_step(kind_, x_gates, t, step_weights, state);
    hs[t] = state.h;
  }
  return autograd::stack(hs, 0);  // [T,B,H]
}

template <class T>
auto BasicRecurrent<T>::drop(const Tensor& x) -> Tensor {
  if (!this->is_training() || dropout_ == 0.0) return x;
  // Inverted dropout as nn/dropout.cpp: a shard's scoped generator takes precedence.
  const T keep_scale = static_cast<T>(1.0 / (1.0 - dropout_));
  autograd::Generator* scoped = autograd::scoped_generator();
  autograd::Generator& gen = scoped ? *scoped : dropout_gen_;
  xt::xarray<T> mask = xt::xarray<T>::from_shape(x.shape());
  for (auto& m : mask) m = gen.uniform() < dropout_ ? T(0) : keep_scale;
  return autograd::mul(x, Tensor(std::move(mask)));
}

template <class T>
RecurrentOutput<T> BasicRecurrent<T>::forward_with_state(const Tensor& x,
                                                         const RecurrentState<T>& state) {
  const std::string me = name() + "(" + extra_repr() + ")";
  const std::string layout = batch_first_ ? "[batch, seq_len, " : "[seq_len, batch, ";
  if (x.dim() != 3 || x.shape()[2] != input_size_) {
    throw ShapeError(me + ": input of shape " + autograd::shape_str(x.shape()) + " must be " +
                     layout + std::to_string(input_size_) + "]");
  }
  const std::size_t steps = x.shape()[batch_first_ ? 1 : 0];
  const std::size_t batch = x.shape()[batch_first_ ? 0 : 1];
  if (steps == 0 || batch == 0) {
    throw ShapeError(me + ": input of shape " + autograd::shape_str(x.shape()) + " has no " +
                     (steps == 0 ? "time steps" : "samples (an empty batch)"));
  }
  const std::size_t directions = num_directions();
  const autograd::Shape want{num_layers_ * directions, batch, hidden_size_};
  const auto check = [&](const Tensor& s, const char* what) {
    if (s.defined() && s.shape() != want) {
      throw ShapeError(me + ": " + what + " of shape " + autograd::shape_str(s.shape()) +
                       " must be " + autograd::shape_str(want) + " for input " +
                       autograd::shape_str(x.shape()));
    }
  };
  check(state.h, "h0");
  check(state.c, "c0");
  if (kind_ != RecurrentKind::lstm && state.c.defined()) {
    throw ValueError(me + ": an initial cell state c0 is only taken by an LSTM");
  }
  if (kind_ == RecurrentKind::lstm && state.h.defined() != state.c.defined()) {
    throw ValueError(me + ": an LSTM takes both h0 and c0 or neither");
  }

  // Time-major inside: [T, B, F].
  Tensor input = batch_first_ ? autograd::transpose(x, 0, 1) : x;
  const auto initial = [&](const Tensor& s, std::size_t k) {
    if (!s.defined()) return autograd::zeros<T>({batch, hidden_size_});
    const auto at = static_cast<long>(k);
    return autograd::reshape(autograd::slice(s, 0, at, at + 1),
                             {static_cast<long>(batch), static_cast<long>(hidden_size_)});
  };
  std::vector<Tensor> h_n, c_n;
  for (std::size_t layer = 0; layer < num_layers_; ++layer) {
    std::vector<Tensor> outputs;
    for (std::size_t d = 0; d < directions; ++d) {
      const std::size_t k = layer * directions + d;
      RecurrentState<T> s{initial(state.h, k), Tensor()};
      if (kind_ == RecurrentKind::lstm) s.c = initial(state.c, k);
      outputs.push_back(run_direction(input, weights_[k], d == 1, s));
      h_n.push_back(s.h);
      if (kind_ == RecurrentKind::lstm) c_n.push_back(s.c);
    }
    input = directions == 1 ? outputs[0] : autograd::concat(outputs, 2);  // [T,B,D*H]
    if (layer + 1 < num_layers_) input = drop(input);
  }
  RecurrentOutput<T> out;
  out.output = batch_first_ ? autograd::transpose(input, 0, 1) : input;
  out.h_n = autograd::stack(h_n, 0);
  if (kind_ == RecurrentKind::lstm) out.c_n = autograd::stack(c_n, 0);
  return out;
}

template <class T>
std::string BasicRecurrent<T>::extra_repr() const {
  std::ostringstream os;
  os << "input_size=" << input_size_ << ", hidden_size=" << hidden_size_
     << ", num_layers=" << num_layers_ << ", bias=" << (bias_ ? "true" : "false")
     << ", batch_first=" << (batch_first_ ? "true" : "false") << ", dropout=" << dropout_
     << ", bidirectional=" << (bidirectional_ ? "true" : "false");
  if (kind_ == RecurrentKind::rnn_relu) os << ", nonlinearity=relu";
  return os.str();
}

template class BasicRecurrent<float>;
template class BasicRecurrent<double>;
template class BasicRNN<float>;
template class BasicRNN<double>;
template class BasicLSTM<float>;
template class BasicLSTM<double>;
template class BasicGRU<float>;
template class BasicGRU<double>;

}  // namespace axon::nn
