// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/linalg.hpp"

#include <algorithm>
#include <string>

#include "axon/autograd/blas.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/ops/shape.hpp"

namespace axon::autograd {

namespace {

using blas::gemm;
using blas::Op;

/// A matmul operand seen as a batch of row-major matrices: [batch, rows, cols].
struct MatrixBatch {
  std::size_t batch, rows, cols;
};

std::string pair_str(const Shape& a, const Shape& b) {
  return shape_str(a) + " x " + shape_str(b);
}

/// The shapes of C = A . B under NumPy's matmul rules, after validation. A 1-D A is read as
/// [1,K] and a 1-D B as [K,1]; the unit axis is dropped from the result again.
struct MatmulPlan {
  MatrixBatch a, b;
  std::size_t batch;  // batches of the result (1 when neither operand is 3-D)
  Shape out_shape;
};

MatmulPlan plan_matmul(const Shape& sa, const Shape& sb) {
  const auto bad_rank = [&](const Shape& s) { return s.empty() || s.size() > 3; };
  if (bad_rank(sa) || bad_rank(sb)) {
    throw ShapeError("matmul: " + pair_str(sa, sb) +
                     ": operands must have rank 1, 2 or 3 (got ranks " + std::to_string(sa.size()) +
                     " and " + std::to_string(sb.size()) + ")");
  }
  MatmulPlan p{};
  if (sa.size() == 1) p.a = {1, 1, sa[0]};
  if (sa.size() == 2) p.a = {1, sa[0], sa[1]};
  if (sa.size() == 3) p.a = {sa[0], sa[1], sa[2]};
  if (sb.size() == 1) p.b = {1, sb[0], 1};
  if (sb.size() == 2) p.b = {1, sb[0], sb[1]};
  if (sb.size() == 3) p.b = {sb[0], sb[1], sb[2]};
  if (p.a.cols != p.b.rows) {
    throw ShapeError("matmul: " + pair_str(sa, sb) + ": inner dimensions " +
                     std::to_string(p.a.cols) + " and " + std::to_string(p.b.rows) + " differ");
  }
  if (p.a.batch != p.b.batch && p.a.batch != 1 && p.b.batch != 1) {
    throw ShapeError("matmul: " + pair_str(sa, sb) + ": batch dimensions " +
                     std::to_string(p.a.batch) + " and " + std::to_string(p.b.batch) +
                     " differ and neither is 1");
  }
  p.batch = p.a.batch == 1 ? p.b.batch : p.a.batch;
  if (sa.size() == 3 || sb.size() == 3) p.out_shape.push_back(p.batch);
  if (sa.size() > 1) p.out_shape.push_back(p.a.rows);
  if (sb.size() > 1) p.out_shape.push_back(p.b.cols);
  return p;
}

/// `shape` as the long list reshape() takes.
std::vector<long> dims(const Shape& shape) {
  return std::vector<long>(shape.begin(), shape.end());
}

/// matmul's recorded backward: every operand seen as a batch of matrices ([batch, rows, cols],
/// 1-D operands as a row or a column), dA = G . B^T and dB = A^T . G, summed over the batch
/// where the operand was shared, and reshaped back.
template <class T>
void matmul_backward_recorded(const std::shared_ptr<TensorImpl<T>>& ia,
                              const std::shared_ptr<TensorImpl<T>>& ib, const BasicTensor<T>& g,
                              std::size_t a_batch, std::size_t b_batch, std::size_t batch,
                              std::size_t m, std::size_t k, std::size_t n) {
  const auto as = [](std::size_t b, std::size_t r, std::size_t c) {
    return std::vector<long>{static_cast<long>(b), static_cast<long>(r), static_cast<long>(c)};
  };
  const BasicTensor<T> a = reshape(BasicTensor<T>(ia), as(a_batch, m, k));
  const BasicTensor<T> b = reshape(BasicTensor<T>(ib), as(b_batch, k, n));
  const BasicTensor<T> gg = reshape(g, as(batch, m, n));
  if (ia->requires_grad) {
    BasicTensor<T> da = matmul(gg, transpose(b, 1, 2));  // [batch, M, K]
    if (a_batch == 1 && batch != 1) da = sum(da, {0}, true);
    detail::add_grad(ia, reshape(da, dims(ia->value.shape())));
  }
  if (ib->requires_grad) {
    BasicTensor<T> db = matmul(transpose(a, 1, 2), gg);  // [batch, K, N]
    if (b_batch == 1 && batch != 1) db = sum(db, {0}, true);
    detail::add_grad(ib, reshape(db, dims(ib->value.shape())));
  }
}

}  // namespace

template <class T>
BasicTensor<T> matmul(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  const MatmulPlan p = plan_matmul(a.shape(), b.shape());
  const std::size_t m = p.a.rows, k = p.a.cols, n = p.b.cols;
  const std::size_t a_step = p.a.batch == 1 ? 0 : m * k;  // 0: A is shared by every batch
  const std::size_t b_step = p.b.batch == 1 ? 0 : k * n;
  // When B is shared, A's batches stack into one [batch*M, K] matrix: a single GEMM.
  const bool stack_a = b_step == 0;

  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  if (stack_a) {
    // C = A . B   [batch*M,K]x[K,N] -> [batch*M,N]
    gemm(Op::none, Op::none, p.a.batch * m, n, k, T(1), a.data_ptr(), b.data_ptr(), T(0),
         out.data());
  } else {
    for (std::size_t i = 0; i < p.batch; ++i) {
      // C_i = A_i . B_i   [M,K]x[K,N] -> [M,N]
      gemm(Op::none, Op::none, m, n, k, T(1), a.data_ptr() + i * a_step, b.data_ptr() + i * b_step,
           T(0), out.data() + i * m * n);
    }
  }

  auto ia = a.impl_ptr();
  auto ib = b.impl_ptr();
  return make_result<T>(
      "matmul", std::move(out), {&a, &b},
      [ia, ib, a_batch = p.a.batch, batch = p.batch, m, k, n, stack_a, a_step, b_step](
          const auto& g, const auto&) -> void {
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
          matmul_backward_recorded(ia, ib, g, a_batch, b_step == 0 ? 1 : batch, batch, m, k, n);
          return;
        } else {
          const T* pa = ia->value.data();
          const T* pb = ib->value.data();
          const T* pg = g.data();
          if (ia->requires_grad) {
            if (stack_a) {
              // dA = dC . B^T   [batch*M,N]x[N,K] -> [batch*M,K]
              xt::xarray<T> da = xt::xarray<T>::from_shape(ia->value.shape());
              gemm(Op::none, Op::trans, a_batch * m, k, n, T(1), pg, pb, T(0), da.data());
              accumulate_grad(*ia, std::move(da));
            } else if (a_step != 0) {
              // dA_i = dC_i . B_i^T   [M,N]x[N,K] -> [M,K], one block per batch
              xt::xarray<T> da = xt::xarray<T>::from_shape(ia->value.shape());
              for (std::size_t i = 0; i < batch; ++i) {
                gemm(Op::none, Op::trans, m, k, n, T(1), pg + i * m * n, pb + i * b_step, T(0),
                     da.data() + i * m * k);
              }
              accumulate_grad(*ia, std::move(da));
            } else {
              // A broadcast over the batch: dA = sum_i dC_i . B_i^T, summed in batch order.
              xt::xarray<T> da = xt::zeros<T>(ia->value.shape());
              for (std::size_t i = 0; i < batch; ++i) {
                gemm(Op::none, Op::trans, m, k, n, T(1), pg + i * m * n, pb + i * b_step, T(1),
                     da.data());
              }
              accumulate_grad(*ia, std::move(da));
            }
          }
          if (ib->requires_grad) {
            xt::xarray<T> db = xt::xarray<T>::from_shape(ib->value.shape());
            if (stack_a) {
              // B shared: dB = sum_i A_i^T . dC_i = A_stacked^T . dC_stacked
              //   [K,batch*M]x[batch*M,N] -> [K,N]
              gemm(Op::trans, Op::none, k, n, a_batch * m, T(1), pa, pg, T(0), db.data());
            } else {
              for (std::size_t i = 0; i < batch; ++i) {
                // dB_i = A_i^T . dC_i   [K,M]x[M,N] -> [K,N]
                gemm(Op::trans, Op::none, k, n, m, T(1), pa + i * a_step, pg + i * m * n, T(0),
                     db.data() + i * k * n);
              }
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
