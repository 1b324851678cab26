// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/random.hpp"
#include "nn/module.hpp"
#include "nn/rnn_cell.hpp"

/// Recurrent layers over whole sequences: RNN, LSTM, GRU, stacked and optionally bidirectional,
/// with PyTorch's parameter names (weight_ih_l0, bias_hh_l1_reverse, ...), gate layouts and
/// initialisation, so state dicts load from torch.nn.RNN / LSTM / GRU.
namespace axon::nn {

/// Options shared by the layers: `LSTMOptions(28, 64).num_layers(2).batch_first(true)`.
template <class Derived>
struct RecurrentOptionsBase {
  /// A layer reading `input_size` features per step and keeping `hidden_size` hidden units.
  RecurrentOptionsBase(std::size_t input_size, std::size_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}

  std::size_t input_size_;
  std::size_t hidden_size_;
  std::size_t num_layers_ = 1;  ///< stacked layers, each reading the previous one's output
  bool bias_ = true;            ///< whether to learn bias_ih and bias_hh
  bool batch_first_ = false;    ///< input and output [B, T, F] instead of [T, B, F]
  double dropout_ = 0.0;        ///< dropout on each layer's output but the last, in training
  bool bidirectional_ = false;  ///< a second, reversed pass per layer; outputs concatenated
  std::uint64_t seed_ = 0;      ///< seed of the init draws (and the dropout stream)

  Derived& num_layers(std::size_t v) { return num_layers_ = v, self(); }
  Derived& bias(bool v) { return bias_ = v, self(); }
  Derived& batch_first(bool v) { return batch_first_ = v, self(); }
  Derived& dropout(double v) { return dropout_ = v, self(); }
  Derived& bidirectional(bool v) { return bidirectional_ = v, self(); }
  Derived& seed(std::uint64_t v) { return seed_ = v, self(); }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

/// Options of LSTM.
struct LSTMOptions : RecurrentOptionsBase<LSTMOptions> {
  using RecurrentOptionsBase::RecurrentOptionsBase;
};
/// Options of GRU.
struct GRUOptions : RecurrentOptionsBase<GRUOptions> {
  using RecurrentOptionsBase::RecurrentOptionsBase;
};
/// Options of RNN; `RNNOptions(8, 16).nonlinearity(RNNNonlinearity::relu)`.
struct RNNOptions : RecurrentOptionsBase<RNNOptions> {
  using RecurrentOptionsBase::RecurrentOptionsBase;
  RNNNonlinearity nonlinearity_ = RNNNonlinearity::tanh;  ///< tanh (default) or relu
  RNNOptions& nonlinearity(RNNNonlinearity v) { return nonlinearity_ = v, *this; }
};

/// What a recurrent layer returns: the output sequence [T, B, D*H] ([B, T, D*H] when
/// batch_first) and the final states h_n, c_n [L*D, B, H] (c_n undefined except for an LSTM).
template <class T>
struct RecurrentOutput {
  BasicTensor<T> output;
  BasicTensor<T> h_n;
  BasicTensor<T> c_n;
};

/// The common part of RNN, LSTM and GRU.
///
/// Input x [T, B, in] ([B, T, in] with batch_first; 2-D unbatched input is not accepted).
/// forward(x) returns the output sequence; forward_with_state(x, state) also takes the initial
/// states h0 (and c0 for an LSTM) [L*D, B, H] (undefined: zeros; an LSTM needs both or neither)
/// and returns {output, h_n, c_n}. Each layer and direction computes its input projection for
/// all time steps with one GEMM, then steps through time; gradients flow back through time on the
/// tape. Wrong ranks or sizes are ShapeErrors naming the layer and the shapes.
template <class T>
class BasicRecurrent : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;

  Tensor forward(const Tensor& x) override;
  /// Output sequence and final states from initial states `state` (see the class comment).
  RecurrentOutput<T> forward_with_state(const Tensor& x, const RecurrentState<T>& state);
  std::string name() const override { return kind_name(kind_); }
  std::string extra_repr() const override;

  RecurrentKind kind() const { return kind_; }
  std::size_t input_size() const { return input_size_; }
  std::size_t hidden_size() const { return hidden_size_; }
  std::size_t num_layers() const { return num_layers_; }
  std::size_t num_directions() const { return bidirectional_ ? 2 : 1; }
  bool batch_first() const { return batch_first_; }
  /// The dropout Generator used when no scoped generator is set (autograd::GeneratorScope).
  autograd::Generator& generator() { return dropout_gen_; }

 protected:
  /// Builds the layers, drawing from `gen`, or from a Generator seeded with `seed` when null.
  template <class Options>
  BasicRecurrent(RecurrentKind kind, const Options& o, autograd::Generator* gen)
      : BasicRecurrent(kind, o.input_size_, o.hidden_size_, o.num_layers_, o.bias_, o.batch_first_,
                       o.dropout_, o.bidirectional_, o.seed_, gen) {}

 private:
  BasicRecurrent(RecurrentKind kind, std::size_t input_size, std::size_t hidden_size,
                 std::size_t num_layers, bool bias, bool batch_first, double dropout,
                 bool bidirectional, std::uint64_t seed, autograd::Generator* gen);
  /// One direction of one layer over x [T, B, F]; returns [T, B, H] and updates `state`.
  Tensor run_direction(const Tensor& x, const detail::RecurrentWeights<T>& weights, bool reverse,
                       RecurrentState<T>& state);
  Tensor drop(const Tensor& x);

  RecurrentKind kind_;
  std::size_t input_size_, hidden_size_, num_layers_;
  bool bias_, batch_first_;
  double dropout_;
  bool bidirectional_;
  autograd::Generator dropout_gen_;
  std::vector<detail::RecurrentWeights<T>> weights_;  // [layer * D + direction]
};

/// Elman RNN over a sequence: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).
template <class T>
class BasicRNN : public BasicRecurrent<T> {
 public:
  explicit BasicRNN(const RNNOptions& options);
  BasicRNN(const RNNOptions& options, autograd::Generator& gen);
};

/// LSTM over a sequence (gates i, f, g, o, as torch.nn.LSTM).
template <class T>
class BasicLSTM : public BasicRecurrent<T> {
 public:
  explicit BasicLSTM(const LSTMOptions& options)
      : BasicRecurrent<T>(RecurrentKind::lstm, options, nullptr) {}
  BasicLSTM(const LSTMOptions& options, autograd::Generator& gen)
      : BasicRecurrent<T>(RecurrentKind::lstm, options, &gen) {}
};

/// GRU over a sequence (gates r, z, n, as torch.nn.GRU).
template <class T>
class BasicGRU : public BasicRecurrent<T> {
 public:
  explicit BasicGRU(const GRUOptions& options)
      : BasicRecurrent<T>(RecurrentKind::gru, options, nullptr) {}
  BasicGRU(const GRUOptions& options, autograd::Generator& gen)
      : BasicRecurrent<T>(RecurrentKind::gru, options, &gen) {}
};

using RNN = BasicRNN<float>;
using RNND = BasicRNN<double>;
using LSTM = BasicLSTM<float>;
using LSTMD = BasicLSTM<double>;
using GRU = BasicGRU<float>;
using GRUD = BasicGRU<double>;

}  // namespace axon::nn
