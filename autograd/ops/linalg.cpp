// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/linalg.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/blas.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/ops/shape.hpp"

namespace axon::autograd {

namespace linalg_detail {

/// Which matrix of an operand the result's matrix i reads: its own (the operand holds one per
/// result matrix), the only one, or the broadcast index.
struct OperandIndex {
  std::size_t count, batch;
  const std::vector<std::size_t>* index;
  std::size_t operator()(std::size_t i) const {
    if (!index->empty()) return (*index)[i];
    return count == batch ? i : 0;
  }
};

}  // namespace linalg_detail

namespace {

using blas::gemm;
using blas::Op;
using linalg_detail::OperandIndex;

std::string pair_str(const Shape& a, const Shape& b) {
  return shape_str(a) + " x " + shape_str(b);
}

/// The shapes of C = A . B under NumPy's matmul rules, after validation. A 1-D A is read as
/// [1,K] and a 1-D B as [K,1]; the unit axis is dropped from the result again. Axes before the
/// last two are batch axes and broadcast against each other.
struct MatmulPlan {
  std::size_t m = 1, k = 1, n = 1;
  std::size_t batch = 1;                 // matrices in the result (product of the batch axes)
  std::size_t a_count = 1, b_count = 1;  // matrices stored in A and in B
  Shape a_full, b_full;                  // the operands with 1-D promoted: [..., M, K], [..., K, N]
  Shape out_full;                        // [batch..., M, N]
  Shape out_shape;                       // out_full without the promoted unit axes
  // Only for a partly broadcast operand (neither one matrix nor one per result matrix): the index
  // of the operand's matrix used by each result matrix. Empty otherwise.
  std::vector<std::size_t> a_index, b_index;
};

/// For each of the `batch` result matrices (batch axes `out`), the index of the operand's matrix
/// (batch axes `in`, broadcast to `out`).
std::vector<std::size_t> batch_index(const Shape& in, const Shape& out, std::size_t batch) {
  const Shape strides = broadcast_strides(in, out);  // 0 along broadcast axes
  std::vector<std::size_t> index(batch);
  for (std::size_t i = 0; i < batch; ++i) {
    std::size_t rest = i, at = 0;
    for (std::size_t d = out.size(); d-- > 0;) {
      at += (rest % out[d]) * strides[d];
      rest /= out[d];
    }
    index[i] = at;
  }
  return index;
}

MatmulPlan plan_matmul(const Shape& sa, const Shape& sb) {
  if (sa.empty() || sb.empty()) {
    throw ShapeError("matmul: " + pair_str(sa, sb) +
                     ": operands must have rank 1 or more (got ranks " + std::to_string(sa.size()) +
                     " and " + std::to_string(sb.size()) + ")");
  }
  MatmulPlan p;
  p.a_full = sa.size() == 1 ? Shape{1, sa[0]} : sa;
  p.b_full = sb.size() == 1 ? Shape{sb[0], 1} : sb;
  const std::size_t ra = p.a_full.size(), rb = p.b_full.size();
  p.m = p.a_full[ra - 2];
  p.k = p.a_full[ra - 1];
  p.n = p.b_full[rb - 1];
  if (p.k != p.b_full[rb - 2]) {
    throw ShapeError("matmul: " + pair_str(sa, sb) + ": inner dimensions " + std::to_string(p.k) +
                     " and " + std::to_string(p.b_full[rb - 2]) + " differ");
  }
  const Shape a_batch(p.a_full.begin(), p.a_full.end() - 2);
  const Shape b_batch(p.b_full.begin(), p.b_full.end() - 2);
  Shape batch;
  if (a_batch == b_batch) {
    batch = a_batch;
  } else {
    try {
      batch = broadcast_shapes(a_batch, b_batch, "matmul");
    } catch (const ShapeError&) {
      throw ShapeError("matmul: " + pair_str(sa, sb) + ": batch dimensions " + shape_str(a_batch) +
                       " and " + shape_str(b_batch) + " cannot be broadcast together");
    }
  }
  p.batch = shape_numel(batch);
  p.a_count = shape_numel(a_batch);
  p.b_count = shape_numel(b_batch);
  // Equal counts mean equal batch axes (each axis is the result's or 1), so the matrices pair up
  // one to one; one matrix is shared by all. Anything else needs an index per result matrix.
  if (p.a_count != p.batch && p.a_count != 1) p.a_index = batch_index(a_batch, batch, p.batch);
  if (p.b_count != p.batch && p.b_count != 1) p.b_index = batch_index(b_batch, batch, p.batch);
  p.out_full = batch;
  p.out_full.push_back(p.m);
  p.out_full.push_back(p.n);
  p.out_shape = batch;
  if (sa.size() > 1) p.out_shape.push_back(p.m);
  if (sb.size() > 1) p.out_shape.push_back(p.n);
  return p;
}

/// `shape` as the long list reshape() takes.
std::vector<long> dims(const Shape& shape) {
  return std::vector<long>(shape.begin(), shape.end());
}

/// The array backward for one operand X (A or B) of C = A . B: dX_j = sum over the result
/// matrices i that read X_j of contrib(i), each added in increasing i (deterministic). `gemm_into`
/// (i, out, beta) writes or adds (beta = 1) result matrix i's contribution at `out`.
template <class T, class Gemm>
xt::xarray<T> operand_grad(const Shape& shape, std::size_t count, std::size_t batch,
                           std::size_t block, const std::vector<std::size_t>& index,
                           Gemm&& gemm_into) {
  if (count == batch) {
    // One matrix per result matrix: each gradient block written once.
    xt::xarray<T> d = xt::xarray<T>::from_shape(shape);
    for (std::size_t i = 0; i < batch; ++i) gemm_into(i, d.data() + i * block, T(0));
    return d;
  }
  xt::xarray<T> d = xt::zeros<T>(shape);
  const OperandIndex at{count, batch, &index};
  for (std::size_t i = 0; i < batch; ++i) gemm_into(i, d.data() + at(i) * block, T(1));
  return d;
}

/// matmul's recorded backward on the promoted operands ([..., M, K] and [..., K, N]):
/// dA = G . B^T and dB = A^T . G, reduced over the broadcast batch axes (sum_to) and reshaped
/// back to the operands' shapes.
template <class T>
void matmul_backward_recorded(const std::shared_ptr<TensorImpl<T>>& ia,
                              const std::shared_ptr<TensorImpl<T>>& ib, const BasicTensor<T>& g) {
  const MatmulPlan p = plan_matmul(ia->value.shape(), ib->value.shape());
  const BasicTensor<T> gg = reshape(g, p.out_full);  // [batch..., M, N]
  if (ia->requires_grad) {
    const BasicTensor<T> b = reshape(BasicTensor<T>(ib), p.b_full);
    const int rb = static_cast<int>(p.b_full.size());
    const BasicTensor<T> da = matmul(gg, transpose(b, rb - 2, rb - 1));  // [batch..., M, K]
    detail::add_grad(ia, reshape(sum_to(da, p.a_full), dims(ia->value.shape())));
  }
  if (ib->requires_grad) {
    const BasicTensor<T> a = reshape(BasicTensor<T>(ia), p.a_full);
    const int ra = static_cast<int>(p.a_full.size());
    const BasicTensor<T> db = matmul(transpose(a, ra - 2, ra - 1), gg);  // [batch..., K, N]
    detail::add_grad(ib, reshape(sum_to(db, p.b_full), dims(ib->value.shape())));
  }
}

}  // namespace

template <class T>
BasicTensor<T> matmul(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  MatmulPlan p = plan_matmul(a.shape(), b.shape());
  const std::size_t m = p.m, k = p.k, n = p.n, batch = p.batch;
  // When B is one matrix, A's batches stack into one [batch*M, K] matrix: a single GEMM. (A then
  // holds one matrix per result matrix: with B's batch axes all 1 the result's are A's.)
  const bool stack_a = p.b_count == 1;
  const OperandIndex a_at{p.a_count, batch, &p.a_index};
  const OperandIndex b_at{p.b_count, batch, &p.b_index};

  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  if (stack_a) {
    // C = A . B   [batch*M,K]x[K,N] -> [batch*M,N]
    gemm(Op::none, Op::none, batch * m, n, k, T(1), a.data_ptr(), b.data_ptr(), T(0), out.data());
  } else {
    // C_i = A_a(i) . B_b(i)   [M,K]x[K,N] -> [M,N]; a broadcast operand is read in place.
    for (std::size_t i = 0; i < batch; ++i) {
      gemm(Op::none, Op::none, m, n, k, T(1), a.data_ptr() + a_at(i) * m * k,
           b.data_ptr() + b_at(i) * k * n, T(0), out.data() + i * m * n);
    }
  }

  // The backward keeps the sizes and the (usually empty) broadcast indices; its recorded form
  // plans again from the operands' shapes.
  return make_result<T>(
      "matmul", std::move(out), {&a, &b},
      [ia = a.impl_ptr(), ib = b.impl_ptr(), m, k, n, batch, a_count = p.a_count,
       b_count = p.b_count, a_index = std::move(p.a_index), b_index = std::move(p.b_index),
       stack_a](const auto& g, const auto&) -> void {
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
          matmul_backward_recorded(ia, ib, g);
          return;
        } else {
          const OperandIndex a_at{a_count, batch, &a_index};
          const OperandIndex b_at{b_count, batch, &b_index};
          const T* pa = ia->value.data();
          const T* pb = ib->value.data();
          const T* pg = g.data();
          if (ia->requires_grad) {
            xt::xarray<T> da;
            if (stack_a) {
              // dA = dC . B^T   [batch*M,N]x[N,K] -> [batch*M,K]
              da = xt::xarray<T>::from_shape(ia->value.shape());
              gemm(Op::none, Op::trans, batch * m, k, n, T(1), pg, pb, T(0), da.data());
            } else {
              // dA_a(i) (+)= dC_i . B_b(i)^T   [M,N]x[N,K] -> [M,K]
              da = operand_grad<T>(ia->value.shape(), a_count, batch, m * k, a_index,
                                   [&](std::size_t i, T* out, T beta) {
                                     gemm(Op::none, Op::trans, m, k, n, T(1), pg + i * m * n,
                                          pb + b_at(i) * k * n, beta, out);
                                   });
            }
            accumulate_grad(*ia, std::move(da));
          }
          if (ib->requires_grad) {
            xt::xarray<T> db;
            if (stack_a) {
              // B shared: dB = sum_i A_i^T . dC_i = A_stacked^T . dC_stacked
              //   [K,batch*M]x[batch*M,N] -> [K,N]
              db = xt::xarray<T>::from_shape(ib->value.shape());
              gemm(Op::trans, Op::none, k, n, batch * m, T(1), pa, pg, T(0), db.data());
            } else {
              // dB_b(i) (+)= A_a(i)^T . dC_i   [K,M]x[M,N] -> [K,N]
              db = operand_grad<T>(ib->value.shape(), b_count, batch, k * n, b_index,
                                   [&](std::size_t i, T* out, T beta) {
                                     gemm(Op::trans, Op::none, k, n, m, T(1), pa + a_at(i) * m * k,
                                          pg + i * m * n, beta, out);
                                   });
            }
            accumulate_grad(*ib, std::move(db));
          }
        }
      });
}

