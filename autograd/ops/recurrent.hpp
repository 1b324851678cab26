// SPDX-License-Identifier: MIT
#pragma once

#include "autograd/tensor.hpp"

/// Fused recurrent-cell ops: one op turns a step's pre-activation gates into the new state, with a
/// hand-written backward, instead of a dozen small elementwise ops per time step. Gate layouts are
/// PyTorch's: LSTM [i, f, g, o] and GRU [r, z, n] blocks of H columns each. nn/rnn.cpp builds
/// the LSTM and GRU layers from them. ShapeError (naming the op and the shapes) for operands that
/// do not fit.
namespace axon::autograd {

/// LSTM cell state from the pre-activation gates [B,4H] (blocks i, f, g, o; o is not read) and
/// the previous cell state [B,H]: c = sigmoid(f) c_prev + sigmoid(i) tanh(g).
/// d gates_i = dc tanh(g) i (1 - i), d gates_f = dc c_prev f (1 - f), d gates_g = dc i (1 - g^2),
/// d c_prev = dc f (i, f, g the activated gates)
template <class T>
BasicTensor<T> lstm_cell_state(const BasicTensor<T>& gates, const BasicTensor<T>& c_prev);

/// LSTM hidden state from the pre-activation gates [B,4H] (only block o is read) and the new
/// cell state [B,H]: h = sigmoid(o) tanh(c).
/// d gates_o = dh tanh(c) o (1 - o), dc = dh o (1 - tanh(c)^2)
template <class T>
BasicTensor<T> lstm_cell_output(const BasicTensor<T>& gates, const BasicTensor<T>& c);

/// GRU hidden state from the input gates x W_ih^T + b_ih [B,3H], the hidden gates
/// h_prev W_hh^T + b_hh [B,3H] (blocks r, z, n) and h_prev [B,H]:
/// r = sigmoid(xr + hr), z = sigmoid(xz + hz), n = tanh(xn + r hn), h = (1 - z) n + z h_prev.
/// dn' = dh (1 - z) (1 - n^2); d xn = dn', d hn = dn' r; d xr = d hr = dn' hn r (1 - r);
/// d xz = d hz = dh (h_prev - n) z (1 - z); d h_prev = dh z
template <class T>
BasicTensor<T> gru_cell(const BasicTensor<T>& input_gates, const BasicTensor<T>& hidden_gates,
                        const BasicTensor<T>& h_prev);

}  // namespace axon::autograd
