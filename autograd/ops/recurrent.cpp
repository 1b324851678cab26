// SPDX-License-Identifier: MIT
// The recurrent ops: a time step's rows of an all-steps projection (sequence_step, and
// recurrent_gates with the hidden GEMM), whose backward adds into those rows in place, and the
// fused LSTM and GRU cell ops, whose forward loops over [B,H] with the gate blocks read in place
// and saves the activated gates the backward needs. Each backward sits under its forward.
#include "axon/autograd/ops/recurrent.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "axon/autograd/blas.hpp"
#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/activations.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/linalg.hpp"
#include "axon/autograd/ops/shape.hpp"
#include "axon/autograd/ops/windows.hpp"
#include "axon/autograd/vector_math.hpp"

namespace axon::autograd {

namespace {

using detail::placed;
using detail::window;
using vector_math::sigmoid_n;
using vector_math::tanh_n;

/// Checks gates [B, blocks*H] against a state [B, H]; returns H.
std::size_t check_gates(const char* op, const Shape& gates, const Shape& state, std::size_t blocks,
                        const char* state_name) {
  if (gates.size() != 2 || state.size() != 2 || gates[0] != state[0] ||
      gates[1] != blocks * state[1]) {
    throw ShapeError(std::string(op) + ": gates " + shape_str(gates) + " and " + state_name + " " +
                     shape_str(state) + ": expected gates [B," + std::to_string(blocks) +
                     "*H] and " + state_name + " [B,H]");
  }
  return state[1];
}

/// Checks a time-major sequence [steps*batch, F] and a step in it; returns the step's first
/// element.
std::size_t step_offset(const char* op, const Shape& s, std::size_t step, std::size_t batch) {
  if (s.size() != 2 || batch == 0 || s[0] % batch != 0) {
    throw ShapeError(std::string(op) + ": sequence " + shape_str(s) + ", batch " +
                     std::to_string(batch) + ": expected [steps*batch, features]");
  }
  const std::size_t steps = s[0] / batch;
  if (step >= steps) {
    throw IndexError(std::string(op) + ": step " + std::to_string(step) + " of a sequence " +
                     shape_str(s) + " with " + std::to_string(steps) + " steps of batch " +
                     std::to_string(batch));
  }
  return step * batch * s[1];
}

/// Adds g (`count` elements) into the sequence's gradient at `offset`. A recorded sequence that
/// already holds a gradient takes it in place; otherwise (the first step seen, a leaf, anomaly
/// mode) it goes through accumulate_grad as a full-size array.
template <class T>
void accumulate_step_grad(TensorImpl<T>& seq, std::size_t offset, std::size_t count, const T* g) {
  if (seq.has_grad && seq.graph_id != 0 && !anomaly_enabled()) {
    T* dst = seq.grad.data() + offset;
    for (std::size_t k = 0; k < count; ++k) dst[k] += g[k];
    return;
  }
  xt::xarray<T> d = xt::xarray<T>::from_shape(seq.value.shape());
  std::fill_n(d.data(), d.size(), T(0));
  std::copy_n(g, count, d.data() + offset);
  accumulate_grad(seq, std::move(d));
}

// Row kernels of the LSTM backward. Separate __restrict arguments let the compiler vectorise
// them (with the pointers as locals of one lambda it assumed they might overlap).

/// di += dc g i (1 - i), df += dc c_prev f (1 - f), dg += dc i (1 - g^2) over one row.
template <class T>
void lstm_state_grad_row(const T* __restrict dc, const T* __restrict ai, const T* __restrict af,
                         const T* __restrict ag, const T* __restrict cp, T* __restrict di,
                         T* __restrict df, T* __restrict dg, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) {
    di[j] += dc[j] * ag[j] * ai[j] * (T(1) - ai[j]);
    df[j] += dc[j] * cp[j] * af[j] * (T(1) - af[j]);
    dg[j] += dc[j] * ai[j] * (T(1) - ag[j] * ag[j]);
  }
}

/// y = a b over one row.
template <class T>
void product_row(const T* __restrict a, const T* __restrict b, T* __restrict y, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) y[j] = a[j] * b[j];
}