template <class T>
BasicTensor<T> linear(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                      const BasicTensor<T>& bias) {
  const Shape& sx = x.shape();
  const Shape& sw = weight.shape();
  if (sw.size() != 2) {
    throw ShapeError("linear: input " + shape_str(sx) + ", weight " + shape_str(sw) +
                     ": weight must be 2-D [out_features, in_features]");
  }
  if (sx.empty() || sx.size() > 3) {
    throw ShapeError("linear: input " + shape_str(sx) + ", weight " + shape_str(sw) +
                     ": input must have rank 1, 2 or 3 ([..., in_features])");
  }
  const std::size_t out_features = sw[0], in_features = sw[1];
  if (sx.back() != in_features) {
    throw ShapeError("linear: input " + shape_str(sx) + ", weight " + shape_str(sw) +
                     ": input has " + std::to_string(sx.back()) + " features, weight expects " +
                     std::to_string(in_features));
  }
  const bool has_bias = bias.defined();
  if (has_bias && (bias.dim() != 1 || bias.shape()[0] != out_features)) {
    throw ShapeError("linear: weight " + shape_str(sw) + ", bias " + shape_str(bias.shape()) +
                     ": bias must be [" + std::to_string(out_features) + "]");
  }
  // Leading axes of x are rows: x is read as [rows, in].
  std::size_t row_count = 1;
  for (std::size_t d = 0; d + 1 < sx.size(); ++d) row_count *= sx[d];
  Shape out_shape = sx;
  out_shape.back() = out_features;

  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  if (has_bias) {
    // Every row starts as b; the GEMM then adds x . W^T onto it (beta = 1).
    const T* pb = bias.data_ptr();
    T* po = out.data();
    for (std::size_t r = 0; r < row_count; ++r) {
      std::copy(pb, pb + out_features, po + r * out_features);
    }
  }
  // y = x . W^T (+ b)   [rows,in]x[in,out] -> [rows,out]
  gemm(Op::none, Op::trans, row_count, out_features, in_features, T(1), x.data_ptr(),
       weight.data_ptr(), has_bias ? T(1) : T(0), out.data());

  auto ix = x.impl_ptr();
  auto iw = weight.impl_ptr();
  auto ibias = bias.impl_ptr();  // null without bias
  auto backward = [ix, iw, ibias, row_count, in_features, out_features](const auto& g,
                                                                        const auto&) -> void {
    if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
      // Recorded: dx = g . W, dW = g^T . x, db = column sums of g (rows = leading axes).
      const long rows = static_cast<long>(row_count);
      const BasicTensor<T> g2 = reshape(g, {rows, static_cast<long>(out_features)});
      if (ix->requires_grad) {
        detail::add_grad(ix, reshape(matmul(g2, BasicTensor<T>(iw)), dims(ix->value.shape())));
      }
      if (iw->requires_grad) {
        const BasicTensor<T> x2 =
            reshape(BasicTensor<T>(ix), {rows, static_cast<long>(in_features)});
        detail::add_grad(iw, matmul(transpose(g2, 0, 1), x2));
      }
      if (ibias && ibias->requires_grad) detail::add_grad(ibias, sum(g2, {0}));
      return;
    } else {
      const T* pg = g.data();
      if (ix->requires_grad) {
        // dx = g . W   [rows,out]x[out,in] -> [rows,in]
        xt::xarray<T> dx = xt::xarray<T>::from_shape(ix->value.shape());
        gemm(Op::none, Op::none, row_count, in_features, out_features, T(1), pg, iw->value.data(),
             T(0), dx.data());
        accumulate_grad(*ix, std::move(dx));
      }
      if (iw->requires_grad) {
        // dW = g^T . x   [out,rows]x[rows,in] -> [out,in]
        xt::xarray<T> dw = xt::xarray<T>::from_shape(iw->value.shape());
        gemm(Op::trans, Op::none, out_features, in_features, row_count, T(1), pg, ix->value.data(),
             T(0), dw.data());
        accumulate_grad(*iw, std::move(dw));
      }
      if (ibias && ibias->requires_grad) {
        // db = column sums of g, added row by row in order (deterministic).
        xt::xarray<T> db = xt::zeros<T>({out_features});
        T* pd = db.data();
        for (std::size_t r = 0; r < row_count; ++r) {
          const T* row = pg + r * out_features;
          for (std::size_t j = 0; j < out_features; ++j) pd[j] += row[j];
        }
        accumulate_grad(*ibias, std::move(db));
      }
    }
  };
  if (has_bias) return make_result<T>("linear", std::move(out), {&x, &weight, &bias}, backward);
  return make_result<T>("linear", std::move(out), {&x, &weight}, backward);
}

AXON_INSTANTIATE_OPS(matmul, linear)

}  // namespace axon::autograd
