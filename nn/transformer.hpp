// SPDX-License-Identifier: MIT
// TransformerEncoderLayer and TransformerEncoder, as torch.nn's, with PyTorch's parameter names.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/random.hpp"
#include "axon/nn/attention.hpp"
#include "axon/nn/dropout.hpp"
#include "axon/nn/layernorm.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/module.hpp"
#include "axon/nn/module_list.hpp"

namespace axon::nn {

/// The feed-forward block's nonlinearity.
enum class TransformerActivation {
  relu,  ///< max(x, 0) (PyTorch's default)
  gelu   ///< GELU, the exact erf form (autograd::gelu; PyTorch's activation="gelu")
};

/// Options of TransformerEncoderLayer, PyTorch's names and defaults:
/// `TransformerEncoderLayerOptions(128, 4).dim_feedforward(512).norm_first(true)`.
class TransformerEncoderLayerOptions {
 public:
  /// A layer of `d_model` features with `nhead` attention heads.
  TransformerEncoderLayerOptions(std::size_t d_model, std::size_t nhead)
      : d_model_(d_model), nhead_(nhead) {}

  /// Features per position (E).
  AXON_ARG(std::size_t, d_model);
  /// Attention heads; must divide d_model.
  AXON_ARG(std::size_t, nhead);
  /// Width of the feed-forward block (default 2048).
  AXON_ARG(std::size_t, dim_feedforward) = 2048;
  /// Dropout probability everywhere in the layer (default 0.1), in [0, 1).
  AXON_ARG(double, dropout) = 0.1;
  /// Nonlinearity of the feed-forward block (default relu).
  AXON_ARG(TransformerActivation, activation) = TransformerActivation::relu;
  /// eps of both LayerNorms (default 1e-5).
  AXON_ARG(double, layer_norm_eps) = 1e-5;
  /// Inputs are [N, T, E] instead of [T, N, E] (default no).
  AXON_ARG(bool, batch_first) = false;
  /// Pre-norm (LayerNorm before each block, default no: post-norm as the original paper).
  AXON_ARG(bool, norm_first) = false;
};

/// The masks of an encoder's forward (see MhaArgs for their meaning and shapes).
template <class T>
struct EncoderMasks {
  /// [T, T] or [N*H, T, T]: which positions each position may not attend to.
  BasicTensor<T> src_mask;
  /// [N, T]: padding positions no position attends to.
  BasicTensor<T> src_key_padding_mask;
  /// How both masks are read (default: boolean, nonzero blocks).
  MaskKind kind = MaskKind::boolean;
  /// Also block attention to later positions (a causal language model).
  bool is_causal = false;
};

/// One Transformer encoder layer, as torch.nn.TransformerEncoderLayer:
///   post-norm: x = norm1(x + dropout1(self_attn(x))); x = norm2(x + dropout2(ff(x)))
///   pre-norm:  x = x + dropout1(self_attn(norm1(x))); x = x + dropout2(ff(norm2(x)))
/// with ff(x) = linear2(dropout(activation(linear1(x)))). Children, as PyTorch's state dict:
/// self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2. Input and output
/// [T, N, E] ([N, T, E] with batch_first). The children are drawn from `gen` in that order, each
/// by its own initialisation; the dropouts' own streams are seeded from `gen` too.
template <class T>
class BasicTransformerEncoderLayer : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;                   ///< the tensor type of inputs and outputs
  using Options = TransformerEncoderLayerOptions;  ///< the options class this is built from

  /// Builds the children from `gen` (ValueError for nhead not dividing d_model, a zero width or
  /// dropout outside [0, 1)).
  BasicTransformerEncoderLayer(const TransformerEncoderLayerOptions& options,
                               autograd::Generator& gen);

  /// The layer on `src` with optional masks.
  Tensor forward(const Tensor& src, const EncoderMasks<T>& masks);
  /// The layer on `src` with `src_mask` and `src_key_padding_mask` (boolean; undefined = none).
  Tensor forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask);
  /// The layer without masks.
  Tensor forward(const Tensor& src) override;
  std::string name() const override { return "TransformerEncoderLayer"; }
  std::string extra_repr() const override;

  /// The options the layer was built with.
  const TransformerEncoderLayerOptions& options() const { return options_; }
  /// The self-attention block.
  BasicMultiheadAttention<T>& self_attn() { return *self_attn_; }

 private:
  Tensor self_attention_block(const Tensor& x, const EncoderMasks<T>& masks);
  Tensor feed_forward_block(const Tensor& x);

  TransformerEncoderLayerOptions options_;
  std::shared_ptr<BasicMultiheadAttention<T>> self_attn_;
  std::shared_ptr<BasicLinear<T>> linear1_, linear2_;
  std::shared_ptr<BasicDropout<T>> dropout_, dropout1_, dropout2_;
  std::shared_ptr<BasicLayerNorm<T>> norm1_, norm2_;
};

/// Options of TransformerEncoder: `TransformerEncoderOptions(layer, 2).norm(true)`.
class TransformerEncoderOptions {
 public:
  /// `num_layers` layers built with `layer`.
  TransformerEncoderOptions(TransformerEncoderLayerOptions layer, std::size_t num_layers)
      : layer_(std::move(layer)), num_layers_(num_layers) {}

  /// Options of every layer.
  AXON_ARG(TransformerEncoderLayerOptions, layer);
  /// Number of stacked layers.
  AXON_ARG(std::size_t, num_layers);
  /// A final LayerNorm (eps = the layers' layer_norm_eps) after the last layer (default none, as
  /// PyTorch; pre-norm stacks usually want one).
  AXON_ARG(bool, norm) = false;
};

/// A stack of TransformerEncoderLayers and an optional final LayerNorm, as
/// torch.nn.TransformerEncoder: children "layers" (a ModuleList: parameters read
/// "layers.0.self_attn.in_proj_weight", ...) and "norm". Unlike PyTorch, whose layers start as
/// copies of one layer, each layer is drawn from `gen` on its own.
template <class T>
class BasicTransformerEncoder : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;              ///< the tensor type of inputs and outputs
  using Options = TransformerEncoderOptions;  ///< the options class this is built from

  /// Builds the layers from `gen` (ValueError for num_layers 0 or bad layer options).
  BasicTransformerEncoder(const TransformerEncoderOptions& options, autograd::Generator& gen);

  /// Every layer with the same masks, then the final norm.
  Tensor forward(const Tensor& src, const EncoderMasks<T>& masks);
  /// The same with boolean `src_mask` and `src_key_padding_mask` (undefined = none).
  Tensor forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask);
  /// Without masks.
  Tensor forward(const Tensor& src) override;
  std::string name() const override { return "TransformerEncoder"; }
  std::string extra_repr() const override;

  /// The options the encoder was built with.
  const TransformerEncoderOptions& options() const { return options_; }
  /// Layer `i` (IndexError when out of range).
  BasicTransformerEncoderLayer<T>& layer(std::size_t i);

 private:
  TransformerEncoderOptions options_;
  std::vector<std::shared_ptr<BasicTransformerEncoderLayer<T>>> layers_;
  std::shared_ptr<BasicLayerNorm<T>> norm_;
};

using TransformerEncoderLayer = BasicTransformerEncoderLayer<float>;  ///< float32 elements
/// float64 elements (gradient checks)
using TransformerEncoderLayerD = BasicTransformerEncoderLayer<double>;
using TransformerEncoder = BasicTransformerEncoder<float>;    ///< float32 elements
using TransformerEncoderD = BasicTransformerEncoder<double>;  ///< float64 elements (checks)

}  // namespace axon::nn