/// do = dh tanh(c) o (1 - o) and dc = dh o (1 - tanh(c)^2) over one row (either may be null).
template <class T>
void lstm_output_grad_row(const T* __restrict dh, const T* __restrict ao, const T* __restrict tc,
                          T* __restrict d_o, T* __restrict dc, std::size_t n) {
  if (d_o) {
    for (std::size_t j = 0; j < n; ++j) d_o[j] = dh[j] * tc[j] * ao[j] * (T(1) - ao[j]);
  }
  if (dc) {
    for (std::size_t j = 0; j < n; ++j) dc[j] = dh[j] * ao[j] * (T(1) - tc[j] * tc[j]);
  }
}

/// Column block k (of width h) of gates [B, blocks*h].
template <class T>
BasicTensor<T> gate(const BasicTensor<T>& gates, std::size_t k, std::size_t h) {
  return window(gates, 0, gates.shape()[0], k * h, h);
}

/// Blocks d[k] [B, h] (undefined: zero) placed side by side as gates [B, d.size()*h].
template <class T>
BasicTensor<T> gates_of(const std::vector<BasicTensor<T>>& d, std::size_t batch, std::size_t h) {
  BasicTensor<T> sum;
  for (std::size_t k = 0; k < d.size(); ++k) {
    if (!d[k].defined()) continue;
    BasicTensor<T> p = placed(d[k], 0, k * h, batch, d.size() * h);
    sum = sum.defined() ? sum + p : p;
  }
  return sum;
}

}  // namespace

template <class T>
BasicTensor<T> sequence_step(const BasicTensor<T>& sequence, std::size_t step, std::size_t batch) {
  const std::size_t offset = step_offset("sequence_step", sequence.shape(), step, batch);
  const std::size_t width = sequence.shape()[1], count = batch * width;
  xt::xarray<T> out = xt::xarray<T>::from_shape({batch, width});
  std::copy_n(sequence.data_ptr() + offset, count, out.data());
  auto is = sequence.impl_ptr();
  return make_result<T>("sequence_step", std::move(out), {&sequence},
                        [is, offset, count](const auto& g, const auto&) -> void {
                          if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
                            const Shape& s = is->value.shape();
                            detail::add_grad(is, placed(g, offset / s[1], 0, s[0], s[1]));
                          } else {
                            accumulate_step_grad(*is, offset, count, g.data());
                          }
                        });
}

/// recurrent_gates' backward: the inputs it reads, and its rule.
template <class T>
struct RecurrentGatesBackward {
  std::shared_ptr<TensorImpl<T>> sequence_gates, h, weight;
  std::size_t offset, batch, hidden, width;
  void operator()(const xt::xarray<T>& g, const xt::xarray<T>& out) const;
  void operator()(const BasicTensor<T>& g, const BasicTensor<T>& out) const;  // recorded
};

template <class T>
BasicTensor<T> recurrent_gates(const BasicTensor<T>& sequence_gates, std::size_t step,
                               const BasicTensor<T>& h, const BasicTensor<T>& weight) {
  const Shape& sh = h.shape();
  const Shape& sw = weight.shape();
  const Shape& ss = sequence_gates.shape();
  if (sh.size() != 2 || sw.size() != 2 || ss.size() != 2 || sw[0] != ss[1] || sw[1] != sh[1]) {
    throw ShapeError("recurrent_gates: sequence " + shape_str(ss) + ", h " + shape_str(sh) +
                     ", weight " + shape_str(sw) + ": expected [T*B,G], [B,H] and [G,H]");
  }
  const std::size_t batch = sh[0], hidden = sh[1], width = sw[0];
  const std::size_t offset = step_offset("recurrent_gates", ss, step, batch);
  xt::xarray<T> out = xt::xarray<T>::from_shape({batch, width});
  std::copy_n(sequence_gates.data_ptr() + offset, batch * width, out.data());
  // gates = x_t + h W^T   [B,H]x[H,G] -> [B,G], onto the copied rows (beta = 1)
  blas::gemm(blas::Op::none, blas::Op::trans, batch, width, hidden, T(1), h.data_ptr(),
             weight.data_ptr(), T(1), out.data());
  return make_result<T>("recurrent_gates", std::move(out), {&sequence_gates, &h, &weight},
                        RecurrentGatesBackward<T>{sequence_gates.impl_ptr(), h.impl_ptr(),
                                                  weight.impl_ptr(), offset, batch, hidden, width});
}

