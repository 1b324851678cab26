// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/attention.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "axon/autograd/blas.hpp"
#include "axon/autograd/kernels.hpp"
#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/linalg.hpp"
#include "axon/autograd/ops/pointwise.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/ops/shape.hpp"
#include "axon/autograd/ops/softmax.hpp"
#include "axon/autograd/parallel_for.hpp"
#include "axon/autograd/vector_math.hpp"

namespace axon::autograd {

namespace attention_detail {

/// The sizes of one call: `batch` matrices (the product of the leading axes) of q [L, E],
/// k [S, E], v [S, Ev].
struct Geometry {
  std::size_t batch = 1, L = 0, S = 0, E = 0, Ev = 0;
  Shape scores;  // [..., L, S]
};

/// How the mask is read for the scores of matrix i: element (l, s) is
/// data[base[i] + l * row_stride + s * col_stride] (strides 0 along broadcast axes).
struct MaskView {
  std::vector<std::size_t> base;
  std::size_t row_stride = 0, col_stride = 0;
};

/// Matrices per parallel chunk: at least about 2^21 multiply-adds each (shapes only, never the
/// machine, so the chunks are the same for every thread count).
inline std::size_t batch_grain(const Geometry& g) {
  return chunks::grain_for(2 * g.L * g.S * (g.E + g.Ev), std::size_t{1} << 21);
}

}  // namespace attention_detail

namespace {

using attention_detail::Geometry;
using attention_detail::MaskView;
using blas::gemm;
using blas::Op;

constexpr const char* kOp = "scaled_dot_product_attention";

template <class T>
Geometry check_shapes(const BasicTensor<T>& q, const BasicTensor<T>& k, const BasicTensor<T>& v) {
  const Shape &sq = q.shape(), &sk = k.shape(), &sv = v.shape();
  const std::string shapes =
      std::string(kOp) + ": q " + shape_str(sq) + ", k " + shape_str(sk) + ", v " + shape_str(sv);
  if (sq.size() < 2 || sk.size() != sq.size() || sv.size() != sq.size()) {
    throw ShapeError(shapes +
                     ": q, k and v must have the same rank, 2 or more ([..., L, E], "
                     "[..., S, E], [..., S, Ev])");
  }
  const std::size_t r = sq.size();
  for (std::size_t d = 0; d + 2 < r; ++d) {
    if (sk[d] != sq[d] || sv[d] != sq[d]) {
      throw ShapeError(shapes + ": leading axes differ (axis " + std::to_string(d) + ")");
    }
  }
  Geometry g;
  g.L = sq[r - 2];
  g.E = sq[r - 1];
  g.S = sk[r - 2];
  g.Ev = sv[r - 1];
  if (sk[r - 1] != g.E) {
    throw ShapeError(shapes + ": q has " + std::to_string(g.E) + " features per row, k has " +
                     std::to_string(sk[r - 1]));
  }
  if (sv[r - 2] != g.S) {
    throw ShapeError(shapes + ": k has " + std::to_string(g.S) + " keys, v has " +
                     std::to_string(sv[r - 2]) + " values");
  }
  for (std::size_t d = 0; d + 2 < r; ++d) g.batch *= sq[d];
  g.scores = sq;
  g.scores[r - 1] = g.S;
  return g;
}

MaskView mask_view(const Shape& mask, const Geometry& g) {
  bool fits = mask.size() <= g.scores.size();
  for (std::size_t d = 0; fits && d < mask.size(); ++d) {
    const std::size_t m = mask[mask.size() - 1 - d], s = g.scores[g.scores.size() - 1 - d];
    fits = m == s || m == 1;
  }
  if (!fits) {
    throw ShapeError(std::string(kOp) + ": attn_mask " + shape_str(mask) +
                     " does not broadcast to the scores " + shape_str(g.scores));
  }
  const Shape strides = broadcast_strides(mask, g.scores);
  const std::size_t r = g.scores.size();
  MaskView view;
  view.row_stride = strides[r - 2];
  view.col_stride = strides[r - 1];
  view.base.resize(g.batch);
  for (std::size_t i = 0; i < g.batch; ++i) {
    std::size_t rest = i, at = 0;
    for (std::size_t d = r - 2; d-- > 0;) {
      at += (rest % g.scores[d]) * strides[d];
      rest /= g.scores[d];
    }
    view.base[i] = at;
  }
  return view;
}

/// The batch position of matrix i as a list of indices ("[1,3]") for error messages.
std::string batch_position(std::size_t i, const Shape& scores) {
  std::vector<std::size_t> at(scores.size() - 2);
  for (std::size_t d = at.size(); d-- > 0;) {
    at[d] = i % scores[d];
    i /= scores[d];
  }
  return list_str(at);
}

/// The backward; `p` is P [..., L, S] with the sign bit set on the weights dropout removed (P is
/// never negative, so the sign is free and no second [..., L, S] array is kept).
template <class T>
struct AttentionBackward {
  std::shared_ptr<TensorImpl<T>> q, k, v, mask;  // mask: null unless it takes a gradient
  BasicTensor<T> mask_constant;  // the mask when it takes no gradient (recorded form only)
  xt::xarray<T> p;
  Geometry g;
  T scale;
  double dropout_p;
  bool mask_is_bool, causal;

