// SPDX-License-Identifier: MIT
#pragma once

#include "axon/autograd/tensor.hpp"

/// Matrix products through BLAS (cblas_sgemm / cblas_dgemm); transposes in backward are BLAS
/// flags, never copies.
namespace axon::autograd {

/// Matrix product with NumPy's (and PyTorch's) matmul rules: the last two axes are the matrices,
/// [..., M, K] x [..., K, N] -> [..., M, N], and the axes before them are batch axes that
/// broadcast against each other ([2,1,M,K] x [3,K,N] -> [2,3,M,N]). A 1-D first operand [K] is
/// read as [1,K] and a 1-D second operand [K] as [K,1], and that added axis is dropped from the
/// result: [K]x[K] -> [], [M,K]x[K] -> [M], [K]x[..., K,N] -> [..., N]. One GEMM per result
/// matrix, or one for the whole batch when the second operand is a single matrix; operands are
/// read in place (a broadcast one is never copied).
/// dA = dC . B^T, dB = A^T . dC, each summed over the batch axes its operand was broadcast along.
/// ShapeError naming matmul and both shapes for a 0-d operand, inner dimensions that differ or
/// batch axes that do not broadcast.
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