template <class T>
void RecurrentGatesBackward<T>::operator()(const xt::xarray<T>& g, const xt::xarray<T>&) const {
  const T* pg = g.data();
  if (h->requires_grad) {
    // dh = g W   [B,G]x[G,H] -> [B,H]
    xt::xarray<T> dh = xt::xarray<T>::from_shape({batch, hidden});
    blas::gemm(blas::Op::none, blas::Op::none, batch, hidden, width, T(1), pg, weight->value.data(),
               T(0), dh.data());
    accumulate_grad(*h, std::move(dh));
  }
  if (weight->requires_grad && weight->has_grad && weight->graph_id != 0 && !anomaly_enabled()) {
    // A recorded weight (nn/rnn.cpp passes one copy per sequence) that already holds a
    // gradient: dW += g^T h in place, one GEMM with beta = 1.
    blas::gemm(blas::Op::trans, blas::Op::none, width, hidden, batch, T(1), pg, h->value.data(),
               T(1), weight->grad.data());
  } else if (weight->requires_grad) {
    // dW = g^T h   [G,B]x[B,H] -> [G,H]
    xt::xarray<T> dw = xt::xarray<T>::from_shape({width, hidden});
    blas::gemm(blas::Op::trans, blas::Op::none, width, hidden, batch, T(1), pg, h->value.data(),
               T(0), dw.data());
    accumulate_grad(*weight, std::move(dw));
  }
  if (sequence_gates->requires_grad) {
    accumulate_step_grad(*sequence_gates, offset, batch * width, pg);
  }
}

template <class T>
void RecurrentGatesBackward<T>::operator()(const BasicTensor<T>& g, const BasicTensor<T>&) const {
  if (h->requires_grad) detail::add_grad(h, matmul(g, BasicTensor<T>(weight)));
  if (weight->requires_grad)
    detail::add_grad(weight, matmul(transpose(g, 0, 1), BasicTensor<T>(h)));
  if (sequence_gates->requires_grad) {
    const Shape& s = sequence_gates->value.shape();
    detail::add_grad(sequence_gates, placed(g, offset / width, 0, s[0], s[1]));
  }
}

/// lstm_cell_state's backward: the inputs and the activated gates it reads, and its rule.
template <class T>
struct LstmCellStateBackward {
  std::shared_ptr<TensorImpl<T>> gates, c_prev;
  xt::xarray<T> act;  // per row: the activated i, f, g, [B,3H]
  std::size_t batch, hidden;
  void operator()(const xt::xarray<T>& g, const xt::xarray<T>& out) const;
  void operator()(const BasicTensor<T>& g, const BasicTensor<T>& out) const;  // recorded
};

template <class T>
BasicTensor<T> lstm_cell_state(const BasicTensor<T>& gates, const BasicTensor<T>& c_prev) {
  const std::size_t hidden =
      check_gates("lstm_cell_state", gates.shape(), c_prev.shape(), 4, "c_prev");
  const std::size_t batch = c_prev.shape()[0];
  xt::xarray<T> c = xt::xarray<T>::from_shape(c_prev.shape());
  // The activated i, f, g per row, [B,3H], for backward.
  xt::xarray<T> act = xt::xarray<T>::from_shape({batch, 3 * hidden});
  const T* pg = gates.data_ptr();
  const T* pc = c_prev.data_ptr();
  T* pa = act.data();
  T* out = c.data();
  for (std::size_t b = 0; b < batch; ++b) {
    const T* gi = pg + b * 4 * hidden;
    T* ai = pa + b * 3 * hidden;
    T* af = ai + hidden;
    T* ag = af + hidden;
    const T* cp = pc + b * hidden;
    T* cn = out + b * hidden;
    sigmoid_n(gi, ai, 2 * hidden);  // i and f are adjacent
    tanh_n(gi + 2 * hidden, ag, hidden);
    for (std::size_t j = 0; j < hidden; ++j) cn[j] = af[j] * cp[j] + ai[j] * ag[j];
  }
  return make_result<T>(
      "lstm_cell_state", std::move(c), {&gates, &c_prev},
      LstmCellStateBackward<T>{gates.impl_ptr(), c_prev.impl_ptr(), std::move(act), batch, hidden});
}

