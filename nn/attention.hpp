// SPDX-License-Identifier: MIT
// MultiheadAttention: scaled dot-product attention over several heads, as
// torch.nn.MultiheadAttention, with PyTorch's parameter names.
#pragma once

#include <cstddef>
#include <string>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/random.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/module.hpp"

namespace axon::nn {

/// Options of MultiheadAttention: `MultiheadAttentionOptions(64,
/// 4).dropout(0.1).batch_first(true)`. PyTorch's kdim/vdim (keys and values of another width),
/// add_bias_kv and add_zero_attn are not offered: keys and values have embed_dim features.
class MultiheadAttentionOptions {
 public:
  /// Attention over `embed_dim` features split into `num_heads` heads of embed_dim / num_heads.
  MultiheadAttentionOptions(std::size_t embed_dim, std::size_t num_heads)
      : embed_dim_(embed_dim), num_heads_(num_heads) {}

  /// Features of queries, keys, values and output (E).
  AXON_ARG(std::size_t, embed_dim);
  /// Heads H; must divide embed_dim.
  AXON_ARG(std::size_t, num_heads);
  /// Dropout probability on the attention weights in training mode (default 0), in [0, 1).
  AXON_ARG(double, dropout) = 0.0;
  /// Biases on the input and output projections (default yes).
  AXON_ARG(bool, bias) = true;
  /// Inputs and output are [N, L, E] instead of [L, N, E] (default no, as PyTorch).
  AXON_ARG(bool, batch_first) = false;
};

/// How a mask's values are read.
enum class MaskKind {
  boolean,  ///< nonzero = may not attend (PyTorch's bool masks); zero = attend
  additive  ///< added to the attention scores before the softmax (PyTorch's float masks)
};

/// The optional arguments of MultiheadAttention::forward, as PyTorch's keywords:
/// `mha.forward(q, k, v, {.key_padding_mask = pad, .need_weights = false})`.
template <class T>
struct MhaArgs {
  /// [N, S] (or [S] for unbatched input): which keys each batch element ignores (padding).
  BasicTensor<T> key_padding_mask;
  /// [L, S] (the same for every batch element and head) or [N*H, L, S] (index n*H + h).
  BasicTensor<T> attn_mask;
  /// How key_padding_mask is read (default: boolean).
  MaskKind key_padding_mask_kind = MaskKind::boolean;
  /// How attn_mask is read (default: boolean).
  MaskKind attn_mask_kind = MaskKind::boolean;
  /// Also forbid query i to attend to keys j > i (a causal mask, combined with the others).
  bool is_causal = false;
  /// Return the attention weights (default yes, as PyTorch).
  bool need_weights = true;
  /// Average the returned weights over the heads ([N, L, S]) rather than keeping them per head
  /// ([N, H, L, S]).
  bool average_attn_weights = true;
};

/// What MultiheadAttention::forward returns.
template <class T>
struct MhaOutput {
  BasicTensor<T> output;   ///< [L, N, E] ([N, L, E] with batch_first; [L, E] unbatched)
  BasicTensor<T> weights;  ///< [N, L, S] or [N, H, L, S]; undefined unless need_weights
};

/// Multi-head scaled dot-product attention (Vaswani et al. 2017), as torch.nn.MultiheadAttention:
/// q = query Wq^T + bq, k = key Wk^T + bk, v = value Wv^T + bv (Wq, Wk, Wv the three row blocks of
/// `in_proj_weight` [3E, E], the biases those of `in_proj_bias` [3E]); each head h attends with
/// softmax(q_h k_h^T / sqrt(E/H) + mask) v_h; the heads are concatenated and projected by the
/// child `out_proj` (a Linear E -> E). So a PyTorch state dict's names (in_proj_weight,
/// in_proj_bias, out_proj.weight, out_proj.bias) load as they are.
///
/// Shapes: query [L, N, E], key and value [S, N, E] ([N, L, E] and [N, S, E] with batch_first),
/// or unbatched [L, E] and [S, E]. Masks (MhaArgs): boolean masks block where nonzero (a blocked
/// score becomes -inf), additive masks are added; key_padding_mask, attn_mask and is_causal
/// combine. A query whose keys are all blocked gets zero weights (PyTorch gives NaN). Wrong ranks
/// or extents, and an empty batch or sequence, are ShapeErrors naming the module and the shapes.
///
/// Initialisation as PyTorch: out_proj drawn as a Linear, then in_proj_weight xavier_uniform,
/// in_proj_bias and out_proj.bias zero. Dropout on the weights (training mode, p > 0) draws from
/// the thread's scoped generator when one is set, else from the module's own, as Dropout does.
template <class T>
class BasicMultiheadAttention : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;              ///< the tensor type of inputs, outputs, parameters
  using Options = MultiheadAttentionOptions;  ///< the options class this is built from
  using Args = MhaArgs<T>;                    ///< forward's optional arguments
  using Output = MhaOutput<T>;                ///< forward's result

