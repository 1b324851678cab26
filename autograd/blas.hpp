// SPDX-License-Identifier: MIT
#pragma once

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <string>

#include "axon/autograd/error.hpp"

/// Internal: a thin typed wrapper over the CBLAS GEMM routines for the ops in autograd/ops/.
/// Every matrix is row-major and contiguous; a transposed operand is read through a BLAS flag.
namespace axon::autograd::blas {

/// Whether an operand is read as stored or transposed.
enum class Op { none, trans };

namespace detail {

inline int to_blas_int(std::size_t v, const char* what) {
  if (v > static_cast<std::size_t>(INT_MAX)) {
    throw ValueError(std::string("gemm: ") + what + " " + std::to_string(v) +
                     " exceeds the BLAS integer range");
  }
  return static_cast<int>(v);
}

inline CBLAS_TRANSPOSE flag(Op op) {
  return op == Op::trans ? CblasTrans : CblasNoTrans;
}

inline void call(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha,
                 const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

inline void call(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha,
                 const double* a, int lda, const double* b, int ldb, double beta, double* c,
                 int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace detail

/// C[m,n] = alpha op(A)[m,k] . op(B)[k,n] + beta C, all contiguous row-major. A is stored [m,k]
/// (or [k,m] when transposed), B [k,n] (or [n,k]). With beta == 0 the old contents of C are
/// ignored (they may be uninitialised). Empty dimensions are handled here, so BLAS never sees a
/// zero extent: k == 0 gives C = beta C.
template <class T>
void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
          const T* b, T beta, T* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    const std::size_t total = m * n;
    if (beta == T(0)) {
      std::fill(c, c + total, T(0));
    } else if (beta != T(1)) {
      for (std::size_t i = 0; i < total; ++i) c[i] *= beta;
    }
    return;
  }
  // Leading dimension = row length of the matrix as stored.
  const std::size_t lda = op_a == Op::trans ? m : k;
  const std::size_t ldb = op_b == Op::trans ? k : n;
  detail::call(detail::flag(op_a), detail::flag(op_b), detail::to_blas_int(m, "rows"),
               detail::to_blas_int(n, "columns"), detail::to_blas_int(k, "inner dimension"), alpha,
               a, detail::to_blas_int(lda, "leading dimension"), b,
               detail::to_blas_int(ldb, "leading dimension"), beta, c,
               detail::to_blas_int(n, "leading dimension"));
}

}  // namespace axon::autograd::blas