template <class T>
void LstmCellStateBackward<T>::operator()(const xt::xarray<T>& g, const xt::xarray<T>&) const {
  const T* pg = g.data();
  const T* pa = act.data();
  if (gates->requires_grad) {
    // Blocks i, f, g get their gradients; o gets none from this op.
    // When the gates already hold a gradient (lstm_cell_output's, whose
    // backward runs first), these blocks are added into it in place.
    const bool in_place = gates->has_grad && gates->graph_id != 0 && !anomaly_enabled();
    xt::xarray<T> dgates;
    if (!in_place) {
      dgates = xt::xarray<T>::from_shape({batch, 4 * hidden});
      std::fill_n(dgates.data(), dgates.size(), T(0));
    }
    const T* pc = c_prev->value.data();
    T* pd = in_place ? gates->grad.data() : dgates.data();
    for (std::size_t b = 0; b < batch; ++b) {
      const T* ai = pa + b * 3 * hidden;
      T* di = pd + b * 4 * hidden;
      lstm_state_grad_row(pg + b * hidden, ai, ai + hidden, ai + 2 * hidden, pc + b * hidden, di,
                          di + hidden, di + 2 * hidden, hidden);
    }
    if (!in_place) accumulate_grad(*gates, std::move(dgates));
  }
  if (c_prev->requires_grad) {
    // dc_prev = dc f   [B,H]
    xt::xarray<T> dc_prev = xt::xarray<T>::from_shape({batch, hidden});
    T* pd = dc_prev.data();
    for (std::size_t b = 0; b < batch; ++b) {
      product_row(pg + b * hidden, pa + b * 3 * hidden + hidden, pd + b * hidden, hidden);
    }
    accumulate_grad(*c_prev, std::move(dc_prev));
  }
}

template <class T>
void LstmCellStateBackward<T>::operator()(const BasicTensor<T>& g, const BasicTensor<T>&) const {
  // The activated gates recomputed on the tape from the pre-activations.
  const BasicTensor<T> pre(gates);
  const BasicTensor<T> i = sigmoid(gate(pre, 0, hidden)), f = sigmoid(gate(pre, 1, hidden));
  if (gates->requires_grad) {
    const BasicTensor<T> cell = tanh(gate(pre, 2, hidden)), cp(c_prev);
    detail::add_grad(gates, gates_of<T>({g * cell * i * (T(1) - i), g * cp * f * (T(1) - f),
                                         g * i * (T(1) - cell * cell), BasicTensor<T>()},
                                        batch, hidden));
  }
  if (c_prev->requires_grad) detail::add_grad(c_prev, g * f);
}

/// lstm_cell_output's backward: the inputs and the activations it reads, and its rule.
template <class T>
struct LstmCellOutputBackward {
  std::shared_ptr<TensorImpl<T>> gates, c;
  xt::xarray<T> act;  // per row: the activated o gate, then tanh(c), [B,2H]
  std::size_t batch, hidden;
  void operator()(const xt::xarray<T>& g, const xt::xarray<T>& out) const;
  void operator()(const BasicTensor<T>& g, const BasicTensor<T>& out) const;  // recorded
};

template <class T>
BasicTensor<T> lstm_cell_output(const BasicTensor<T>& gates, const BasicTensor<T>& c) {
  const std::size_t hidden = check_gates("lstm_cell_output", gates.shape(), c.shape(), 4, "c");
  const std::size_t batch = c.shape()[0];
  xt::xarray<T> h = xt::xarray<T>::from_shape(c.shape());
  // Per row: the activated o gate then tanh(c), [B,2H], for backward.
  xt::xarray<T> act = xt::xarray<T>::from_shape({batch, 2 * hidden});
  const T* pg = gates.data_ptr();
  const T* pc = c.data_ptr();
  T* pa = act.data();
  T* out = h.data();
  for (std::size_t b = 0; b < batch; ++b) {
    const T* go = pg + b * 4 * hidden + 3 * hidden;
    const T* cr = pc + b * hidden;
    T* ao = pa + b * 2 * hidden;
    T* tc = ao + hidden;
    T* hr = out + b * hidden;
    sigmoid_n(go, ao, hidden);
    tanh_n(cr, tc, hidden);
    for (std::size_t j = 0; j < hidden; ++j) hr[j] = ao[j] * tc[j];
  }
  return make_result<T>(
      "lstm_cell_output", std::move(h), {&gates, &c},
      LstmCellOutputBackward<T>{gates.impl_ptr(), c.impl_ptr(), std::move(act), batch, hidden});
}

