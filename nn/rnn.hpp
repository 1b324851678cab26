// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/random.hpp"
#include "axon/nn/module.hpp"
#include "axon/nn/rnn_cell.hpp"

/// Recurrent layers over whole sequences: RNN, LSTM, GRU, stacked and optionally bidirectional,
/// with PyTorch's parameter names (weight_ih_l0, bias_hh_l1_reverse, ...), gate layouts and
/// initialisation, so state dicts load from torch.nn.RNN / LSTM / GRU.
namespace axon::nn {

/// Options of LSTM: `LSTMOptions(28, 64).num_layers(2).batch_first(true)`.
class LSTMOptions {
 public:
  /// A layer reading `input_size` features per step and keeping `hidden_size` hidden units.
  LSTMOptions(std::size_t input_size, std::size_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}

  /// Features per input step.
  AXON_ARG(std::size_t, input_size);
  /// Hidden units per layer and direction.
  AXON_ARG(std::size_t, hidden_size);
  /// Stacked layers, each reading the previous one's output (default 1).
  AXON_ARG(std::size_t, num_layers) = 1;
  /// Whether to learn bias_ih and bias_hh (default: yes).
  AXON_ARG(bool, bias) = true;
  /// Input and output [B, T, F] instead of [T, B, F] (default: no).
  AXON_ARG(bool, batch_first) = false;
  /// Dropout on each layer's output but the last, in training (default 0).
  AXON_ARG(double, dropout) = 0.0;
  /// A second, reversed pass per layer; outputs concatenated (default: no).
  AXON_ARG(bool, bidirectional) = false;
};

/// Options of GRU: `GRUOptions(28, 64).num_layers(2).batch_first(true)`.
class GRUOptions {
 public:
  /// A layer reading `input_size` features per step and keeping `hidden_size` hidden units.
  GRUOptions(std::size_t input_size, std::size_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}

  /// Features per input step.
  AXON_ARG(std::size_t, input_size);
  /// Hidden units per layer and direction.
  AXON_ARG(std::size_t, hidden_size);
  /// Stacked layers, each reading the previous one's output (default 1).
  AXON_ARG(std::size_t, num_layers) = 1;
  /// Whether to learn bias_ih and bias_hh (default: yes).
  AXON_ARG(bool, bias) = true;
  /// Input and output [B, T, F] instead of [T, B, F] (default: no).
  AXON_ARG(bool, batch_first) = false;
  /// Dropout on each layer's output but the last, in training (default 0).
  AXON_ARG(double, dropout) = 0.0;
  /// A second, reversed pass per layer; outputs concatenated (default: no).
  AXON_ARG(bool, bidirectional) = false;
};

/// Options of RNN: `RNNOptions(28, 64).num_layers(2).batch_first(true)`.
class RNNOptions {
 public:
  /// A layer reading `input_size` features per step and keeping `hidden_size` hidden units.
  RNNOptions(std::size_t input_size, std::size_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}

  /// Features per input step.
  AXON_ARG(std::size_t, input_size);
  /// Hidden units per layer and direction.
  AXON_ARG(std::size_t, hidden_size);
  /// Stacked layers, each reading the previous one's output (default 1).
  AXON_ARG(std::size_t, num_layers) = 1;
  /// Whether to learn bias_ih and bias_hh (default: yes).
  AXON_ARG(bool, bias) = true;
  /// Input and output [B, T, F] instead of [T, B, F] (default: no).
  AXON_ARG(bool, batch_first) = false;
  /// Dropout on each layer's output but the last, in training (default 0).
  AXON_ARG(double, dropout) = 0.0;
  /// A second, reversed pass per layer; outputs concatenated (default: no).
  AXON_ARG(bool, bidirectional) = false;
  /// tanh (default) or relu.
  AXON_ARG(RNNNonlinearity, nonlinearity) = RNNNonlinearity::tanh;
};

/// What a recurrent layer returns: the output sequence [T, B, D*H] ([B, T, D*H] when
/// batch_first) and the final states h_n, c_n [L*D, B, H] (c_n undefined except for an LSTM).
template <class T>
struct RecurrentOutput {
  BasicTensor<T> output;  ///< output sequence [T, B, D*H] ([B, T, D*H] with batch_first)
  BasicTensor<T> h_n;     ///< final hidden state of every layer and direction [L*D, B, H]
  BasicTensor<T> c_n;     ///< final cell state [L*D, B, H] (LSTM only; undefined otherwise)
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
  using Tensor = BasicTensor<T>;  ///< the tensor type of inputs, outputs and parameters

