// SPDX-License-Identifier: MIT
// The fused LSTM and GRU cell ops: forward loops over [B,H] with the gate blocks read in place,
// saving the activated gates the backward needs; each backward sits under its forward.
#include "autograd/ops/recurrent.hpp"

#include <cmath>
#include <string>

namespace axon::autograd {

namespace {

template <class T>
T sigmoid_of(T x) {
  // e^-|x| never overflows; the two branches give sigmoid(x) for either sign.
  const T e = std::exp(-std::abs(x));
  const T r = T(1) / (T(1) + e);
  return x >= T(0) ? r : e * r;
}

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

}  // namespace

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
    const T* gf = gi + hidden;
    const T* gg = gf + hidden;
    T* ai = pa + b * 3 * hidden;
    T* af = ai + hidden;
    T* ag = af + hidden;
    const T* cp = pc + b * hidden;
    T* cn = out + b * hidden;
    for (std::size_t j = 0; j < hidden; ++j) {
      ai[j] = sigmoid_of(gi[j]);
      af[j] = sigmoid_of(gf[j]);
      ag[j] = std::tanh(gg[j]);
      cn[j] = af[j] * cp[j] + ai[j] * ag[j];
    }
  }
  auto igates = gates.impl_ptr();
  auto ic = c_prev.impl_ptr();
  return make_result<T>(
      "lstm_cell_state", std::move(c), {&gates, &c_prev},
      [igates, ic, act = std::move(act), batch, hidden](const xt::xarray<T>& g,
                                                        const xt::xarray<T>&) {
        const T* pg = g.data();
        const T* pa = act.data();
        if (igates->requires_grad) {
          // Blocks i, f, g get their gradients; o gets none from this op.
          xt::xarray<T> dgates = xt::xarray<T>::from_shape({batch, 4 * hidden});
          const T* pc = ic->value.data();
          T* pd = dgates.data();
          for (std::size_t b = 0; b < batch; ++b) {
            const T* dc = pg + b * hidden;
            const T* ai = pa + b * 3 * hidden;
            const T* af = ai + hidden;
            const T* ag = af + hidden;
            const T* cp = pc + b * hidden;
            T* di = pd + b * 4 * hidden;
            T* df = di + hidden;
            T* dg = df + hidden;
            T* dout = dg + hidden;
            for (std::size_t j = 0; j < hidden; ++j) {
              di[j] = dc[j] * ag[j] * ai[j] * (T(1) - ai[j]);
              df[j] = dc[j] * cp[j] * af[j] * (T(1) - af[j]);
              dg[j] = dc[j] * ai[j] * (T(1) - ag[j] * ag[j]);
              dout[j] = T(0);
            }
          }
          accumulate_grad(*igates, std::move(dgates));
        }
        if (ic->requires_grad) {
          // dc_prev = dc f   [B,H]
          xt::xarray<T> dc_prev = xt::xarray<T>::from_shape({batch, hidden});
          T* pd = dc_prev.data();
          for (std::size_t b = 0; b < batch; ++b) {
            const T* af = pa + b * 3 * hidden + hidden;
            for (std::size_t j = 0; j < hidden; ++j) {
              pd[b * hidden + j] = pg[b * hidden + j] * af[j];
            }
          }
          accumulate_grad(*ic, std::move(dc_prev));
        }
      });
}

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
    for (std::size_t j = 0; j < hidden; ++j) {
      ao[j] = sigmoid_of(go[j]);
      tc[j] = std::tanh(cr[j]);
      hr[j] = ao[j] * tc[j];
    }
  }
  auto igates = gates.impl_ptr();
  auto ic = c.impl_ptr();
  return make_result<T>(
      "lstm_cell_output", std::move(h), {&gates, &c},
      [igates, ic, act = std::move(act), batch, hidden](const xt::xarray<T>& g,
                                                        const xt::xarray<T>&) {
        const T* pg = g.data();
        const T* pa = act.data();
        if (igates->requires_grad) {
          // Only block o is non-zero.
          xt::xarray<T> dgates = xt::zeros<T>({batch, 4 * hidden});
          T* pd = dgates.data();
          for (std::size_t b = 0; b < batch; ++b) {
            const T* dh = pg + b * hidden;
            const T* ao = pa + b * 2 * hidden;
            const T* tc = ao + hidden;
            T* dout = pd + b * 4 * hidden + 3 * hidden;
            for (std::size_t j = 0; j < hidden; ++j) {
              dout[j] = dh[j] * tc[j] * ao[j] * (T(1) - ao[j]);
            }
          }
          accumulate_grad(*igates, std::move(dgates));
        }
        if (ic->requires_grad) {
          // dc = dh o (1 - tanh(c)^2)   [B,H]
          xt::xarray<T> dc = xt::xarray<T>::from_shape({batch, hidden});
          T* pd = dc.data();
          for (std::size_t b = 0; b < batch; ++b) {
            const T* dh = pg + b * hidden;
            const T* ao = pa + b * 2 * hidden;
            const T* tc = ao + hidden;
            for (std::size_t j = 0; j < hidden; ++j) {
              pd[b * hidden + j] = dh[j] * ao[j] * (T(1) - tc[j] * tc[j]);
            }
          }
          accumulate_grad(*ic, std::move(dc));
        }
      });
}

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
    const T* xz = xr + hidden;
    const T* xn = xz + hidden;
    const T* hr = ph + b * 3 * hidden;
    const T* hz = hr + hidden;
    const T* hn = hz + hidden;
    T* ar = pa + b * 3 * hidden;
    T* az = ar + hidden;
    T* an = az + hidden;
    const T* hp = pp + b * hidden;
    T* ho = out + b * hidden;
    for (std::size_t j = 0; j < hidden; ++j) {
      ar[j] = sigmoid_of(xr[j] + hr[j]);
      az[j] = sigmoid_of(xz[j] + hz[j]);
      an[j] = std::tanh(xn[j] + ar[j] * hn[j]);
      ho[j] = (T(1) - az[j]) * an[j] + az[j] * hp[j];
    }
  }
  auto ix = input_gates.impl_ptr();
  auto ih = hidden_gates.impl_ptr();
  auto ip = h_prev.impl_ptr();
  return make_result<T>(
      "gru_cell", std::move(h), {&input_gates, &hidden_gates, &h_prev},
      [ix, ih, ip, act = std::move(act), batch, hidden](const xt::xarray<T>& g,
                                                        const xt::xarray<T>&) {
        const T* pg = g.data();
        const T* pa = act.data();
        const T* ph = ih->value.data();
        const T* pp = ip->value.data();
        // d(pre-activation) of r, z, n as seen by the input gates [B,3H]; the hidden gates get
        // the same except block n, which is scaled by r.
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
        if (ip->requires_grad) {
          // dh_prev = dh z   [B,H]
          xt::xarray<T> dp = xt::xarray<T>::from_shape({batch, hidden});
          T* pdp = dp.data();
          for (std::size_t b = 0; b < batch; ++b) {
            const T* az = pa + b * 3 * hidden + hidden;
            for (std::size_t j = 0; j < hidden; ++j) {
              pdp[b * hidden + j] = pg[b * hidden + j] * az[j];
            }
          }
          accumulate_grad(*ip, std::move(dp));
        }
        if (ih->requires_grad) {
          xt::xarray<T> dhg = dx;
          T* pdh = dhg.data();
          for (std::size_t b = 0; b < batch; ++b) {
            const T* ar = pa + b * 3 * hidden;
            T* dn = pdh + b * 3 * hidden + 2 * hidden;
            for (std::size_t j = 0; j < hidden; ++j) dn[j] *= ar[j];
          }
          accumulate_grad(*ih, std::move(dhg));
        }
        if (ix->requires_grad) accumulate_grad(*ix, std::move(dx));
      });
}

#define AXON_INSTANTIATE(T)                                                                     \
  template BasicTensor<T> lstm_cell_state<T>(const BasicTensor<T>&, const BasicTensor<T>&);     \
  template BasicTensor<T> lstm_cell_output<T>(const BasicTensor<T>&, const BasicTensor<T>&);    \
  template BasicTensor<T> gru_cell<T>(const BasicTensor<T>&, const BasicTensor<T>&,             \
                                      const BasicTensor<T>&);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::autograd