template <class T>
void LstmCellOutputBackward<T>::operator()(const xt::xarray<T>& g, const xt::xarray<T>&) const {
  const T* pg = g.data();
  const T* pa = act.data();
  if (gates->requires_grad) {
    // Only block o is non-zero.
    xt::xarray<T> dgates = xt::xarray<T>::from_shape({batch, 4 * hidden});
    std::fill_n(dgates.data(), dgates.size(), T(0));
    T* pd = dgates.data();
    for (std::size_t b = 0; b < batch; ++b) {
      const T* ao = pa + b * 2 * hidden;
      lstm_output_grad_row<T>(pg + b * hidden, ao, ao + hidden, pd + b * 4 * hidden + 3 * hidden,
                              nullptr, hidden);
    }
    accumulate_grad(*gates, std::move(dgates));
  }
  if (c->requires_grad) {
    // dc = dh o (1 - tanh(c)^2)   [B,H]
    xt::xarray<T> dc = xt::xarray<T>::from_shape({batch, hidden});
    T* pd = dc.data();
    for (std::size_t b = 0; b < batch; ++b) {
      const T* ao = pa + b * 2 * hidden;
      lstm_output_grad_row<T>(pg + b * hidden, ao, ao + hidden, nullptr, pd + b * hidden, hidden);
    }
    accumulate_grad(*c, std::move(dc));
  }
}

template <class T>
void LstmCellOutputBackward<T>::operator()(const BasicTensor<T>& g, const BasicTensor<T>&) const {
  const BasicTensor<T> o = sigmoid(gate(BasicTensor<T>(gates), 3, hidden));
  const BasicTensor<T> tc = tanh(BasicTensor<T>(c));
  if (gates->requires_grad) {
    const BasicTensor<T> none;
    detail::add_grad(gates,
                     gates_of<T>({none, none, none, g * tc * o * (T(1) - o)}, batch, hidden));
  }
  if (c->requires_grad) detail::add_grad(c, g * o * (T(1) - tc * tc));
}

/// gru_cell's backward: the inputs and the activated gates it reads, and its rule (the header
/// gives the derivative).
template <class T>
struct GruCellBackward {
  std::shared_ptr<TensorImpl<T>> input_gates, hidden_gates, h_prev;
  xt::xarray<T> act;  // per row: the activated r, z, n, [B,3H]
  std::size_t batch, hidden;
  void operator()(const xt::xarray<T>& g, const xt::xarray<T>& h) const;
  void operator()(const BasicTensor<T>& g, const BasicTensor<T>& h) const;  // recorded
};

template <class T>
BasicTensor<T> gru_cell(const BasicTensor<T>& input_gates, const BasicTensor<T>& hidden_gates,
                        const BasicTensor<T>& h_prev) {
  const std::size_t hidden =
      check_gates("gru_cell", input_gates.shape(), h_prev.shape(), 3, "h_prev");
  check_gates("gru_cell", hidden_gates.shape(), h_prev.shape(), 3, "h_prev");
  const std::size_t batch = h_prev.shape()[0];
  xt::xarray<T> h = xt::xarray<T>::from_shape(h_prev.shape());
  // Per row: the activated r, z, n, [B,3H], for backward.
  xt::xarray<T> act = xt::xarray<T>::from_shape({batch, 3 * hidden});
  const T* px = input_gates.data_ptr();
  const T* ph = hidden_gates.data_ptr();
  const T* pp = h_prev.data_ptr();
  T* pa = act.data();
  T* out = h.data();
  for (std::size_t b = 0; b < batch; ++b) {
    const T* xr = px + b * 3 * hidden;
    const T* xn = xr + 2 * hidden;
    const T* hr = ph + b * 3 * hidden;
    const T* hn = hr + 2 * hidden;
    T* ar = pa + b * 3 * hidden;
    T* az = ar + hidden;
    T* an = az + hidden;
    const T* hp = pp + b * hidden;
    T* ho = out + b * hidden;
    for (std::size_t j = 0; j < 2 * hidden; ++j) ar[j] = xr[j] + hr[j];  // r and z adjacent
    sigmoid_n(ar, ar, 2 * hidden);
    for (std::size_t j = 0; j < hidden; ++j) an[j] = xn[j] + ar[j] * hn[j];
    tanh_n(an, an, hidden);
    for (std::size_t j = 0; j < hidden; ++j) ho[j] = (T(1) - az[j]) * an[j] + az[j] * hp[j];
  }
  return make_result<T>("gru_cell", std::move(h), {&input_gates, &hidden_gates, &h_prev},
                        GruCellBackward<T>{input_gates.impl_ptr(), hidden_gates.impl_ptr(),
                                           h_prev.impl_ptr(), std::move(act), batch, hidden});
}

