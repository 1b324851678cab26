// SPDX-License-Identifier: MIT
#pragma once

#include "axon/autograd/tensor.hpp"

/// Fused recurrent-cell ops: one op turns a step's pre-activation gates into the new state, with a
/// hand-written backward, instead of a dozen small elementwise ops per time step. Gate layouts are
/// PyTorch's: LSTM [i, f, g, o] and GRU [r, z, n] blocks of H columns each. In float, sigmoid and
/// tanh use a vectorisable exp (a Cephes-style polynomial, within a few 1e-7 of libm); in double,
/// libm's. nn/rnn.cpp builds the LSTM and GRU layers from them. ShapeError (naming the op and the
/// shapes) for operands that do not fit. Under create_graph each backward runs in recorded ops
/// (the gates recomputed on the tape from the pre-activations), so it can be differentiated again.
namespace axon::autograd {

/// Rows [step*batch, (step+1)*batch) of a time-major sequence [T*batch, F], as [batch, F]: one
/// time step of a projection computed for all steps with one GEMM. The values are those of
/// slice(sequence, 0, step*batch, (step+1)*batch); unlike slice, backward adds into those rows of
/// the sequence's gradient in place, so T steps cost O(T*batch*F) rather than O(T^2*batch*F).
/// IndexError when the step is out of range, ShapeError when the rows are not a multiple of batch.
/// d sequence[rows] += g
template <class T>
BasicTensor<T> sequence_step(const BasicTensor<T>& sequence, std::size_t step, std::size_t batch);

/// One step's gates of an RNN or LSTM: rows [step*B, (step+1)*B) of the input projection
/// `sequence_gates` [T*B, G] plus h W^T, for h [B, H] and the hidden weights W [G, H]: one GEMM
/// onto the copied rows. Backward adds into those rows of the sequence's gradient in place (as
/// sequence_step), and, when W is itself a recorded tensor (not a leaf) that already holds a
/// gradient, adds g^T h into W's gradient in place. ShapeError / IndexError as sequence_step,
/// ShapeError when W is not [G, H].
/// d sequence_gates[rows] += g, dh = g W, dW = g^T h
template <class T>
BasicTensor<T> recurrent_gates(const BasicTensor<T>& sequence_gates, std::size_t step,
                               const BasicTensor<T>& h, const BasicTensor<T>& weight);

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