  /// Initialised from `gen` (which advances). ValueError when num_heads is 0 or does not divide
  /// embed_dim, or dropout is outside [0, 1).
  BasicMultiheadAttention(const MultiheadAttentionOptions& options, autograd::Generator& gen);

  /// Attention of `query` over `key` and `value` (see the class comment for shapes and masks).
  Output forward(const Tensor& query, const Tensor& key, const Tensor& value,
                 const Args& args = Args{});
  /// Self-attention without masks: forward(x, x, x).output, so the layer fits in Sequential.
  Tensor forward(const Tensor& x) override;
  /// The many-tensor form, in the order of PyTorch's positional arguments: `{query, key, value}`,
  /// optionally followed by `key_padding_mask` and `attn_mask` (boolean masks; an undefined
  /// tensor is no mask), or `{x}` for self-attention; returns `{output, weights}` (the weights
  /// averaged over the heads, as PyTorch's default). So `mha(q, k, v)` and `mha(q, k, v, pad)`
  /// run with the module's hooks and fit a model of several inputs. ValueError naming the module
  /// for 0, 2 or more than 5 inputs. Additive masks and the other MhaArgs need forward(q, k, v,
  /// args).
  typename BasicModule<T>::Tensors forward(const typename BasicModule<T>::Tensors& inputs) override;
  std::string name() const override { return "MultiheadAttention"; }
  std::string extra_repr() const override;
  autograd::Generator* own_generator() override { return &gen_; }

  /// xavier_uniform in_proj_weight, zero in_proj_bias and out_proj.bias (out_proj.weight is left).
  void reset_parameters(autograd::Generator& gen);

  /// The options the layer was built with.
  const MultiheadAttentionOptions& options() const { return options_; }
  /// Stacked input projection [3E, E]: rows of queries, then keys, then values.
  const Tensor& in_proj_weight() const { return *in_proj_weight_; }
  /// Stacked input bias [3E]; undefined when built with bias(false).
  const Tensor& in_proj_bias() const { return in_proj_bias_ ? *in_proj_bias_ : none_; }
  /// The output projection E -> E.
  BasicLinear<T>& out_proj() { return *out_proj_; }

 private:
  std::string where() const { return name() + "(" + extra_repr() + ")"; }

  MultiheadAttentionOptions options_;
  Tensor* in_proj_weight_ = nullptr;  // stored in the module's registry
  Tensor* in_proj_bias_ = nullptr;
  std::shared_ptr<BasicLinear<T>> out_proj_;
  autograd::Generator gen_{0};  // dropout masks outside a batch-parallel step
  Tensor none_;
};

using MultiheadAttention = BasicMultiheadAttention<float>;    ///< float32 elements
using MultiheadAttentionD = BasicMultiheadAttention<double>;  ///< float64 elements (checks)

}  // namespace axon::nn
