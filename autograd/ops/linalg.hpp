// SPDX-License-Identifier: MIT
#pragma once

#include "axon/autograd/tensor.hpp"

/// Matrix products through BLAS (cblas_sgemm / cblas_dgemm); transposes in backward are BLAS
/// flags, never copies.
namespace axon::autograd {

/// Matrix product with NumPy's matmul rules for 1-D, 2-D and batched 3-D operands:
/// [K]x[K] -> [], [M,K]x[K] -> [M], [K]x[K,N] -> [N], [M,K]x[K,N] -> [M,N],
/// [B,M,K]x[B,K,N] -> [B,M,N] (a batch of 1 on either side broadcasts), [B,M,K]x[K,N] -> [B,M,N].
/// dA = dC . B^T, dB = A^T . dC
template <class T>
BasicTensor<T> matmul(const BasicTensor<T>& a, const BasicTensor<T>& b);

/// The fully connected layer's map, fused: y = x . W^T + b for x [N,in], W [out,in], b [out]
/// (pass an undefined tensor for no bias). x may also be [in] -> [out] or [B,T,in] -> [B,T,out]
/// (leading axes are rows). One GEMM with W transposed by a BLAS flag.
/// dx = g . W, dW = g^T . x, db = column sums of g
template <class T>
BasicTensor<T> linear(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                      const BasicTensor<T>& bias);

}  // namespace axon::autograd
