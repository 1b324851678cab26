// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <type_traits>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/random.hpp"
#include "axon/autograd/tensor.hpp"

/// Scaled dot-product attention as one fused op (PyTorch's F.scaled_dot_product_attention):
/// scores, mask, row softmax and the weighted sum of values in one forward, and a backward that
/// keeps only the attention weights P.
namespace axon::autograd {

/// Options of scaled_dot_product_attention (PyTorch's argument names).
template <class T>
class AttentionOptions {
  using GeneratorPtr = Generator*;  // spelt as one name for AXON_ARG's `const T&`

  /// A mask broadcastable to the scores [..., L, S] (undefined: none). By default a float mask
  /// ADDED to the scaled scores (PyTorch 2.x): -inf removes a key, a finite value biases it. It
  /// takes a gradient when it requires one (a learnt position bias).
  AXON_ARG(BasicTensor<T>, attn_mask);
  /// Read attn_mask as 0/1 instead: a nonzero entry masks that key out (nn.MultiheadAttention's
  /// convention for a bool mask; PyTorch's scaled_dot_product_attention reads a bool mask the
  /// other way round, True = attend). Such a mask takes no gradient.
  AXON_ARG(bool, attn_mask_is_bool) = false;
  /// Query l attends to keys 0..l only (lower-left triangle of [L, S], as PyTorch's is_causal).
  AXON_ARG(bool, is_causal) = false;
  /// Drop each attention weight with this probability and scale the rest by 1 / (1 - p); only
  /// when > 0. In [0, 1).
  AXON_ARG(double, dropout_p) = 0.0;
  /// The generator dropout draws from (nullptr: the thread's scoped_generator(); one of the two
  /// must exist when dropout_p > 0).
  AXON_ARG(GeneratorPtr, generator) = nullptr;
  /// The factor on q . k^T (default 1 / sqrt(E)).
  AXON_ARG(std::optional<double>, scale);
};

/// softmax(q . k^T * scale + mask) . v for q [..., L, E], k [..., S, E], v [..., S, Ev] with the
/// same leading axes (for example [B, H, L, E]); the result is [..., L, Ev]. The softmax is the
/// stable, max-subtracted one, row by row; the batch of matrices is split over threads, with the
/// same bits for every thread count. The backward keeps only P = softmax(...) [..., L, S]:
/// dV = P^T dO, dP = dO V^T, dS = P * (dP - rowsum(dP * P)), dQ = scale dS K, dK = scale dS^T Q,
/// dMask = dS summed to the mask's shape. A query row whose every key is masked out (all scores
/// -inf) is a ValueError naming the row (PyTorch gives NaN there). ShapeError for shapes that do
/// not fit; ValueError for a bad dropout_p or scale, or dropout without a generator.
template <class T>
BasicTensor<T> scaled_dot_product_attention(
    const BasicTensor<T>& q, const BasicTensor<T>& k, const BasicTensor<T>& v,
    const std::type_identity_t<AttentionOptions<T>>& options = {});

}  // namespace axon::autograd
