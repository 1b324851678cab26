// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/random.hpp"
#include "axon/nn/module.hpp"

/// Recurrent cells: one time step of an Elman RNN (tanh or relu), an LSTM or a GRU, with
/// PyTorch's gate layouts, parameter names (weight_ih, weight_hh, bias_ih, bias_hh) and default
/// initialisation, so state dicts load from torch.nn.RNNCell / LSTMCell / GRUCell. The layers
/// over whole sequences (nn/rnn.hpp) run the same step function.
namespace axon::nn {

/// Which recurrence a cell or layer computes.
enum class RecurrentKind { rnn_tanh, rnn_relu, lstm, gru };

/// The nonlinearity of an Elman RNN.
enum class RNNNonlinearity { tanh, relu };

/// Gate blocks per kind: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
std::size_t gate_count(RecurrentKind kind);
/// "RNN", "LSTM" or "GRU".
std::string kind_name(RecurrentKind kind);

/// A recurrent state: h [B,H] (or [L*D,B,H] for a layer) and, for an LSTM, c of the same shape
/// (undefined otherwise).
template <class T>
struct RecurrentState {
  BasicTensor<T> h;  ///< hidden state
  BasicTensor<T> c;  ///< cell state (LSTM only; undefined otherwise)
};

/// Options of LSTMCell: `LSTMCellOptions(28, 64).bias(false)`.
class LSTMCellOptions {
 public:
  /// A cell reading `input_size` features and keeping `hidden_size` hidden units.
  LSTMCellOptions(std::size_t input_size, std::size_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}

  /// Features per input row.
  AXON_ARG(std::size_t, input_size);
  /// Hidden units.
  AXON_ARG(std::size_t, hidden_size);
  /// Whether to learn bias_ih and bias_hh (default: yes).
  AXON_ARG(bool, bias) = true;
};

/// Options of GRUCell: `GRUCellOptions(28, 64).bias(false)`.
class GRUCellOptions {
 public:
  /// A cell reading `input_size` features and keeping `hidden_size` hidden units.
  GRUCellOptions(std::size_t input_size, std::size_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}

  /// Features per input row.
  AXON_ARG(std::size_t, input_size);
  /// Hidden units.
  AXON_ARG(std::size_t, hidden_size);
  /// Whether to learn bias_ih and bias_hh (default: yes).
  AXON_ARG(bool, bias) = true;
};

/// Options of RNNCell: `RNNCellOptions(28, 64).bias(false)`,
/// `.nonlinearity(RNNNonlinearity::relu)`.
class RNNCellOptions {
 public:
  /// A cell reading `input_size` features and keeping `hidden_size` hidden units.
  RNNCellOptions(std::size_t input_size, std::size_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}