template <class T>
void GruCellBackward<T>::operator()(const xt::xarray<T>& g, const xt::xarray<T>&) const {
  const T* pg = g.data();
  const T* pa = act.data();
  const T* ph = hidden_gates->value.data();
  const T* pp = h_prev->value.data();
  // d(pre-activation) of r, z, n as seen by the input gates [B,3H]; the
  // hidden gates get the same except block n, which is scaled by r.
  xt::xarray<T> dx = xt::xarray<T>::from_shape({batch, 3 * hidden});
  T* pd = dx.data();
  for (std::size_t b = 0; b < batch; ++b) {
    const T* dh = pg + b * hidden;
    const T* ar = pa + b * 3 * hidden;
    const T* az = ar + hidden;
    const T* an = az + hidden;
    const T* hn = ph + b * 3 * hidden + 2 * hidden;
    const T* hp = pp + b * hidden;
    T* dr = pd + b * 3 * hidden;
    T* dz = dr + hidden;
    T* dn = dz + hidden;
    for (std::size_t j = 0; j < hidden; ++j) {
      dn[j] = dh[j] * (T(1) - az[j]) * (T(1) - an[j] * an[j]);
      dz[j] = dh[j] * (hp[j] - an[j]) * az[j] * (T(1) - az[j]);
      dr[j] = dn[j] * hn[j] * ar[j] * (T(1) - ar[j]);
    }
  }
  if (h_prev->requires_grad) {
    // dh_prev = dh z   [B,H]
    xt::xarray<T> dp = xt::xarray<T>::from_shape({batch, hidden});
    T* pdp = dp.data();
    for (std::size_t b = 0; b < batch; ++b) {
      const T* az = pa + b * 3 * hidden + hidden;
      for (std::size_t j = 0; j < hidden; ++j) {
        pdp[b * hidden + j] = pg[b * hidden + j] * az[j];
      }
    }
    accumulate_grad(*h_prev, std::move(dp));
  }
  if (hidden_gates->requires_grad) {
    xt::xarray<T> dhg = dx;
    T* pdh = dhg.data();
    for (std::size_t b = 0; b < batch; ++b) {
      const T* ar = pa + b * 3 * hidden;
      T* dn = pdh + b * 3 * hidden + 2 * hidden;
      for (std::size_t j = 0; j < hidden; ++j) dn[j] *= ar[j];
    }
    accumulate_grad(*hidden_gates, std::move(dhg));
  }
  if (input_gates->requires_grad) accumulate_grad(*input_gates, std::move(dx));
}

template <class T>
void GruCellBackward<T>::operator()(const BasicTensor<T>& g, const BasicTensor<T>&) const {
  // The gates recomputed on the tape: r, z, n from the input and hidden gates.
  const BasicTensor<T> x(input_gates), hg(hidden_gates), hp(h_prev);
  const BasicTensor<T> hn = gate(hg, 2, hidden);
  const BasicTensor<T> r = sigmoid(gate(x, 0, hidden) + gate(hg, 0, hidden));
  const BasicTensor<T> z = sigmoid(gate(x, 1, hidden) + gate(hg, 1, hidden));
  const BasicTensor<T> n = tanh(gate(x, 2, hidden) + r * hn);
  const BasicTensor<T> dn = g * (T(1) - z) * (T(1) - n * n);
  const BasicTensor<T> dz = g * (hp - n) * z * (T(1) - z);
  const BasicTensor<T> dr = dn * hn * r * (T(1) - r);
  if (h_prev->requires_grad) detail::add_grad(h_prev, g * z);
  if (hidden_gates->requires_grad) {
    detail::add_grad(hidden_gates, gates_of<T>({dr, dz, dn * r}, batch, hidden));
  }
  if (input_gates->requires_grad) {
    detail::add_grad(input_gates, gates_of<T>({dr, dz, dn}, batch, hidden));
  }
}

AXON_INSTANTIATE_OPS(sequence_step, recurrent_gates, lstm_cell_state, lstm_cell_output, gru_cell)

}  // namespace axon::autograd