  template <class G, class O>
  void operator()(const G& grad, const O&) const;
  void arrays(const xt::xarray<T>& grad) const;
  void recorded(const BasicTensor<T>& grad) const;
};

}  // namespace

template <class T>
BasicTensor<T> scaled_dot_product_attention(const BasicTensor<T>& q, const BasicTensor<T>& k,
                                            const BasicTensor<T>& v,
                                            const std::type_identity_t<AttentionOptions<T>>& opt) {
  const Geometry g = check_shapes(q, k, v);
  const double drop = opt.dropout_p();
  if (!(drop >= 0.0 && drop < 1.0)) {
    throw ValueError(std::string(kOp) + ": dropout_p must be in [0, 1) (got " +
                     std::to_string(drop) + ") for q " + shape_str(q.shape()));
  }
  const double scale_d = opt.scale() ? *opt.scale() : 1.0 / std::sqrt(double(g.E));
  if (!std::isfinite(scale_d)) {
    throw ValueError(std::string(kOp) + ": scale must be finite (got " + std::to_string(scale_d) +
                     ") for q " + shape_str(q.shape()));
  }
  const T scale = static_cast<T>(scale_d);
  const BasicTensor<T>& mask = opt.attn_mask();
  const bool has_mask = mask.defined();
  const bool is_bool = opt.attn_mask_is_bool();
  const MaskView mv = has_mask ? mask_view(mask.shape(), g) : MaskView{};
  const std::size_t L = g.L, S = g.S, E = g.E, Ev = g.Ev, LS = L * S;

  // Dropout draws come first, in element order, so they do not depend on the thread count.
  std::vector<std::uint8_t> dropped;
  if (drop > 0.0) {
    Generator* gen = opt.generator() ? opt.generator() : scoped_generator();
    if (gen == nullptr) {
      throw ValueError(std::string(kOp) + ": dropout_p " + std::to_string(drop) +
                       " needs a generator (AttentionOptions::generator or a GeneratorScope)");
    }
    dropped.resize(g.batch * LS);
    for (auto& d : dropped) d = gen->uniform() < drop ? 1 : 0;
  }
  const T keep_scale = static_cast<T>(1.0 / (1.0 - drop));

  xt::xarray<T> p = xt::xarray<T>::from_shape(g.scores);
  Shape out_shape = g.scores;
  out_shape.back() = Ev;
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  std::vector<std::size_t> bad_row(g.batch, L);  // per matrix: its first fully masked row
  const T *pq = q.data_ptr(), *pk = k.data_ptr(), *pv = v.data_ptr();
  const T* pm = has_mask ? mask.data_ptr() : nullptr;
  T *pp = p.data(), *po = out.data();
  const T neg_inf = -std::numeric_limits<T>::infinity();
  const std::size_t grain = attention_detail::batch_grain(g);
  chunks::for_each_chunk(chunks::chunk_count(g.batch, grain), [&](std::size_t chunk) {
    std::vector<T> work(dropped.empty() ? 0 : LS);
    for (std::size_t i = chunk * grain; i < std::min(g.batch, (chunk + 1) * grain); ++i) {
      T* s = pp + i * LS;
      // S = scale q . k^T   [L,E]x[E,S] -> [L,S]
      gemm(Op::none, Op::trans, L, S, E, scale, pq + i * L * E, pk + i * S * E, T(0), s);
      for (std::size_t l = 0; l < L; ++l) {
        T* row = s + l * S;
        if (pm) {
          const T* mrow = pm + mv.base[i] + l * mv.row_stride;
          for (std::size_t c = 0; c < S; ++c) {
            const T m = mrow[c * mv.col_stride];
            row[c] = is_bool ? (m != T(0) ? neg_inf : row[c]) : row[c] + m;
          }
        }
        if (opt.is_causal()) {
          for (std::size_t c = l + 1; c < S; ++c) row[c] = neg_inf;
        }
        // Stable softmax: subtract the row max; a row of -inf only is refused after the loop.
        T mx = neg_inf;
        for (std::size_t c = 0; c < S; ++c) mx = row[c] > mx ? row[c] : mx;
        if (mx == neg_inf && S > 0) {
          bad_row[i] = std::min(bad_row[i], l);
          mx = T(0);
        }
        // e^(s - max) <= 1: in float the branch-free polynomial exp (vector_math.hpp, within a
        // few ulp), a loop the compiler vectorises; libm's scalar expf took a third of this
        // forward's instructions. In double (the gradient checks) libm.
        if constexpr (std::is_same_v<T, float>) {
          for (std::size_t c = 0; c < S; ++c) row[c] = vector_math::exp_nonpositive(row[c] - mx);
        } else {
          for (std::size_t c = 0; c < S; ++c) row[c] = std::exp(row[c] - mx);
        }
        T total = T(0);
        for (std::size_t c = 0; c < S; ++c) total += row[c];
        const T inv = T(1) / total;
        for (std::size_t c = 0; c < S; ++c) row[c] *= inv;
      }
      const T* weights = s;
      if (!dropped.empty()) {
        // The kept weights scaled by 1 / (1 - p) for the product; the dropped ones marked in P by
        // their sign bit for the backward.
        const std::uint8_t* d = dropped.data() + i * LS;
        for (std::size_t j = 0; j < LS; ++j) {
          work[j] = d[j] ? T(0) : s[j] * keep_scale;
          if (d[j]) s[j] = -s[j];  // -0.0 for a weight of 0: still marked
        }
        weights = work.data();
      }
      // out = P . v   [L,S]x[S,Ev] -> [L,Ev]
      gemm(Op::none, Op::none, L, Ev, S, T(1), weights, pv + i * S * Ev, T(0), po + i * L * Ev);
    }
  });
  for (std::size_t i = 0; i < g.batch; ++i) {
    if (bad_row[i] < L) {
      throw ValueError(std::string(kOp) + ": query row " + std::to_string(bad_row[i]) +
                       " of batch position " + batch_position(i, g.scores) + " (scores " +
                       shape_str(g.scores) +
                       ") has every key masked out; its attention weights are undefined");
    }
  }

  const bool mask_grad = has_mask && !is_bool && mask.requires_grad();
  AttentionBackward<T> backward{q.impl_ptr(),
                                k.impl_ptr(),
                                v.impl_ptr(),
                                mask_grad ? mask.impl_ptr() : nullptr,
                                has_mask && !mask_grad ? mask : BasicTensor<T>(),
                                std::move(p),
                                g,
                                scale,
                                drop,
                                is_bool,
                                opt.is_causal()};
  if (mask_grad) {
    return make_result<T>(kOp, std::move(out), {&q, &k, &v, &mask}, std::move(backward));
  }
  return make_result<T>(kOp, std::move(out), {&q, &k, &v}, std::move(backward));
}

namespace {

template <class T>
template <class G, class O>
void AttentionBackward<T>::operator()(const G& grad, const O&) const {
  if constexpr (detail::is_tensor_v<G>) {
    recorded(grad);
  } else {
    arrays(grad);
  }
}

template <class T>
void AttentionBackward<T>::arrays(const xt::xarray<T>& grad) const {
  const std::size_t L = g.L, S = g.S, E = g.E, Ev = g.Ev, LS = L * S;
  const bool dropout = dropout_p > 0.0;
  const T keep_scale = static_cast<T>(1.0 / (1.0 - dropout_p));
  const auto shaped = [](const std::shared_ptr<TensorImpl<T>>& t, bool want) {
    return want ? xt::xarray<T>::from_shape(t->value.shape()) : xt::xarray<T>();
  };
  xt::xarray<T> dq = shaped(q, q->requires_grad), dk = shaped(k, k->requires_grad);
  xt::xarray<T> dv = shaped(v, v->requires_grad);
  xt::xarray<T> ds_all = mask ? xt::xarray<T>::from_shape(g.scores) : xt::xarray<T>();
  const T *pq = q->value.data(), *pk = k->value.data(), *pv = v->value.data();
  const T *pp = p.data(), *pg = grad.data();
  const std::size_t grain = attention_detail::batch_grain(g);
  chunks::for_each_chunk(chunks::chunk_count(g.batch, grain), [&](std::size_t chunk) {
    std::vector<T> weights(dropout ? LS : 0), ds(LS);
    for (std::size_t i = chunk * grain; i < std::min(g.batch, (chunk + 1) * grain); ++i) {
      const T* pi = pp + i * LS;
      const T* go = pg + i * L * Ev;
      if (v->requires_grad) {
        const T* w = pi;
        if (dropout) {
          for (std::size_t j = 0; j < LS; ++j) {
            weights[j] = std::signbit(pi[j]) ? T(0) : pi[j] * keep_scale;
          }
          w = weights.data();
        }
        // dV = P^T . dO   [S,L]x[L,Ev] -> [S,Ev]
        gemm(Op::trans, Op::none, S, Ev, L, T(1), w, go, T(0), dv.data() + i * S * Ev);
      }
      if (!q->requires_grad && !k->requires_grad && !mask) continue;
      // dP = dO . v^T   [L,Ev]x[Ev,S] -> [L,S] (through dropout: zero or scaled)
      gemm(Op::none, Op::trans, L, S, Ev, T(1), go, pv + i * S * Ev, T(0), ds.data());
      for (std::size_t l = 0; l < L; ++l) {
        T* d = ds.data() + l * S;
        const T* pr = pi + l * S;
        if (dropout) {
          for (std::size_t c = 0; c < S; ++c) {
            d[c] = std::signbit(pr[c]) ? T(0) : d[c] * keep_scale;
          }
        }
        // dS = P * (dP - sum_row(dP * P)), the sum in column order
        T dot = T(0);
        for (std::size_t c = 0; c < S; ++c) dot += d[c] * std::abs(pr[c]);
        for (std::size_t c = 0; c < S; ++c) d[c] = std::abs(pr[c]) * (d[c] - dot);
      }
      if (mask) std::copy(ds.begin(), ds.end(), ds_all.data() + i * LS);
      if (q->requires_grad) {
        // dQ = scale dS . k   [L,S]x[S,E] -> [L,E]
        gemm(Op::none, Op::none, L, E, S, scale, ds.data(), pk + i * S * E, T(0),
             dq.data() + i * L * E);
      }
      if (k->requires_grad) {
        // dK = scale dS^T . q   [S,L]x[L,E] -> [S,E]
        gemm(Op::trans, Op::none, S, E, L, scale, ds.data(), pq + i * L * E, T(0),
             dk.data() + i * S * E);
      }
    }
  });
  if (q->requires_grad) accumulate_grad(*q, std::move(dq));
  if (k->requires_grad) accumulate_grad(*k, std::move(dk));
  if (v->requires_grad) accumulate_grad(*v, std::move(dv));
  if (mask) accumulate_grad(*mask, kernels::sum_to_shape(std::move(ds_all), mask->value.shape()));
}

template <class T>
void AttentionBackward<T>::recorded(const BasicTensor<T>& grad) const {
  // The forward again in recorded ops (so P is a function of q and k on the tape), then the rule
  // above with recorded ops: its derivatives are the second derivatives of the attention.
  const BasicTensor<T> tq(q), tk(k), tv(v);
  const int r = static_cast<int>(g.scores.size());
  BasicTensor<T> scores = matmul(tq, transpose(tk, r - 2, r - 1)) * scale;
  const T neg_inf = -std::numeric_limits<T>::infinity();
  if (mask) {
    scores = scores + BasicTensor<T>(mask);
  } else if (mask_constant.defined()) {
    scores = scores + (mask_is_bool ? detail::constant_map(
                                          mask_constant,
                                          [neg_inf](T m) { return m != T(0) ? neg_inf : T(0); })
                                    : mask_constant.detach());
  }
  if (causal) {
    xt::xarray<T> c = xt::zeros<T>({g.L, g.S});
    for (std::size_t l = 0; l < g.L; ++l) {
      for (std::size_t s = l + 1; s < g.S; ++s) c(l, s) = neg_inf;
    }
    scores = scores + BasicTensor<T>(std::move(c));
  }
  const BasicTensor<T> pr = softmax(scores, -1);
  BasicTensor<T> weights = pr;
  BasicTensor<T> keep;  // 0 where dropped, 1 / (1 - p) elsewhere
  if (dropout_p > 0.0) {
    const T keep_scale = static_cast<T>(1.0 / (1.0 - dropout_p));
    keep = detail::constant_map(BasicTensor<T>(p),
                                [keep_scale](T x) { return std::signbit(x) ? T(0) : keep_scale; });
    weights = pr * keep;
  }
  if (v->requires_grad) detail::add_grad(v, matmul(transpose(weights, r - 2, r - 1), grad));
  if (!q->requires_grad && !k->requires_grad && !mask) return;
  BasicTensor<T> dp = matmul(grad, transpose(tv, r - 2, r - 1));
  if (keep.defined()) dp = dp * keep;
  const BasicTensor<T> ds = pr * (dp - sum(dp * pr, {-1}, true));
  if (q->requires_grad) detail::add_grad(q, matmul(ds, tk) * scale);
  if (k->requires_grad) detail::add_grad(k, matmul(transpose(ds, r - 2, r - 1), tq) * scale);
  if (mask) detail::add_grad(mask, sum_to(ds, mask->value.shape()));
}

}  // namespace

AXON_INSTANTIATE_OPS(scaled_dot_product_attention)

}  // namespace axon::autograd