  /// Features per input row.
  AXON_ARG(std::size_t, input_size);
  /// Hidden units.
  AXON_ARG(std::size_t, hidden_size);
  /// Whether to learn bias_ih and bias_hh (default: yes).
  AXON_ARG(bool, bias) = true;
  /// tanh (default) or relu.
  AXON_ARG(RNNNonlinearity, nonlinearity) = RNNNonlinearity::tanh;
};

namespace detail {

/// Registers weight_ih<suffix> [G*H, in], weight_hh<suffix> [G*H, H] and, with `bias`,
/// bias_ih<suffix> and bias_hh<suffix> [G*H] on `module`, drawn U(-1/sqrt(H), 1/sqrt(H)) from
/// `gen` in that order (PyTorch's reset_parameters). Returns the four slots (biases may be null).
template <class T>
struct RecurrentWeights {
  BasicTensor<T>* w_ih = nullptr;
  BasicTensor<T>* w_hh = nullptr;
  BasicTensor<T>* b_ih = nullptr;
  BasicTensor<T>* b_hh = nullptr;
};
template <class T>
RecurrentWeights<T> register_recurrent_weights(BasicModule<T>& module, const std::string& suffix,
                                               RecurrentKind kind, std::size_t input_size,
                                               std::size_t hidden_size, bool bias,
                                               autograd::Generator& gen);

/// The input projection of all steps at once, x [N, in] -> [N, G*H]: x W_ih^T + b_ih, plus
/// b_hh for RNN and LSTM, whose steps then add h W_hh^T only (b_hh receives the same gradient
/// as b_ih either way). The GRU keeps b_hh in its step, where r scales W_hn h + b_hn.
template <class T>
BasicTensor<T> input_gates(RecurrentKind kind, const BasicTensor<T>& x,
                           const RecurrentWeights<T>& weights);

/// Time step `step` from the input projection `sequence_gates` [T*B, G*H] (input_gates of the
/// time-major input): replaces `state.h` (and `state.c` for an LSTM) with the next state.
/// Recorded ops: recurrent_gates + the fused LSTM cell ops or add-free tanh/relu (RNN);
/// sequence_step + linear + gru_cell (GRU).
template <class T>
void recurrent_step(RecurrentKind kind, const BasicTensor<T>& sequence_gates, std::size_t step,
                    const RecurrentWeights<T>& weights, RecurrentState<T>& state);

}  // namespace detail

/// One recurrent step as a module: the common part of RNNCell, LSTMCell and GRUCell.
///
/// forward(x) maps x [B, in] to the next h [B, H] from a zero state; forward_with_state(x, state)
/// takes state.h [B, H] (and state.c [B, H] for an LSTM, which takes both or neither, a
/// ValueError otherwise; undefined ones mean zeros) and
/// returns the next state (c undefined for RNN and GRU). Inputs must be 2-D (PyTorch also takes
/// an unbatched [in]); other shapes are ShapeErrors naming the cell and the shapes.
template <class T>
class BasicRecurrentCell : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;  ///< the tensor type of inputs, outputs and parameters

  Tensor forward(const Tensor& x) override;
  /// The next state from `state` (see the class comment).
  RecurrentState<T> forward_with_state(const Tensor& x, const RecurrentState<T>& state);
  std::string name() const override { return kind_name(kind_) + "Cell"; }
  std::string extra_repr() const override;

  RecurrentKind kind() const { return kind_; }              ///< RNN, LSTM or GRU
  std::size_t input_size() const { return input_size_; }    ///< features of the input x
  std::size_t hidden_size() const { return hidden_size_; }  ///< features of the hidden state H

 protected:
  /// Draws the weights from `gen`.
  BasicRecurrentCell(RecurrentKind kind, std::size_t input_size, std::size_t hidden_size, bool bias,
                     autograd::Generator& gen);

 private:
  RecurrentKind kind_;
  std::size_t input_size_, hidden_size_;
  bool bias_;
  detail::RecurrentWeights<T> weights_;
};

/// Elman RNN cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).
template <class T>
class BasicRNNCell : public BasicRecurrentCell<T> {
 public:
  using Options = RNNCellOptions;  ///< the options class this is built from
  /// Initialised from `gen` (which advances).
  BasicRNNCell(const RNNCellOptions& options, autograd::Generator& gen);
};

/// LSTM cell, gates [i, f, g, o]: c' = f c + i g, h' = o tanh(c').
template <class T>
class BasicLSTMCell : public BasicRecurrentCell<T> {
 public:
  using Options = LSTMCellOptions;  ///< the options class this is built from
  /// Initialised from `gen` (which advances).
  BasicLSTMCell(const LSTMCellOptions& options, autograd::Generator& gen);
};

/// GRU cell, gates [r, z, n]: n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h.
template <class T>
class BasicGRUCell : public BasicRecurrentCell<T> {
 public:
  using Options = GRUCellOptions;  ///< the options class this is built from
  /// Initialised from `gen` (which advances).
  BasicGRUCell(const GRUCellOptions& options, autograd::Generator& gen);
};

using RNNCell = BasicRNNCell<float>;      ///< float32 elements
using RNNCellD = BasicRNNCell<double>;    ///< float64 elements (gradient checks)
using LSTMCell = BasicLSTMCell<float>;    ///< float32 elements
using LSTMCellD = BasicLSTMCell<double>;  ///< float64 elements (gradient checks)
using GRUCell = BasicGRUCell<float>;      ///< float32 elements
using GRUCellD = BasicGRUCell<double>;    ///< float64 elements (gradient checks)

}  // namespace axon::nn