  Tensor forward(const Tensor& x) override;
  /// Output sequence and final states from initial states `state` (see the class comment).
  RecurrentOutput<T> forward_with_state(const Tensor& x, const RecurrentState<T>& state);
  std::string name() const override { return kind_name(kind_); }
  std::string extra_repr() const override;

  RecurrentKind kind() const { return kind_; }              ///< RNN, LSTM or GRU
  std::size_t input_size() const { return input_size_; }    ///< features per time step of the input
  std::size_t hidden_size() const { return hidden_size_; }  ///< features of the hidden state H
  std::size_t num_layers() const { return num_layers_; }    ///< stacked layers L
  /// D: 2 when bidirectional, else 1.
  std::size_t num_directions() const { return bidirectional_ ? 2 : 1; }
  bool batch_first() const { return batch_first_; }  ///< whether inputs and outputs are [B, T, ...]
  /// The dropout Generator used when no scoped generator is set (autograd::GeneratorScope);
  /// seeded with 0 at construction, as Dropout's default.
  autograd::Generator& generator() { return dropout_gen_; }

 protected:
  /// Builds the layers, drawing from `gen`.
  template <class Options>
  BasicRecurrent(RecurrentKind kind, const Options& o, autograd::Generator& gen)
      : BasicRecurrent(kind, o.input_size(), o.hidden_size(), o.num_layers(), o.bias(),
                       o.batch_first(), o.dropout(), o.bidirectional(), gen) {}

 private:
  BasicRecurrent(RecurrentKind kind, std::size_t input_size, std::size_t hidden_size,
                 std::size_t num_layers, bool bias, bool batch_first, double dropout,
                 bool bidirectional, autograd::Generator& gen);
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
  using Options = RNNOptions;  ///< the options class this is built from
  /// Initialised from `gen` (which advances).
  BasicRNN(const RNNOptions& options, autograd::Generator& gen);
};

/// LSTM over a sequence (gates i, f, g, o, as torch.nn.LSTM).
template <class T>
class BasicLSTM : public BasicRecurrent<T> {
 public:
  using Options = LSTMOptions;  ///< the options class this is built from
  /// Initialised from `gen` (which advances).
  BasicLSTM(const LSTMOptions& options, autograd::Generator& gen)
      : BasicRecurrent<T>(RecurrentKind::lstm, options, gen) {}
};

/// GRU over a sequence (gates r, z, n, as torch.nn.GRU).
template <class T>
class BasicGRU : public BasicRecurrent<T> {
 public:
  using Options = GRUOptions;  ///< the options class this is built from
  /// Initialised from `gen` (which advances).
  BasicGRU(const GRUOptions& options, autograd::Generator& gen)
      : BasicRecurrent<T>(RecurrentKind::gru, options, gen) {}
};

using RNN = BasicRNN<float>;      ///< float32 elements
using RNND = BasicRNN<double>;    ///< float64 elements (gradient checks)
using LSTM = BasicLSTM<float>;    ///< float32 elements
using LSTMD = BasicLSTM<double>;  ///< float64 elements (gradient checks)
using GRU = BasicGRU<float>;      ///< float32 elements
using GRUD = BasicGRU<double>;    ///< float64 elements (gradient checks)

}  // namespace axon::nn
